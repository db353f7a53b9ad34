// queue_has_room: Postfix's rule (free space above queue_minfree and above 1.5 x the size limit),
// at its edges and with values near the top of the range.
#include "policy/queue_space.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace tern::policy {
namespace {

TEST(QueueSpaceTest, NeedsOneAndAHalfTimesTheSizeLimit) {
  EXPECT_TRUE(queue_has_room(15'000'001, 0, 10'000'000));
  EXPECT_FALSE(queue_has_room(15'000'000, 0, 10'000'000));
  EXPECT_FALSE(queue_has_room(1'000'000, 0, 10'000'000));
  EXPECT_FALSE(queue_has_room(0, 0, 10'000'000));
}

TEST(QueueSpaceTest, KeepsQueueMinfreeFree) {
  EXPECT_FALSE(queue_has_room(100'000'000, 100'000'000, 1'000'000));
  EXPECT_TRUE(queue_has_room(100'000'001, 100'000'000, 1'000'000));
}

TEST(QueueSpaceTest, WithoutASizeLimitOnlyQueueMinfreeCounts) {
  EXPECT_TRUE(queue_has_room(1, 0, 0));
  EXPECT_FALSE(queue_has_room(0, 0, 0));
  EXPECT_FALSE(queue_has_room(4096, 4096, 0));
}

TEST(QueueSpaceTest, HugeValuesDoNotOverflow) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  EXPECT_TRUE(queue_has_room(kMax, 0, kMax / 3 * 2 - 1));
  EXPECT_FALSE(queue_has_room(kMax, 0, kMax));
  EXPECT_FALSE(queue_has_room(1'000, 0, kMax));
}

}  // namespace
}  // namespace tern::policy
