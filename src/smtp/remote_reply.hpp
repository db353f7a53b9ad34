// A remote SMTP server's reply as the delivery agent reads it (RFC 5321 §4.2, §4.2.1 multi-line
// replies; enhanced status codes RFC 3463 / RFC 2034 §4): the code the decision rests on, the
// enhanced status for the DSN (taken from the reply as Postfix's smtp client takes it, else the
// class of the code: 2.0.0 / 4.0.0 / 5.0.0) and the text for logs and Diagnostic-Code. Guarantees:
// any input gives a value; anything that is not a well-formed reply is marked malformed (code 0),
// which defers rather than bounces, and the kept text is printable ASCII of bounded length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tern::smtp {

struct RemoteReply {
  // At most this much text (and diagnostic) is kept: Postfix's line_length_limit for replies.
  static constexpr std::size_t kMaxText = 2048;

  int code = 0;        // 200..599; 0 when the reply is malformed
  std::string status;  // "5.1.1", derived "5.0.0" when the server sent none; "4.5.0" when
                       // malformed; empty for 3xx (RFC 3463 has no class 3)
  bool status_from_server = false;
  std::string text;        // the lines' texts without code and status, joined by a space
  std::string diagnostic;  // the reply as sent, lines joined by a space ("550-5.1.1 a 550 5.1.1 b")
  std::string error;       // malformed only: what is wrong, for the log

  bool malformed() const { return code == 0; }
  bool is_positive() const { return code >= 200 && code < 300; }
  bool is_intermediate() const { return code >= 300 && code < 400; }  // 354 after DATA
  // 4xx, and a malformed reply: garbage proves nothing final about the recipient, so defer.
  bool is_transient() const { return malformed() || (code >= 400 && code < 500); }
  bool is_permanent() const { return code >= 500; }

  // RFC 3464 §2.3.6 Diagnostic-Code value: "smtp; 550 5.1.1 <x>: Recipient address rejected".
  std::string diagnostic_code() const;
};

// `raw`: the reply's lines, each ending in CRLF (or LF); the last line ending may be missing.
RemoteReply parse_remote_reply(std::string_view raw);

// The lines of a reply (or any CRLF or LF text) without their line endings; a final line ending
// starts no empty line.
std::vector<std::string_view> split_reply_lines(std::string_view raw);

}  // namespace tern::smtp
