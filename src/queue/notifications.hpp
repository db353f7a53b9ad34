// Who must be told what about a message (RFC 3461 §4.1, §6.1): the pure decision behind bounces
// and success notices. A bounced recipient is reported to the sender unless its NOTIFY said NEVER
// or named other conditions only; a delivered one only when NOTIFY asked for SUCCESS. A message
// from the null sender is itself a notification: its failures go to the postmaster (a "double
// bounce"), never back to <>, so notifications can never loop.
#pragma once

#include <string>
#include <vector>

#include "queue/envelope.hpp"

namespace tern::queue {

struct Notification {
  enum class Kind { Failure, Success } kind = Kind::Failure;
  std::string to;                       // the original sender, or "postmaster" for a double bounce
  std::vector<std::size_t> recipients;  // indexes into Envelope::recipients
};

// Notifications still owed for the recipients that reached a final state and were not yet
// reported; recipients whose NOTIFY asks for nothing are listed in `silenced` so the caller can
// mark them done as well.
std::vector<Notification> pending_notifications(const Envelope& envelope,
                                                std::vector<std::size_t>* silenced = nullptr);

}  // namespace tern::queue
