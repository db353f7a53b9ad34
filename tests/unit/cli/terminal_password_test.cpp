// The password line reader: one line from a descriptor, line ends removed, nothing read past the
// newline (what follows stays for the next reader), and end of input before anything typed is an
// error. The terminal itself cannot be driven from a test; the reader is what it uses.
#include "cli/terminal_password.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <string>

namespace tern::cli {
namespace {

struct Pipe {
  Pipe() { EXPECT_EQ(::pipe(fds), 0); }
  ~Pipe() {
    ::close(fds[0]);
    if (fds[1] >= 0) ::close(fds[1]);
  }
  void write(const std::string& text) {
    EXPECT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void close_writer() {
    ::close(fds[1]);
    fds[1] = -1;
  }
  int fds[2] = {-1, -1};
};

TEST(TerminalPasswordTest, ReadsOneLineAndNoMore) {
  Pipe pipe;
  pipe.write("s3cret pass\r\nnext line\n");
  auto first = read_line_from_fd(pipe.fds[0]);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "s3cret pass");
  auto second = read_line_from_fd(pipe.fds[0]);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, "next line");
}

TEST(TerminalPasswordTest, LastLineWithoutNewlineAndEmptyInput) {
  Pipe pipe;
  pipe.write("tail");
  pipe.close_writer();
  auto tail = read_line_from_fd(pipe.fds[0]);
  ASSERT_TRUE(tail);
  EXPECT_EQ(*tail, "tail");
  auto nothing = read_line_from_fd(pipe.fds[0]);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().message, "no password entered");
}

TEST(TerminalPasswordTest, EmptyLineIsAnEmptyPassword) {
  Pipe pipe;
  pipe.write("\n");
  auto empty = read_line_from_fd(pipe.fds[0]);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
}

TEST(TerminalPasswordTest, EchoIsOffWhileTypingAndBackAfter) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  int terminal = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(terminal, 0);
  termios before{};
  ASSERT_EQ(::tcgetattr(terminal, &before), 0);
  ASSERT_TRUE(before.c_lflag & ECHO);
  {
    EchoOff echo_off(terminal);
    termios during{};
    ASSERT_EQ(::tcgetattr(terminal, &during), 0);
    EXPECT_FALSE(during.c_lflag & ECHO);
    EXPECT_TRUE(during.c_lflag & ECHONL);
  }
  termios after{};
  ASSERT_EQ(::tcgetattr(terminal, &after), 0);
  EXPECT_TRUE(after.c_lflag & ECHO);
  ::close(terminal);
  ::close(master);
}

TEST(TerminalPasswordTest, EchoOffOnAPipeDoesNothing) {
  Pipe pipe;
  EchoOff echo_off(pipe.fds[0]);  // not a terminal: no settings to change, nothing to restore
  pipe.write("x\n");
  EXPECT_EQ(*read_line_from_fd(pipe.fds[0]), "x");
}

}  // namespace
}  // namespace tern::cli
