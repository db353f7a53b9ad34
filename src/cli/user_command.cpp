// tern user: resolve the users file (--file, or the first passwd-file: table of the config's
// local_recipient_maps), read it, apply one auth::user_file edit, write it back atomically.
// Checks that need no password (bad name, missing file, user exists or not) run before any prompt.
#include "cli/user_command.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "auth/password_hash.hpp"
#include "auth/user_file.hpp"
#include "cli/terminal_password.hpp"
#include "config/config.hpp"

namespace tern::cli {
namespace {

constexpr std::string_view kDefaultConfigPath = "/etc/tern/main.cf";

struct UsersFile {
  std::string text;
  bool exists = false;
};

Result<UsersFile> read_users_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return UsersFile{};
    return Error{fmt::format("cannot read {}: {}", path, std::strerror(errno))};
  }
  UsersFile file{{}, true};
  char buffer[8192];
  for (;;) {
    ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      std::string message = fmt::format("cannot read {}: {}", path, std::strerror(errno));
      ::close(fd);
      return Error{message};
    }
    if (got == 0) break;
    file.text.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return file;
}

// --file, else the first passwd-file table of local_recipient_maps in the config.
Result<std::string> users_file_path(const UserCommand& command) {
  if (!command.users_file.empty()) return command.users_file;
  bool embedded = command.config_path.empty();
  auto loaded = embedded
                    ? config::load_config(config::embedded_default_config(), "(embedded default)")
                    : config::load_config_file(command.config_path);
  if (!loaded) return Error{loaded.error().message};
  for (const config::TableSpec& table : loaded->config.local_recipient_maps) {
    if (table.type == "passwd-file") return table.path;
  }
  return Error{fmt::format("{}: local_recipient_maps names no passwd-file: table; use --file",
                           embedded ? "(embedded default)" : command.config_path)};
}

Result<std::string> read_hidden_line(std::string_view prompt) {
  std::cerr << prompt << std::flush;
  std::string line;
  bool got = false;
  {
    EchoOff echo_off(STDIN_FILENO);
    got = static_cast<bool>(std::getline(std::cin, line));
  }
  if (!got) {
    std::cerr << "\n";
    return Error{"no password entered"};
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<std::string> prompt_password_twice(const std::string& name) {
  auto first = read_hidden_line(fmt::format("New password for {}: ", name));
  if (!first) return first;
  auto second = read_hidden_line("Retype the new password: ");
  if (!second) return second;
  bool same = *first == *second;
  OPENSSL_cleanse(second->data(), second->size());
  if (!same) return Error{"the passwords do not match"};
  return first;
}

}  // namespace

CLI::App* add_user_subcommand(CLI::App& app, UserCommand& command) {
  CLI::App* user =
      app.add_subcommand("user", "add, change, remove and list users of the users file");
  user->require_subcommand(1);
  user->add_option("-f,--file", command.users_file,
                   "Dovecot passwd-file to edit (default: the passwd-file table of "
                   "local_recipient_maps in the config)");
  user->add_option("-c,--config", command.config_path,
                   "main.cf naming the users file (default: /etc/tern/main.cf, or the embedded "
                   "default when that does not exist)");
  auto named = [&](const char* verb, const char* help, UserAction action, bool takes_password) {
    CLI::App* sub = user->add_subcommand(verb, help);
    sub->fallthrough();  // -f and -c may follow the verb
    sub->add_option("name", command.name, "user@domain, or user for every local domain")
        ->required();
    if (takes_password) {
      sub->add_flag("--stdin", command.password_from_stdin,
                    "read the password from one line of standard input, without prompting");
    }
    sub->callback([&command, action] { command.action = action; });
    return sub;
  };
  named("add", "add a user with a new password", UserAction::Add, true);
  named("passwd", "change a user's password", UserAction::Passwd, true);
  named("del", "remove a user", UserAction::Delete, false)->alias("delete");
  CLI::App* list = user->add_subcommand("list", "print the user names, one per line");
  list->fallthrough();
  list->callback([&command] { command.action = UserAction::List; });
  return user;
}

Result<std::string> read_password_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return Error{"no password on standard input"};
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int run_user_command(const UserCommand& command, const PasswordReader& read_password,
                     std::ostream& out, std::ostream& errors) {
  auto fail = [&errors](int status, std::string_view message) {
    errors << "tern: " << message << "\n";
    return status;
  };
  std::string name;
  if (command.action != UserAction::List) {
    auto normalized = auth::normalize_user_name(command.name);
    if (!normalized) return fail(2, normalized.error().message);
    name = std::move(normalized.value());
  }
  auto path = users_file_path(command);
  if (!path) return fail(1, path.error().message);
  auto file = read_users_file(*path);
  if (!file) return fail(1, file.error().message);
  if (!file->exists && command.action != UserAction::Add) {
    return fail(1, fmt::format("cannot read {}: {}", *path, std::strerror(ENOENT)));
  }
  const std::string& text = file->text;

  if (command.action == UserAction::List) {
    for (const std::string& user : auth::list_users(text)) out << user << "\n";
    return 0;
  }
  Result<std::string> edited = Error{};
  if (command.action == UserAction::Delete) {
    edited = auth::remove_user(text, name);
  } else {
    // Before the prompt: nobody should type a password twice to learn the name was wrong.
    bool exists = auth::has_user(text, name);
    if (command.action == UserAction::Add && exists) {
      return fail(1, fmt::format("user {} already exists", name));
    }
    if (command.action == UserAction::Passwd && !exists) {
      return fail(1, fmt::format("user {} does not exist", name));
    }
    auto password = read_password();
    if (!password) return fail(1, password.error().message);
    if (password->empty()) return fail(1, "empty password refused");
    auto hashed = auth::hash_password(*password);
    OPENSSL_cleanse(password->data(), password->size());
    if (!hashed) return fail(1, hashed.error().message);
    edited = command.action == UserAction::Add ? auth::add_user(text, name, *hashed)
                                               : auth::set_password(text, name, *hashed);
  }
  if (!edited) return fail(1, edited.error().message);
  auto written = auth::write_file_atomically(*path, *edited);
  if (!written) return fail(1, written.error().message);
  return 0;
}

int run_user_command_on_terminal(UserCommand command) {
  if (command.users_file.empty() && command.config_path.empty() &&
      ::access(std::string(kDefaultConfigPath).c_str(), F_OK) == 0) {
    command.config_path = kDefaultConfigPath;
  }
  PasswordReader read_password;
  if (command.password_from_stdin) {
    read_password = [] { return read_password_line(std::cin); };
  } else {
    bool needs_password = command.action == UserAction::Add || command.action == UserAction::Passwd;
    if (needs_password && ::isatty(STDIN_FILENO) == 0) {
      std::cerr << "tern: standard input is not a terminal; use --stdin to give the password on "
                   "one line\n";
      return 2;
    }
    read_password = [&command] { return prompt_password_twice(command.name); };
  }
  return run_user_command(command, read_password, std::cout, std::cerr);
}

}  // namespace tern::cli
