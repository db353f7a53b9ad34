// ternd: the tern mail server daemon.
#include <CLI/CLI.hpp>

#include "server/daemon.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ternd: the tern SMTP server"};
  tern::server::DaemonOptions options;
  app.add_option("-c,--config", options.config_path,
                 "main.cf to read (default: the embedded config)");
  bool foreground =
      true;  // ternd never forks; the flag is accepted for familiarity with other daemons
  app.add_flag("--foreground", foreground, "run in the foreground (always the case)");
  app.set_version_flag("--version", "ternd " TERN_VERSION);
  CLI11_PARSE(app, argc, argv);
  return tern::server::run_daemon(options);
}
