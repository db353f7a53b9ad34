// The delivery status notification tern sends about a message (RFC 3464 via mime/dsn.hpp): which
// recipients, what happened to each (from their recorded results), and the original message or its
// header as RET asked, read back from the spool file.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "queue/envelope.hpp"
#include "queue/notifications.hpp"

namespace tern::delivery {

struct NotificationSource {
  const queue::Envelope& envelope;  // recipients carry state, status text and DSN status
  const queue::Notification& notice;
  const std::string& spool_file;
  std::uint64_t data_offset;
};

// The whole notification message, with `message_id` (made from the notification's own queue id).
Result<std::string> build_notification(const NotificationSource& source, std::string_view hostname,
                                       std::string_view message_id, std::time_t now);

// Where a notification goes: the sender, or postmaster@hostname for a double bounce.
std::string notification_recipient(const queue::Notification& notice, std::string_view hostname);

}  // namespace tern::delivery
