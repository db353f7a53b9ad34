// `tern user add|passwd|del|list`: manages the users of a Dovecot passwd-file (the passwd-file
// table of local_recipient_maps, or --file). New passwords are stored as {CRYPT} yescrypt hashes;
// they come from one line of standard input (--stdin) or from the terminal, typed twice without
// echo. Guarantees: hashes are never printed; the file is replaced atomically with every other
// line kept; every failure is one line "tern: ..." on stderr with exit status 1 (operational) or 2
// (usage).
#pragma once

#include <functional>
#include <istream>
#include <ostream>
#include <string>

#include "base/result.hpp"

namespace CLI {
class App;
}

namespace tern::cli {

enum class UserAction { Add, Passwd, Delete, List };

struct UserCommand {
  UserAction action = UserAction::List;
  std::string name;                  // add, passwd, del: "user@domain" or "user"
  std::string users_file;            // -f, --file; empty: from the config
  std::string config_path;           // -c, --config; empty: the embedded default config
  bool password_from_stdin = false;  // --stdin
};

// Declares `user` and its subcommands on `app`; parsing fills `command`. Returns the `user` app so
// the caller can tell whether it was given.
CLI::App* add_user_subcommand(CLI::App& app, UserCommand& command);

// Where a new password comes from; an error ends the command with status 1.
using PasswordReader = std::function<Result<std::string>()>;

// Runs one parsed command against the file, writing names (list) to `out` and the one-line error
// to `errors`. Returns the exit status: 0 done, 1 operational error, 2 usage error.
int run_user_command(const UserCommand& command, const PasswordReader& read_password,
                     std::ostream& out, std::ostream& errors);

// run_user_command on the process's own standard streams: the password from one stdin line with
// --stdin, otherwise prompted twice on the terminal (exit 2 when stdin is not a terminal).
// An empty config_path means /etc/tern/main.cf when it exists, as for check-config.
int run_user_command_on_terminal(UserCommand command);

// One line of `in` without its line end ("\n" or "\r\n"); an error at end of input.
Result<std::string> read_password_line(std::istream& in);

}  // namespace tern::cli
