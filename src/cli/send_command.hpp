// `tern send`: reads what the options name (@file, standard input, attachments, the password),
// builds the message (mime/message_builder.hpp) into an unlinked in-memory file, opens the
// connection (net/tcp_connect.hpp: a host name or address, maybe through an HTTP proxy) and runs
// the SMTP conversation with the client outbound delivery uses (delivery::deliver_over_connection),
// then reports (cli/send_report.hpp). Guarantees: exit status 2 and one line for anything wrong
// before connecting (unreadable file, no password); otherwise the status names the stage that
// failed, with one stderr line per failure; the password never reaches the transcript.
#pragma once

#include <ctime>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "cli/send_options.hpp"

namespace tern::cli {

// What the command takes from the process and the machine, so tests can supply it.
struct SendEnvironment {
  std::function<Result<std::string>()> read_stdin;                           // all of it
  std::function<Result<std::string>(std::string_view prompt)> ask_password;  // no echo
  std::optional<std::string> password_variable;                              // $TERN_PASSWORD
  std::function<Result<std::string>(const std::string& path)> read_file;
  std::string hostname;   // for EHLO, the default sender and Message-ID
  std::string login;      // the default sender's local part
  std::time_t now = 0;    // Date:, Message-ID
  std::string unique_id;  // random hex: Message-ID and MIME boundaries
  bool colour = false;    // stdout is a terminal that takes colour
};

int run_send_command(const SendOptions& options, const SendEnvironment& environment,
                     std::ostream& out, std::ostream& errors);

// The process's environment: standard input, /dev/tty, $TERN_PASSWORD, gethostname, the clock,
// /dev/urandom, isatty(1) and $NO_COLOR.
SendEnvironment process_send_environment();

// The whole file as bytes; the error is "<path>: <strerror>".
Result<std::string> read_whole_file(const std::string& path);

}  // namespace tern::cli
