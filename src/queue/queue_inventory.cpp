// Queue listing and its two output formats.
#include "queue/queue_inventory.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "queue/queue_id.hpp"
#include "queue/spool_files.hpp"

namespace tern::queue {
namespace {

constexpr const char* kFolders[] = {"active", "deferred", "hold"};

Result<QueuedMessage> read_message(const std::string& spool_directory, const std::string& folder,
                                   const std::string& queue_id) {
  QueuedMessage message;
  message.folder = folder;
  message.path = fmt::format("{}/{}/{}", spool_directory, folder, queue_id);
  auto header = read_header(message.path);
  if (!header) return header.error();
  message.envelope = std::move(header->envelope);
  message.data_offset = header->data_offset;
  struct stat info {};
  if (::stat(message.path.c_str(), &info) == 0 &&
      static_cast<std::uint64_t>(info.st_size) > message.data_offset) {
    message.size = static_cast<std::uint64_t>(info.st_size) - message.data_offset;
  }
  if (auto log = read_prefix(message.path + ".results", 16u << 20); log) {
    if (auto applied = apply_results(*log, message.envelope); !applied) return applied.error();
  }
  return message;
}

std::string arrival_text(std::int64_t arrival) {
  std::time_t time = static_cast<std::time_t>(arrival);
  std::tm local{};
  ::localtime_r(&time, &local);
  char text[32];
  std::strftime(text, sizeof text, "%a %b %e %H:%M:%S", &local);
  return text;
}

bool is_final(RecipientState state) {
  return state == RecipientState::Delivered || state == RecipientState::Bounced;
}

}  // namespace

std::vector<QueuedMessage> list_queue(const std::string& spool_directory,
                                      std::vector<std::string>* problems) {
  std::vector<QueuedMessage> messages;
  for (const char* folder : kFolders) {
    for (const std::string& id : list_queue_ids(spool_directory + "/" + folder)) {
      auto message = read_message(spool_directory, folder, id);
      if (!message) {
        // Gone between listing and reading (delivered meanwhile) is not a problem.
        if (problems != nullptr &&
            message.error().message.find("No such file") == std::string::npos) {
          problems->push_back(fmt::format("{}: {}", id, message.error().message));
        }
        continue;
      }
      messages.push_back(std::move(message.value()));
    }
  }
  std::sort(messages.begin(), messages.end(), [](const QueuedMessage& a, const QueuedMessage& b) {
    return a.envelope.queue_id < b.envelope.queue_id;
  });
  return messages;
}

Result<QueuedMessage> find_queued(const std::string& spool_directory, const std::string& queue_id) {
  if (!is_queue_id(queue_id)) return Error{fmt::format("{}: not a queue id", queue_id)};
  for (const char* folder : kFolders) {
    if (::access(fmt::format("{}/{}/{}", spool_directory, folder, queue_id).c_str(), F_OK) != 0) {
      continue;
    }
    return read_message(spool_directory, folder, queue_id);  // its own error if unreadable
  }
  return Error{fmt::format("{}: no such message in the queue", queue_id)};
}

Result<std::string> queued_headers(const QueuedMessage& message) {
  auto text = read_prefix(message.path, static_cast<std::size_t>(message.data_offset) + (1u << 20));
  if (!text) return text.error();
  std::string_view data = std::string_view(*text).substr(
      std::min<std::size_t>(text->size(), static_cast<std::size_t>(message.data_offset)));
  std::size_t end = data.find("\r\n\r\n");
  return std::string(end == std::string_view::npos ? data : data.substr(0, end + 2));
}

std::string format_mailq(const std::vector<QueuedMessage>& messages) {
  if (messages.empty()) return "Mail queue is empty\n";
  std::string out = "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
  std::uint64_t total = 0;
  for (const QueuedMessage& message : messages) {
    const Envelope& envelope = message.envelope;
    // Postfix's status column: '*' active, '!' on hold, a space otherwise, so the columns line up.
    const char* mark = message.folder == "active" ? "*" : message.folder == "hold" ? "!" : " ";
    out += fmt::format("{:<12}{:>8} {}  {}\n", envelope.queue_id + mark, message.size,
                       arrival_text(envelope.arrival_time),
                       envelope.sender.empty() ? "MAILER-DAEMON" : envelope.sender);
    for (const Recipient& recipient : envelope.recipients) {
      if (is_final(recipient.state)) continue;
      if (!recipient.status_text.empty()) out += fmt::format("({})\n", recipient.status_text);
      out += fmt::format("{:>41}{}\n", "", recipient.address);
    }
    out += "\n";
    total += message.size;
  }
  out += fmt::format("-- {} Kbytes in {} Request{}.\n", (total + 1023) / 1024, messages.size(),
                     messages.size() == 1 ? "" : "s");
  return out;
}

std::string format_queue_json(const std::vector<QueuedMessage>& messages) {
  std::string out;
  for (const QueuedMessage& message : messages) {
    const Envelope& envelope = message.envelope;
    nlohmann::json recipients = nlohmann::json::array();
    for (const Recipient& recipient : envelope.recipients) {
      if (is_final(recipient.state)) continue;
      nlohmann::json entry{{"address", recipient.address}};
      if (!recipient.status_text.empty()) entry["delay_reason"] = recipient.status_text;
      recipients.push_back(std::move(entry));
    }
    nlohmann::json object{{"queue_name", message.folder},
                          {"queue_id", envelope.queue_id},
                          {"arrival_time", envelope.arrival_time},
                          {"message_size", message.size},
                          {"sender", envelope.sender},
                          {"recipients", std::move(recipients)}};
    out += object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

}  // namespace tern::queue
