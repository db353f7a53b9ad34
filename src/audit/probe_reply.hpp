// What one audit probe got back, as a plain value the verdicts judge: a whole SMTP reply (RFC 5321
// §4.2), something that is not SMTP (an HTTP status line), or no reply at all (the server closed
// the connection, or stayed silent past the deadline). Guarantees: summary() is one line of
// printable ASCII, safe to print and to put in JSON.
#pragma once

#include <string>
#include <string_view>

#include "smtp/remote_reply.hpp"

namespace tern::audit {

struct ProbeReply {
  enum class Kind {
    Reply,     // a well-formed SMTP reply
    NotSmtp,   // bytes that are not an SMTP reply ("HTTP/1.1 400 Bad Request")
    Closed,    // the server closed the connection (or reset it) first
    TimedOut,  // nothing complete arrived before the deadline
    NotSent,   // the probe could not be written (the connection was gone)
  };

  Kind kind = Kind::NotSent;
  std::string raw;           // what was received, as received (complete lines)
  smtp::RemoteReply parsed;  // meaningful for Kind::Reply

  // The reply's code; 0 when there is no SMTP reply.
  int code() const { return kind == Kind::Reply ? parsed.code : 0; }
  bool answered() const { return kind == Kind::Reply; }
  bool positive() const { return kind == Kind::Reply && parsed.is_positive(); }

  // "550 5.1.1 <x@y>: Recipient address rejected" (the lines joined by a space, at most 300
  // octets), "(connection closed)", "(no reply within the timeout)", "(not SMTP: HTTP/1.1 400)".
  std::string summary() const;

  // A complete reply (framed by smtp::complete_reply_length) as Reply, or NotSmtp when it does
  // not parse as one.
  static ProbeReply from_raw(std::string raw);
  static ProbeReply closed(std::string partial = {});
  static ProbeReply timed_out(std::string partial = {});
  static ProbeReply not_sent();
};

std::string_view probe_reply_kind_name(ProbeReply::Kind kind);  // "reply", "closed", ...

}  // namespace tern::audit
