// The ternd process: loads the config, opens the spool and the recipient tables, binds the
// listeners, drops root, recovers the queue, and runs one event loop per thread until SIGTERM.
// SIGHUP reloads the tables.
#pragma once

#include <string>

namespace tern::server {

struct DaemonOptions {
  std::string
      config_path;  // empty: the embedded default config (loopback high ports, state in ./run)
};

// Returns the process exit status. Fatal start-up problems print one line to stderr.
int run_daemon(const DaemonOptions& options);

}  // namespace tern::server
