// Queue operations as renames between the spool folders. A rename is atomic, so a crash leaves each
// file in the old folder or the new one; recovery at start joins a results log to its message
// wherever that ended up.
#include "queue/queue_operations.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/strings.hpp"
#include "queue/queue_id.hpp"

namespace tern::queue {
namespace {

constexpr const char* kFolders[] = {"active", "deferred", "hold"};

std::string path_of(const std::string& spool_directory, const std::string& folder,
                    const std::string& queue_id) {
  return fmt::format("{}/{}/{}", spool_directory, folder, queue_id);
}

Status move_message(const std::string& spool_directory, const std::string& queue_id,
                    const std::string& from, const std::string& to) {
  std::string source = path_of(spool_directory, from, queue_id);
  std::string target = path_of(spool_directory, to, queue_id);
  if (::rename((source + ".results").c_str(), (target + ".results").c_str()) != 0 &&
      errno != ENOENT) {
    return Error{fmt::format("{}: cannot move to {}: {}", queue_id, to, std::strerror(errno))};
  }
  if (::rename(source.c_str(), target.c_str()) != 0) {
    return Error{fmt::format("{}: cannot move to {}: {}", queue_id, to, std::strerror(errno))};
  }
  return ok_status();
}

Result<std::string> existing_folder(const std::string& spool_directory,
                                    const std::string& queue_id) {
  if (!is_queue_id(queue_id)) return Error{fmt::format("{}: not a queue id", queue_id)};
  auto folder = queue_folder_of(spool_directory, queue_id);
  if (!folder) return Error{fmt::format("{}: no such message in the queue", queue_id)};
  return *folder;
}

// Letters, digits, '-' and '.' in labels, optionally after '@': what ETRN and `tern queue flush`
// name. Anything else could not be a recipient domain.
bool is_flush_destination(std::string_view text) {
  if (text.starts_with('@')) text.remove_prefix(1);
  if (text.empty() || text.size() > 253 || text.front() == '.' || text.back() == '.') return false;
  char previous = '.';
  for (char c : text) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-' && c != '.') return false;
    if (c == '.' && previous == '.') return false;
    previous = c;
  }
  return true;
}

}  // namespace

Result<ControlCommand> parse_control_command(std::string_view line) {
  std::vector<std::string> words = split_list(line);
  if (words.empty()) return Error{"empty command"};
  std::string verb = to_lower_ascii(words[0]);
  if (verb == "flush") {
    if (words.size() > 2) return Error{"usage: flush [DOMAIN]"};
    std::string domain = words.size() == 2 ? to_lower_ascii(words[1]) : "";
    if (!domain.empty() && !is_flush_destination(domain)) {
      return Error{fmt::format("{}: not a domain", words[1])};
    }
    return ControlCommand{QueueVerb::Flush, "", domain};
  }
  static constexpr std::pair<std::string_view, QueueVerb> kVerbs[] = {
      {"delete", QueueVerb::Delete},
      {"hold", QueueVerb::Hold},
      {"release", QueueVerb::Release},
      {"requeue", QueueVerb::Requeue}};
  for (auto [name, value] : kVerbs) {
    if (verb != name) continue;
    if (words.size() != 2) return Error{fmt::format("usage: {} QUEUE-ID", name)};
    if (!is_queue_id(words[1])) return Error{fmt::format("{}: not a queue id", words[1])};
    return ControlCommand{value, words[1]};
  }
  return Error{fmt::format("unknown command: {}", words[0])};
}

bool in_flush_destination(std::string_view address, std::string_view destination) {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string domain = to_lower_ascii(address.substr(at + 1));
  bool subdomains = destination.starts_with('@');
  if (subdomains) destination.remove_prefix(1);
  std::string wanted = to_lower_ascii(destination);
  if (domain == wanted) return true;
  return subdomains && domain.size() > wanted.size() && domain.ends_with(wanted) &&
         domain[domain.size() - wanted.size() - 1] == '.';
}

std::string format_control_command(const ControlCommand& command) {
  switch (command.verb) {
    case QueueVerb::Flush:
      return command.domain.empty() ? "flush" : "flush " + command.domain;
    case QueueVerb::Delete:
      return "delete " + command.queue_id;
    case QueueVerb::Hold:
      return "hold " + command.queue_id;
    case QueueVerb::Release:
      return "release " + command.queue_id;
    case QueueVerb::Requeue:
      return "requeue " + command.queue_id;
  }
  return "";
}

std::optional<std::string> queue_folder_of(const std::string& spool_directory,
                                           const std::string& queue_id) {
  for (const char* folder : kFolders) {
    if (::access(path_of(spool_directory, folder, queue_id).c_str(), F_OK) == 0) return folder;
  }
  return std::nullopt;
}

Status delete_message(const std::string& spool_directory, const std::string& queue_id) {
  auto folder = existing_folder(spool_directory, queue_id);
  if (!folder) return folder.error();
  std::string path = path_of(spool_directory, *folder, queue_id);
  if (::unlink(path.c_str()) != 0) {
    return Error{fmt::format("{}: cannot delete: {}", queue_id, std::strerror(errno))};
  }
  ::unlink((path + ".results").c_str());
  return ok_status();
}

Status hold_message(const std::string& spool_directory, const std::string& queue_id) {
  auto folder = existing_folder(spool_directory, queue_id);
  if (!folder) return folder.error();
  if (*folder == "hold") return Error{fmt::format("{}: already on hold", queue_id)};
  return move_message(spool_directory, queue_id, *folder, "hold");
}

Status release_message(const std::string& spool_directory, const std::string& queue_id) {
  auto folder = existing_folder(spool_directory, queue_id);
  if (!folder) return folder.error();
  if (*folder != "hold") return Error{fmt::format("{}: not on hold", queue_id)};
  return move_message(spool_directory, queue_id, "hold", "active");
}

Status requeue_message(const std::string& spool_directory, const std::string& queue_id) {
  auto folder = existing_folder(spool_directory, queue_id);
  if (!folder) return folder.error();
  if (*folder == "hold") return Error{fmt::format("{}: on hold (release it first)", queue_id)};
  if (*folder == "active") return ok_status();
  return move_message(spool_directory, queue_id, *folder, "active");
}

}  // namespace tern::queue
