// The envelope of a queued message: everything the SMTP transaction said besides the data, plus the
// per-recipient delivery state. Plain values; the spool file format is in spool_format.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tern::queue {

enum class RecipientState : std::uint8_t { Pending, Delivered, Deferred, Bounced };

// Where a delivered recipient's message went: into a mailbox here, or on to a next hop that did or
// did not take its DSN request. Without DSN there, a sender who asked for NOTIFY=SUCCESS is owed a
// "relayed" notice from us; with it, the next hop reports (RFC 3461 §4.1, §5.2.2).
enum class Handoff : std::uint8_t { Mailbox, RelayedWithoutDsn, RelayedWithDsn };

struct Recipient {
  std::string address;        // as accepted at RCPT (lower-cased domain), "" never
  std::string orcpt_type;     // RFC 3461 ORCPT address type, empty when absent
  std::string orcpt_address;  // decoded
  std::uint8_t notify = 0;    // smtp::NotifyFlag bits
  RecipientState state = RecipientState::Pending;
  std::string status_text;   // last result, e.g. "delivered to maildir" or a deferral reason
  std::string dsn_status{};  // RFC 3463 status of the last result ("5.1.1"), empty if unknown
  std::int64_t last_attempt = 0;
  std::string diagnostic{};  // the remote reply as a DSN Diagnostic-Code, if there was one
  std::string remote_mta{};  // "dns; mx.example.org", if a remote server answered
  bool notified = false;     // a delivery status notification about it was queued
  bool warned = false;       // a delay warning about it was queued (delay_warning_time)
  Handoff handoff = Handoff::Mailbox;
};

struct Envelope {
  std::string queue_id;
  std::string sender;  // "" for the null sender <>
  std::vector<Recipient> recipients;
  std::string ret;  // "", "FULL" or "HDRS"
  std::string envid;
  std::string body;  // "", "7BIT" or "8BITMIME"
  bool smtputf8 = false;
  std::int64_t arrival_time = 0;  // seconds since the epoch
  std::string client_name;        // reverse name or "unknown"
  std::string client_address;
  std::string helo;
  std::string protocol;  // "SMTP", "ESMTP", ...
  int attempts = 0;
  std::int64_t next_attempt_time = 0;
};

}  // namespace tern::queue
