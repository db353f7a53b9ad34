// tern queue: reads the spool for list/show; sends one control line per change to ternd, or makes
// the change itself when ternd is not running (no control socket, or nobody listening on it).
#include "cli/queue_command.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "cli/config_choice.hpp"
#include "queue/queue_inventory.hpp"
#include "queue/queue_operations.hpp"
#include "server/control_socket.hpp"

namespace tern::cli {
namespace {

struct Reply {
  bool daemon_running = true;
  std::string text;  // "ok" or "error: ..."
};

// One request and its one-line answer over the control socket. No socket file, or nobody
// listening, means ternd is not running.
Result<Reply> ask_daemon(const std::string& socket_path, const std::string& line) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    return Error{fmt::format("control socket path too long: {}", socket_path)};
  }
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{fmt::format("socket: {}", std::strerror(errno))};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    int error = errno;
    ::close(fd);
    if (error == ENOENT || error == ECONNREFUSED) return Reply{false, ""};
    return Error{fmt::format("cannot reach ternd at {}: {}", socket_path, std::strerror(error))};
  }
  timeval timeout{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string request = line + "\n";
  bool sent = ::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size());
  std::string answer;
  char buffer[512];
  while (sent) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(got));
    if (answer.find('\n') != std::string::npos) break;
  }
  ::close(fd);
  std::size_t newline = answer.find('\n');
  if (newline == std::string::npos) return Error{"ternd did not answer on its control socket"};
  return Reply{true, answer.substr(0, newline)};
}

Status change_directly(const std::string& spool, const queue::ControlCommand& command) {
  switch (command.verb) {
    case queue::QueueVerb::Delete:
      return queue::delete_message(spool, command.queue_id);
    case queue::QueueVerb::Hold:
      return queue::hold_message(spool, command.queue_id);
    case queue::QueueVerb::Release:
      return queue::release_message(spool, command.queue_id);
    case queue::QueueVerb::Requeue:
      return queue::requeue_message(spool, command.queue_id);
    case queue::QueueVerb::Flush:
      break;
  }
  return Error{"ternd is not running: nothing to flush (start it, and it delivers what is queued)"};
}

Status apply_change(const std::string& spool, const queue::ControlCommand& command) {
  auto reply =
      ask_daemon(server::control_socket_path(spool), queue::format_control_command(command));
  if (!reply) return reply.error();
  if (!reply->daemon_running) return change_directly(spool, command);
  if (reply->text == "ok") return ok_status();
  std::string_view text = reply->text;
  if (text.starts_with("error: ")) text.remove_prefix(7);
  return Error{std::string(text)};
}

std::optional<queue::QueueVerb> verb_of(QueueAction action) {
  switch (action) {
    case QueueAction::Flush:
      return queue::QueueVerb::Flush;
    case QueueAction::Delete:
      return queue::QueueVerb::Delete;
    case QueueAction::Hold:
      return queue::QueueVerb::Hold;
    case QueueAction::Release:
      return queue::QueueVerb::Release;
    case QueueAction::Requeue:
      return queue::QueueVerb::Requeue;
    default:
      return std::nullopt;
  }
}

int show(const std::string& spool, const std::string& queue_id, std::ostream& out,
         std::ostream& errors) {
  auto message = queue::find_queued(spool, queue_id);
  if (!message) {
    errors << "tern: " << message.error().message << "\n";
    return 1;
  }
  const queue::Envelope& envelope = message->envelope;
  out << fmt::format("queue_id: {}\nqueue: {}\nsize: {}\narrival_time: {}\nsender: {}\n",
                     envelope.queue_id, message->folder, message->size, envelope.arrival_time,
                     envelope.sender.empty() ? "<>" : envelope.sender);
  static constexpr const char* kStates[] = {"pending", "delivered", "deferred", "bounced"};
  for (const queue::Recipient& recipient : envelope.recipients) {
    out << fmt::format("recipient: {} ({}{}{})\n", recipient.address,
                       kStates[static_cast<int>(recipient.state)],
                       recipient.status_text.empty() ? "" : ": ", recipient.status_text);
  }
  auto headers = queue::queued_headers(*message);
  if (!headers) {
    errors << "tern: " << headers.error().message << "\n";
    return 1;
  }
  out << "\n" << *headers;
  return 0;
}

}  // namespace

