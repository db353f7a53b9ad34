// Asking for a password on the controlling terminal (/dev/tty) without echo, so standard input
// stays free for data (`tern send --body -`) and the password never shows on screen or in a
// scrollback. Guarantees: the terminal's settings are restored on return and when SIGINT, SIGTERM,
// SIGHUP or SIGQUIT ends the program while it waits; without a terminal it fails at once.
#pragma once

#include <array>
#include <csignal>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tern::cli {

// Echo off on terminal `fd` while it lives (nothing when `fd` is no terminal), restored by the
// destructor and by SIGINT, SIGTERM, SIGHUP or SIGQUIT meanwhile: a shell left without echo is the
// classic bug of hand-rolled prompts. One at a time. Used by tern user's prompt too.
class EchoOff {
 public:
  explicit EchoOff(int fd);
  ~EchoOff();
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  int fd_;
  std::array<struct sigaction, 4> previous_{};
  bool active_ = false;
};

// One line typed after `prompt` (written to the terminal), without its line end.
Result<std::string> read_password_from_terminal(std::string_view prompt);

// One line of `text` read from `fd` byte by byte (no read-ahead past the newline), without "\n" or
// "\r\n"; an error when the input ends before any newline and nothing was typed.
Result<std::string> read_line_from_fd(int fd);

}  // namespace tern::cli
