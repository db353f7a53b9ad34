// The queue tools' changes to the spool (Postfix's postsuper -d/-h/-H/-r): delete, hold, release
// and requeue one message, by renaming or removing its two files (the message and its results log,
// results first as the queue manager does). These assume nobody else moves the message meanwhile:
// ternd runs them under its queue manager's lock, `tern queue` only when ternd is not running. The
// control line ternd accepts for them is parsed here too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tern::queue {

enum class QueueVerb { Flush, Delete, Hold, Release, Requeue };

struct ControlCommand {
  QueueVerb verb;
  std::string queue_id;  // empty for Flush
  // Flush only: deferred mail for this destination ("example.org", or "@example.org" for the
  // domain and its subdomains, as ETRN takes it, RFC 1985 §5); empty: every deferred message.
  std::string domain{};
};

// "flush", "flush DOMAIN", "delete ID", "hold ID", "release ID", "requeue ID" (one line, no line
// ending).
Result<ControlCommand> parse_control_command(std::string_view line);
std::string format_control_command(const ControlCommand& command);

// Whether a recipient address is in the destination a flush names (see ControlCommand::domain).
bool in_flush_destination(std::string_view address, std::string_view destination);

// The folder ("active", "deferred", "hold") that holds the message, if any.
std::optional<std::string> queue_folder_of(const std::string& spool_directory,
                                           const std::string& queue_id);

Status delete_message(const std::string& spool_directory, const std::string& queue_id);
Status hold_message(const std::string& spool_directory, const std::string& queue_id);
// Released and requeued messages go to active/: the queue manager (or ternd's next start) delivers
// them at once.
Status release_message(const std::string& spool_directory, const std::string& queue_id);
Status requeue_message(const std::string& spool_directory, const std::string& queue_id);

}  // namespace tern::queue
