// Building the message `tern send` sends (RFC 5322 header, RFC 2045-2049 MIME): Date, From, To, Cc
// (never Bcc: those recipients are in the envelope only), Subject, Message-ID, User-Agent,
// MIME-Version and the user's extra fields; a text body, a text/html alternative
// (multipart/alternative) and attachments (multipart/mixed, base64, RFC 2231 file names).
// Pure: the caller supplies the date, the Message-ID and the boundary's random part.
// Guarantees: CRLF line endings throughout; header fields folded to 78-octet lines and non-ASCII
// header text RFC 2047-encoded unless SMTPUTF8 allows it raw; no line over 998 octets (a text part
// with such a line goes quoted-printable); 8-bit text only as "8bit" when allowed, else
// quoted-printable; every attachment decodes back to its exact bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "mime/mailbox_field.hpp"

namespace tern::mime {

struct Attachment {
  std::string filename;      // shown to the reader: the file's base name
  std::string content;       // the exact bytes
  std::string content_type;  // empty: from the file name's extension
};

struct HeaderField {
  std::string name;
  std::string value;
};

struct MessageSpec {
  MailboxSpec from;
  std::vector<MailboxSpec> to;
  std::vector<MailboxSpec> cc;
  std::string subject;
  // Added after the fields tern writes; one with the name of such a field (Date, From, To, Cc,
  // Subject, Message-ID, User-Agent) replaces it.
  std::vector<HeaderField> headers;
  std::string text;                 // the text/plain body, any line endings
  std::optional<std::string> html;  // a text/html alternative (alone when `text` is empty)
  std::vector<Attachment> attachments;
  std::string date;           // RFC 5322 date-time (mime::rfc5322_date)
  std::string message_id;     // "<...@...>" (mime::make_message_id)
  std::string user_agent;     // "tern/0.1.0"
  std::string boundary_seed;  // random letters and digits: multipart boundaries are made from it
};

struct BuildOptions {
  bool utf8_header = false;  // SMTPUTF8 (RFC 6532): UTF-8 stays raw in header fields
  bool eight_bit = false;    // 8-bit text parts go as "8bit" (the server has 8BITMIME)
};

struct BuiltMessage {
  std::string data;
  bool eight_bit = false;    // a part is "8bit": MAIL FROM needs BODY=8BITMIME
  bool utf8_header = false;  // the header holds raw UTF-8 (only with options.utf8_header)
};

BuiltMessage build_message(const MessageSpec& spec, const BuildOptions& options);

// Fields `--header` may not set: tern writes the MIME structure itself.
bool is_reserved_header_name(std::string_view name);

// "Name: value" from the command line: a name of printable ASCII without ':' or spaces (RFC 5322
// §3.6.8), a value without CR or LF. The error says what is wrong.
Result<HeaderField> parse_header_argument(std::string_view text);

// CRLF, bare LF and bare CR all become CRLF (RFC 5322 §2.3); the result ends with CRLF unless
// empty.
std::string normalize_line_endings(std::string_view text);

}  // namespace tern::mime
