// Who must be told what about a message (RFC 3461 §4.1, §6.1): the pure decision behind bounces
// and success notices. A bounced recipient is reported to the sender unless its NOTIFY said NEVER
// or named other conditions only; a delivered one only when NOTIFY asked for SUCCESS. A message
// from the null sender is itself a notification: its failures go to the postmaster (a "double
// bounce"), never back to <>, so notifications can never loop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "queue/envelope.hpp"

namespace tern::queue {

struct Notification {
  enum class Kind { Failure, Success, Delay } kind = Kind::Failure;
  std::string to;                       // the original sender, or "postmaster" for a double bounce
  std::vector<std::size_t> recipients;  // indexes into Envelope::recipients
  std::int64_t will_retry_until = 0;    // Delay: when the queue lifetime ends (seconds)
};

// When delay warnings are due (Postfix delay_warning_time; 0: never) and until when the queue
// keeps trying, for their text.
struct DelayWarningPolicy {
  std::int64_t now = 0;
  int delay_warning_seconds = 0;
  int queue_lifetime_seconds = 0;
};

// Notifications still owed for the recipients that reached a final state and were not yet
// reported; recipients whose NOTIFY asks for nothing are listed in `silenced` so the caller can
// mark them done as well. With a delay policy, recipients still deferred after
// delay_warning_time get one Delay notice each (never to <>; a later failure is still reported).
std::vector<Notification> pending_notifications(const Envelope& envelope,
                                                std::vector<std::size_t>* silenced = nullptr,
                                                const DelayWarningPolicy& delay = {});

}  // namespace tern::queue
