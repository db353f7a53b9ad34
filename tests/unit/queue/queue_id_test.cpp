// Queue ids: 19 uppercase hex digits, unique across threads, ordered by creation time, and
// is_queue_id() accepting exactly that shape.
#include "queue/queue_id.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tern::queue {
namespace {

TEST(QueueIdTest, IsNineteenUppercaseHexDigits) {
  const std::regex shape("^[0-9A-F]{19}$");
  for (int i = 0; i < 100; ++i) {
    std::string id = new_queue_id();
    EXPECT_TRUE(std::regex_match(id, shape)) << id;
    EXPECT_TRUE(is_queue_id(id)) << id;
  }
}

TEST(QueueIdTest, LeadingDigitsAreTheCurrentTimeInSeconds) {
  auto before = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::string id = new_queue_id();
  auto after = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  long long seconds = std::stoll(id.substr(0, 10), nullptr, 16);
  EXPECT_GE(seconds, before);
  EXPECT_LE(seconds, after);
  long long micros = std::stoll(id.substr(10, 5), nullptr, 16);
  EXPECT_LT(micros, 1000000);
}

TEST(QueueIdTest, UniqueAcrossFourThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      made[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) made[t].push_back(new_queue_id());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : made) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(QueueIdTest, IdsMadeLaterCompareGreater) {
  std::string first = new_queue_id();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::string second = new_queue_id();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::string third = new_queue_id();
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

// Spool folders are listed in sorted order as "arrival order": ids made one after another must
// sort in that order, also when many fall into the same microsecond and the counter wraps.
TEST(QueueIdTest, IdsFromOneThreadAreStrictlyIncreasing) {
  std::string previous = new_queue_id();
  for (int i = 0; i < 200000; ++i) {
    std::string next = new_queue_id();
    ASSERT_LT(previous, next) << "after " << i << " ids";
    previous = std::move(next);
  }
}

TEST(QueueIdTest, IsQueueIdRejectsOtherShapes) {
  EXPECT_TRUE(is_queue_id("0123456789ABCDEF012"));
  EXPECT_FALSE(is_queue_id(""));
  EXPECT_FALSE(is_queue_id("0123456789ABCDEF01"));    // 18
  EXPECT_FALSE(is_queue_id("0123456789ABCDEF0123"));  // 20
  EXPECT_FALSE(is_queue_id("0123456789abcdef012"));   // lower case
  EXPECT_FALSE(is_queue_id("0123456789ABCDEF01G"));
  EXPECT_FALSE(is_queue_id("0123456789ABCDEF01 "));
  EXPECT_FALSE(is_queue_id("0123456789ABCDEF.01"));
  EXPECT_FALSE(is_queue_id("0123456789ABCDE.tmp"));
  EXPECT_FALSE(is_queue_id(std::string("0123456789ABCDEF01\0", 19)));
  std::string id = new_queue_id();
  EXPECT_FALSE(is_queue_id(id + ".results"));
}

}  // namespace
}  // namespace tern::queue
