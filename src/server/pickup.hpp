// ternd's pickup socket for `tern sendmail` (Postfix's postdrop + maildrop/ + pickup in one step):
// a Unix stream socket at <queue_directory>/public/pickup, mode 0666 in a 0755 public/ directory,
// so any local user may submit, as any local user may write Postfix's maildrop. The kernel
// (SO_PEERCRED) says who submits: the uid goes into the Received: header and the log, and the
// user's name makes the default sender. One message per connection; the line protocol:
//   C: MAIL <sender>        optional, at most once, first; "<>" is the null sender
//   C: NAME full name       optional: the display name of a From: header ternd adds (sendmail -F)
//   C: RCPT <recipient>     one or more
//   C: DATA <length>        then exactly <length> bytes of an RFC 5322 message, LF or CRLF lines
//   S: ok <queue id>        only once the message is durable in the spool ("a 250 is a promise"),
//   S: error: <status> why  with an RFC 3463 status: 4.x.x temporary, 5.x.x permanent.
// Addresses follow RFC 5321 paths (SMTPUTF8 allowed); one without a domain gets @myorigin.
// Command lines are bounded by line_length_limit, recipients by smtpd_recipient_limit, the message
// by message_size_limit, and the client's whole exchange by a 60-second deadline.
#pragma once

#include <sys/types.h>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "queue/spool.hpp"

namespace tern::server {

// ---- The protocol, without I/O -----------------------------------------------------------------

struct PickupSettings {
  std::string myorigin;  // the domain of addresses given without one
  std::size_t recipient_limit = 1000;
  std::uint64_t message_size_limit = 10240000;
};

struct PickupRequest {
  std::optional<std::string> sender;         // from MAIL, qualified; "" for <>
  std::string full_name;                     // from NAME
  std::vector<std::string> recipients;       // qualified, domain in lower case, each once
  bool smtputf8 = false;                     // an address has UTF-8 in it (RFC 6531)
  std::optional<std::uint64_t> data_length;  // set by DATA: no command line follows
};

// Why a request is refused: an RFC 3463 status and a text, answered as "error: <status> <text>".
struct PickupRefusal {
  std::string status;  // "5.1.3"
  std::string text;
};

std::string format_pickup_refusal(const PickupRefusal& refusal);

// Applies one command line (its line ending removed) to `request`.
Result<Unit, PickupRefusal> apply_pickup_line(PickupRequest& request, std::string_view line,
                                              const PickupSettings& settings);

// A MAIL or RCPT address, with or without angle brackets, checked with the RFC 5321 path grammar
// (UTF-8 allowed) and qualified as Postfix's append_at_myorigin does: "alice" and "postmaster"
// become "alice@<myorigin>"; the domain is lower-cased. "" for "<>" when `allow_null`.
Result<std::string> local_submission_address(std::string_view text, bool allow_null,
                                             std::string_view myorigin);

// Line endings as SMTP and the spool want them (RFC 5322 §2.1): a bare LF becomes CRLF, CRLF stays,
// and a message whose last line has no ending gets one. Works on pieces of any size.
class LineEndNormalizer {
 public:
  void feed(std::string_view bytes, std::string& out);
  void finish(std::string& out);

 private:
  bool after_cr_ = false;
  bool at_line_start_ = true;
};

// What Postfix's pickup/cleanup write for a local submission:
//   Received: by myhostname (tern, from userid 1000)
//   	id QUEUEID; date
std::string pickup_received_header(std::string_view hostname, std::uint64_t uid,
                                   std::string_view queue_id, std::time_t time);

// The From: field (with CRLF) added to a message that has none (RFC 5322 §3.6.2 requires one):
// "From: Full Name <sender>" or "From: sender"; the null sender shows as MAILER-DAEMON@myorigin.
// The name becomes a quoted-string when it holds specials; control characters are dropped, so a
// name can never start a header line of its own.
std::string pickup_from_field(std::string_view sender, std::string_view full_name,
                              std::string_view myorigin);

// ---- The socket
// ----------------------------------------------------------------------------------

// What the pickup service uses; outlives the service.
struct PickupServices {
  const config::Config* config = nullptr;
  queue::Spool* spool = nullptr;
  std::function<void(const std::string& queue_id)> message_queued;
};

std::string pickup_socket_path(const std::string& queue_directory);

// Creates <queue_directory>/public (0755), removes a stale socket, binds, and opens the socket to
// every local user (0666). The queue_directory itself must be traversable for that, so a mode more
// restrictive than 0755 is widened to 0755 (what Postfix's /var/spool/postfix has); the spool
// folders under it (incoming/, active/, ...) stay 0700.
Result<asio::local::stream_protocol::acceptor> open_pickup_socket(asio::io_context& context,
                                                                  const std::string& path);

asio::awaitable<void> serve_pickup_socket(asio::local::stream_protocol::acceptor acceptor,
                                          PickupServices& services);

}  // namespace tern::server
