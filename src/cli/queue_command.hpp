// `tern queue`: Postfix's mailq/postqueue/postsuper in one command. list (mailq layout, or --json
// as postqueue -j), show ID (envelope and headers), flush, and delete/hold/release/requeue of one
// message or ALL. Changes go through ternd's control socket when ternd runs (so they never race a
// delivery) and straight to the spool when it does not; flush needs a running ternd. Exit status 0,
// 1 with one line "tern: ..." on stderr for an operational error, 2 for a usage error.
#pragma once

#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace tern::cli {

enum class QueueAction { List, Show, Flush, Delete, Hold, Release, Requeue };

struct QueueCommand {
  QueueAction action = QueueAction::List;
  std::string queue_id;     // show, delete, hold, release, requeue: an id, or ALL (not for show)
  std::string config_path;  // -c; empty: /etc/tern/main.cf, else the embedded default
  bool json = false;        // list --json
  std::string domain;       // flush DOMAIN
};

CLI::App* add_queue_subcommand(CLI::App& app, QueueCommand& command);
int run_queue_command(const QueueCommand& command, std::ostream& out, std::ostream& errors);

}  // namespace tern::cli