CLI::App* add_queue_subcommand(CLI::App& app, QueueCommand& command) {
  CLI::App* queue = app.add_subcommand("queue", "list, inspect and change the mail queue");
  queue->require_subcommand(1);
  queue->add_option("-c,--config", command.config_path,
                    "main.cf naming queue_directory (default: /etc/tern/main.cf, or the embedded "
                    "default)");
  CLI::App* list = queue->add_subcommand("list", "the queue, as mailq shows it");
  list->add_flag("--json", command.json, "one JSON object per message, as postqueue -j");
  list->callback([&command] { command.action = QueueAction::List; });
  CLI::App* show = queue->add_subcommand("show", "one message's envelope and headers");
  show->add_option("id", command.queue_id, "queue id")->required();
  show->callback([&command] { command.action = QueueAction::Show; });
  CLI::App* flush = queue->add_subcommand(
      "flush", "ask ternd to retry deferred mail now: all of it, or what waits for DOMAIN");
  flush->add_option("domain", command.domain,
                    "only mail for this domain (\"@domain\": and its subdomains), as ETRN");
  flush->callback([&command] { command.action = QueueAction::Flush; });
  struct Change {
    const char* name;
    const char* help;
    QueueAction action;
  };
  for (const Change& change :
       {Change{"delete", "remove a message (or ALL) from the queue", QueueAction::Delete},
        Change{"hold", "put a message (or ALL) on hold: no delivery until released",
               QueueAction::Hold},
        Change{"release", "release a held message (or ALL)", QueueAction::Release},
        Change{"requeue", "retry a deferred message (or ALL) now", QueueAction::Requeue}}) {
    CLI::App* sub = queue->add_subcommand(change.name, change.help);
    sub->add_option("id", command.queue_id, "queue id, or ALL")->required();
    QueueAction action = change.action;
    sub->callback([&command, action] { command.action = action; });
  }
  return queue;
}

int run_queue_command(const QueueCommand& command, std::ostream& out, std::ostream& errors) {
  auto chosen = load_chosen_config(command.config_path);
  if (!chosen) {
    errors << "tern: " << chosen.error().message << "\n";
    return 1;
  }
  const std::string& spool = chosen->loaded.config.queue_directory;
  if (command.action == QueueAction::List) {
    std::vector<std::string> problems;
    auto messages = queue::list_queue(spool, &problems);
    out << (command.json ? queue::format_queue_json(messages) : queue::format_mailq(messages));
    for (const std::string& problem : problems) errors << "tern: warning: " << problem << "\n";
    return 0;
  }
  if (command.action == QueueAction::Show) return show(spool, command.queue_id, out, errors);

  queue::QueueVerb verb = *verb_of(command.action);
  std::vector<std::string> ids;
  if (verb == queue::QueueVerb::Flush) {
    ids.emplace_back();
  } else if (command.queue_id == "ALL") {
    for (const auto& message : queue::list_queue(spool)) ids.push_back(message.envelope.queue_id);
  } else {
    ids.push_back(command.queue_id);
  }
  int status = 0;
  int changed = 0;
  for (const std::string& id : ids) {
    Status done = apply_change(spool, queue::ControlCommand{verb, id, command.domain});
    if (!done) {
      errors << "tern: " << done.error().message << "\n";
      status = 1;
      if (command.queue_id != "ALL") return status;
      continue;
    }
    ++changed;
  }
  if (command.queue_id == "ALL")
    out << fmt::format("{} message{} changed\n", changed, changed == 1 ? "" : "s");
  return status;
}

}  // namespace tern::cli
