// InputBuffer: unread bytes survive every resize in order; the buffer shrinks back once they fit;
// reads land after the unread bytes; a full buffer offers no room.
#include "server/input_buffer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace tern::server {
namespace {

void receive(InputBuffer& buffer, std::size_t capacity, const std::string& bytes) {
  std::span<char> space = buffer.prepare(capacity);
  ASSERT_GE(space.size(), bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  buffer.commit(bytes.size());
}

TEST(InputBufferTest, ReadsAppendAndConsumeTakesFromTheFront) {
  InputBuffer buffer(16);
  receive(buffer, 16, "EHLO a\r\n");
  receive(buffer, 16, "NOOP\r\n");
  EXPECT_EQ(buffer.data(), "EHLO a\r\nNOOP\r\n");
  buffer.consume(8);
  EXPECT_EQ(buffer.data(), "NOOP\r\n");
  buffer.clear();
  EXPECT_EQ(buffer.size(), 0u);
}

TEST(InputBufferTest, GrowsForMessageDataAndKeepsUnreadBytes) {
  InputBuffer buffer(8);
  receive(buffer, 8, "DATA\r\nab");
  buffer.consume(6);
  std::span<char> space = buffer.prepare(64);
  EXPECT_EQ(buffer.capacity(), 64u);
  EXPECT_EQ(space.size(), 62u);
  EXPECT_EQ(buffer.data(), "ab");
}

TEST(InputBufferTest, ShrinksBackOnlyWhenTheUnreadBytesFit) {
  InputBuffer buffer(64);
  receive(buffer, 64, std::string(40, 'x'));
  buffer.prepare(16);
  EXPECT_EQ(buffer.capacity(), 64u) << "40 unread bytes do not fit in 16";
  buffer.consume(36);
  std::span<char> space = buffer.prepare(16);
  EXPECT_EQ(buffer.capacity(), 16u);
  EXPECT_EQ(buffer.data(), "xxxx");
  EXPECT_EQ(space.size(), 12u);
}

TEST(InputBufferTest, MovesUnreadBytesToTheFrontWhenTheEndIsReached) {
  InputBuffer buffer(8);
  receive(buffer, 8, "12345678");
  buffer.consume(6);
  std::span<char> space = buffer.prepare(8);
  EXPECT_EQ(space.size(), 6u);
  EXPECT_EQ(buffer.data(), "78");
}

TEST(InputBufferTest, AFullBufferOffersNoRoom) {
  InputBuffer buffer(4);
  receive(buffer, 4, "abcd");
  EXPECT_TRUE(buffer.prepare(4).empty());
  EXPECT_EQ(buffer.data(), "abcd");
}

}  // namespace
}  // namespace tern::server
