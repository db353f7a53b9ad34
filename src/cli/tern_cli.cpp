// Subcommand dispatch for `tern` with CLI11: usage errors exit 2 with one line on stderr.
#include "cli/tern_cli.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/check_config.hpp"

namespace tern::cli {

int run_tern_cli(int argc, char** argv) {
  CLI::App app{"tern: the tern mail toolkit"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tern " TERN_VERSION);

  std::string config_path;
  CLI::App* check =
      app.add_subcommand("check-config", "validate a main.cf and print its non-default values");
  check->add_option("-c,--config", config_path,
                    "main.cf to check (default: /etc/tern/main.cf, "
                    "or the embedded default when that does not exist)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (check->parsed()) {
    if (config_path.empty() && ::access("/etc/tern/main.cf", F_OK) == 0) {
      config_path = "/etc/tern/main.cf";
    }
    return check_config(config_path, std::cout, std::cerr);
  }
  return 2;
}

}  // namespace tern::cli
