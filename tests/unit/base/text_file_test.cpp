// Whole-file reads: bytes as they are, and the path and reason when the file cannot be opened.
#include "base/text_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace tern {
namespace {

TEST(TextFileTest, ReadsEveryByte) {
  char pattern[] = "/tmp/tern-text-file-XXXXXX";
  int fd = ::mkstemp(pattern);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::string bytes("line one\r\n\0binary\xff\n", 20);
  std::ofstream(pattern, std::ios::binary) << bytes;
  auto text = read_text_file(pattern);
  std::remove(pattern);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, bytes);
}

TEST(TextFileTest, NamesThePathAndTheReason) {
  auto text = read_text_file("/nonexistent/tern/file");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "/nonexistent/tern/file: cannot open: No such file or directory");
}

}  // namespace
}  // namespace tern
