// Subcommand dispatch for `tern` with CLI11: usage errors exit 2 with one line on stderr
// ("tern: <what CLI11 found>"); --help and --version exit 0. `tern sendmail` is listed here but
// parses its own arguments: sendmail's getopt syntax (-oi, -fsender, -h hops) is not CLI11's, and
// its usage errors exit 64 as sendmail's do.
#include "cli/tern_cli.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/audit_command.hpp"
#include "cli/check_config.hpp"
#include "cli/queue_command.hpp"
#include "cli/send_command.hpp"
#include "cli/send_options.hpp"
#include "cli/sendmail_command.hpp"
#include "cli/user_command.hpp"

namespace tern::cli {

int run_tern_cli(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "sendmail") {
    return run_sendmail_command(std::vector<std::string>(argv + 2, argv + argc), std::cin,
                                std::cout, std::cerr);
  }
  CLI::App app{"tern: the tern mail toolkit"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tern " TERN_VERSION);

  std::string config_path;
  CLI::App* check =
      app.add_subcommand("check-config", "validate a main.cf and print its non-default values");
  check->add_option("-c,--config", config_path,
                    "main.cf to check (default: /etc/tern/main.cf, "
                    "or the embedded default when that does not exist)");
  UserCommand user_command;
  CLI::App* user = add_user_subcommand(app, user_command);
  QueueCommand queue_command;
  CLI::App* queue = add_queue_subcommand(app, queue_command);
  AuditCommand audit_command;
  CLI::App* audit = add_audit_subcommand(app, audit_command);
  SendArguments send_arguments;
  CLI::App* send = add_send_subcommand(app, send_arguments);
  app.add_subcommand("sendmail",
                     "submit a message from standard input as sendmail(1) does (see tern sendmail "
                     "--help)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    std::cerr << "tern: " << error.what() << "\n";
    return 2;
  }
  if (check->parsed()) {
    if (config_path.empty() && ::access("/etc/tern/main.cf", F_OK) == 0) {
      config_path = "/etc/tern/main.cf";
    }
    return check_config(config_path, std::cout, std::cerr);
  }
  if (user->parsed()) return run_user_command_on_terminal(user_command);
  if (queue->parsed()) return run_queue_command(queue_command, std::cout, std::cerr);
  if (audit->parsed()) return run_audit_command(audit_command, std::cout, std::cerr);
  if (send->parsed()) {
    auto options = make_send_options(send_arguments);
    if (!options) {
      std::cerr << "tern: " << options.error().message << "\n";
      return 2;
    }
    // The SMTP client logs for ternd's mail log; tern send reports on its own (stdout, --json), so
    // those lines would only garble its output.
    spdlog::set_level(spdlog::level::off);
    return run_send_command(*options, process_send_environment(), std::cout, std::cerr);
  }
  return 2;
}

}  // namespace tern::cli
