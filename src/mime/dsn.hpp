// Delivery status notifications: the whole RFC 5322 message of a bounce, delay warning or success
// report, as Postfix's bounce daemon writes it: multipart/report (RFC 6522) with a human
// explanation, a message/delivery-status part (RFC 3464) and the returned original (RFC 3461 §4.3
// RET=FULL: message/rfc822, else text/rfc822-headers). Auto-Submitted: auto-replied (RFC 3834).
// Guarantees: CRLF line endings, no line longer than 998 octets (RFC 5322 §2.1.1), a boundary
// that occurs nowhere in the parts, US-ASCII everywhere but a returned original that is 8-bit.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {

struct DsnRecipient {
  std::string final_recipient;     // "rfc822;user@example.org" (a bare address means rfc822)
  std::string original_recipient;  // from ORCPT ("type;address"); empty if none (RFC 3464 §2.3.1)
  enum class Action { Failed, Delayed, Delivered, Relayed, Expanded } action = Action::Failed;
  std::string status;                // "5.1.1"; empty: X.0.0 of the action's class
  std::string remote_mta;            // "dns; mx.example.org" or empty
  std::string diagnostic;            // "smtp; 550 5.1.1 <x>: Recipient address rejected: ..." or ""
  std::time_t last_attempt = 0;      // 0: omit
  std::time_t will_retry_until = 0;  // Delayed only; 0: omit
};

struct DsnReport {
  std::string reporting_mta;    // myhostname
  std::string queue_id;         // X-Postfix-Queue-ID
  std::string envid;            // ENVID from MAIL, echoed as Original-Envelope-Id when present
  std::string original_sender;  // envelope sender of the original message (never <>: RFC 3461 §6.2)
  std::time_t arrival = 0;      // 0: no Arrival-Date
  // One report is of one kind, as Postfix sends them: any Failed recipient makes it a bounce, else
  // any Delayed one a delay warning, else a success report.
  std::vector<DsnRecipient> recipients;
  bool return_full_message = false;   // RET=FULL; default (and RET=HDRS): headers only
  std::string_view original_message;  // the original message (headers + body) as stored
  std::string postmaster;             // the From: address, "MAILER-DAEMON@myhostname"
  // Postfix's bounce_size_limit: an original longer than this is returned as headers only, even
  // with RET=FULL, so the MIME structure stays whole; 0: no limit.
  std::size_t bounce_size_limit = 50000;
};

// The notification, ready to queue: headers (From, To, Subject, Date, Message-ID, Auto-Submitted,
// MIME) and the three parts. `message_id` with or without its angle brackets; `now` dates it and
// seeds the boundary.
std::string build_dsn(const DsnReport& report, std::string_view message_id, std::time_t now);

// The header section of `message` up to and including the empty line that ends it (RFC 5322
// §2.1); the whole message when it has no body, none when it does not start with a header field.
std::string_view header_section(std::string_view message);

}  // namespace tern::mime
