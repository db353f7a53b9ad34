#include "cli/terminal_password.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace tern::cli {
namespace {

// The terminal's settings while echo is off, for the signal handler to put back.
termios saved_terminal;
volatile std::sig_atomic_t terminal_fd = -1;

void restore_and_resignal(int signal_number) {
  if (terminal_fd >= 0) ::tcsetattr(terminal_fd, TCSANOW, &saved_terminal);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

}  // namespace

EchoOff::EchoOff(int fd) : fd_(fd) {
  if (::tcgetattr(fd, &saved_terminal) != 0) return;
  struct sigaction action {};
  action.sa_handler = restore_and_resignal;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    ::sigaction(kSignals[i], &action, &previous_[i]);
  }
  termios quiet = saved_terminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;  // the Enter key still moves to the next line
  terminal_fd = fd;
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  active_ = true;
}

EchoOff::~EchoOff() {
  if (!active_) return;
  ::tcsetattr(fd_, TCSANOW, &saved_terminal);
  terminal_fd = -1;
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    ::sigaction(kSignals[i], &previous_[i], nullptr);
  }
}

Result<std::string> read_line_from_fd(int fd) {
  std::string line;
  bool newline = false;
  while (true) {
    char c = 0;
    ssize_t got = ::read(fd, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error{std::string("cannot read the password: ") + std::strerror(errno)};
    if (got == 0) break;
    if (c == '\n') {
      newline = true;
      break;
    }
    line += c;
  }
  if (!newline && line.empty()) return Error{"no password entered"};
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<std::string> read_password_from_terminal(std::string_view prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return Error{"no terminal to ask for the password on"};
  ssize_t written = ::write(fd, prompt.data(), prompt.size());
  (void)written;  // a prompt that cannot be shown does not stop the typing
  Result<std::string> line = Error{"no password entered"};
  {
    EchoOff echo_off(fd);
    line = read_line_from_fd(fd);
  }
  ::close(fd);
  return line;
}

}  // namespace tern::cli
