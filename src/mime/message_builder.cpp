// The builder works bottom-up: each part is its header lines, a blank line and its encoded body;
// multiparts wrap parts with a boundary that none of their encoded contents holds (RFC 2046
// §5.1.1). Boundaries start with "=_", which quoted-printable and base64 can never produce.
#include "mime/message_builder.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/base64.hpp"
#include "base/strings.hpp"
#include "mime/content_type.hpp"
#include "mime/encoded_word.hpp"
#include "mime/header_folding.hpp"
#include "mime/mime_parameter.hpp"
#include "mime/quoted_printable.hpp"

namespace tern::mime {
namespace {

constexpr std::size_t kMaxLine = 998;         // RFC 5321 §4.5.3.1.6, RFC 5322 §2.1.1
constexpr std::size_t kBase64LineChars = 76;  // RFC 2045 §6.8
constexpr std::string_view kPreamble = "This is a multi-part message in MIME format.\r\n";

struct Part {
  std::string header;  // folded fields, each ending in CRLF
  std::string body;
  bool eight_bit = false;
};

bool has_8bit(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Text that cannot go as 7bit/8bit lines: a line over 998 octets, or NUL (RFC 2045 §2.7-2.8).
bool needs_quoted_printable(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return true;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    if (end - start > kMaxLine) return true;
    start = end + 2;
  }
  return false;
}

Part text_part(std::string_view subtype, std::string_view text, bool eight_bit_allowed) {
  std::string body = normalize_line_endings(text);
  bool eight_bit = has_8bit(body);
  Part part;
  part.header = fold_header_field("Content-Type", fmt::format("text/{}; charset={}", subtype,
                                                              eight_bit ? "utf-8" : "us-ascii"));
  std::string_view encoding = "7bit";
  if (needs_quoted_printable(body) || (eight_bit && !eight_bit_allowed)) {
    encoding = "quoted-printable";
    body = quoted_printable_encode(body);
  } else if (eight_bit) {
    encoding = "8bit";
    part.eight_bit = true;
  }
  part.header += fold_header_field("Content-Transfer-Encoding", encoding);
  part.body = std::move(body);
  return part;
}

std::string base64_lines(std::string_view bytes) {
  std::string encoded = base64_encode(bytes);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / kBase64LineChars * 2 + 2);
  for (std::size_t pos = 0; pos < encoded.size(); pos += kBase64LineChars) {
    out.append(encoded, pos, kBase64LineChars).append("\r\n");
  }
  return out;
}

Part attachment_part(const Attachment& attachment) {
  std::string type = attachment.content_type.empty()
                         ? content_type_for_filename(attachment.filename)
                         : attachment.content_type;
  Part part;
  // `name` on Content-Type as well, for readers older than RFC 2183's Content-Disposition.
  part.header = fold_header_field(
      "Content-Type",
      with_mime_parameters(type, {format_mime_parameter("name", attachment.filename)}));
  part.header += fold_header_field(
      "Content-Disposition",
      with_mime_parameters("attachment", {format_mime_parameter("filename", attachment.filename)}));
  part.header += fold_header_field("Content-Transfer-Encoding", "base64");
  part.body = base64_lines(attachment.content);
  return part;
}

std::string render(const Part& part) {
  return part.header + "\r\n" + part.body;
}

// A boundary that no part holds as a line start "--boundary" (RFC 2046 §5.1.1).
std::string unique_boundary(std::string base, const std::vector<Part>& parts) {
  while (std::any_of(parts.begin(), parts.end(), [&](const Part& part) {
    return render(part).find("--" + base) != std::string::npos;
  })) {
    base += "_x";
  }
  return base;
}

Part multipart(std::string_view subtype, const std::vector<Part>& parts, std::string boundary) {
  boundary = unique_boundary(std::move(boundary), parts);
  Part out;
  out.header = fold_header_field(
      "Content-Type", with_mime_parameters(fmt::format("multipart/{}", subtype),
                                           {format_mime_parameter("boundary", boundary)}));
  out.body = std::string(kPreamble);
  for (const Part& part : parts) {
    out.body += fmt::format("\r\n--{}\r\n", boundary);
    out.body += render(part);
    out.eight_bit = out.eight_bit || part.eight_bit;
  }
  out.body += fmt::format("\r\n--{}--\r\n", boundary);
  return out;
}

std::string mailbox_list(const std::vector<MailboxSpec>& mailboxes, bool utf8) {
  std::vector<std::string> formatted;
  for (const MailboxSpec& mailbox : mailboxes) formatted.push_back(format_mailbox(mailbox, utf8));
  return fmt::format("{}", fmt::join(formatted, ", "));
}

bool replaced_by_user(const MessageSpec& spec, std::string_view name) {
  return std::any_of(spec.headers.begin(), spec.headers.end(),
                     [name](const HeaderField& field) { return iequals(field.name, name); });
}

std::string header_section(const MessageSpec& spec, const BuildOptions& options) {
  bool utf8 = options.utf8_header;
  std::vector<HeaderField> fields = {
      {"Date", spec.date},
      {"From", format_mailbox(spec.from, utf8)},
      {"To", mailbox_list(spec.to, utf8)},
      {"Cc", mailbox_list(spec.cc, utf8)},
      {"Subject", encode_unstructured(spec.subject, utf8)},
      {"Message-ID", spec.message_id},
      {"User-Agent", spec.user_agent},
  };
  std::string out;
  for (const HeaderField& field : fields) {
    if (field.value.empty() || replaced_by_user(spec, field.name)) continue;
    out += fold_header_field(field.name, field.value);
  }
  for (const HeaderField& field : spec.headers) {
    out += fold_header_field(field.name, encode_unstructured(field.value, utf8));
  }
  out += fold_header_field("MIME-Version", "1.0");
  return out;
}

}  // namespace

BuiltMessage build_message(const MessageSpec& spec, const BuildOptions& options) {
  std::string boundary = fmt::format("=_tern_{}", spec.boundary_seed);
  std::vector<Part> bodies;
  if (!spec.text.empty() || !spec.html)
    bodies.push_back(text_part("plain", spec.text, options.eight_bit));
  if (spec.html) bodies.push_back(text_part("html", *spec.html, options.eight_bit));
  Part content =
      bodies.size() == 1 ? bodies[0] : multipart("alternative", bodies, boundary + "_alt");
  if (!spec.attachments.empty()) {
    std::vector<Part> parts = {content};
    for (const Attachment& attachment : spec.attachments)
      parts.push_back(attachment_part(attachment));
    content = multipart("mixed", parts, boundary + "_mix");
  }
  BuiltMessage message;
  std::string header = header_section(spec, options);
  message.utf8_header = has_8bit(header);
  message.eight_bit = content.eight_bit;
  message.data = header + render(content);
  return message;
}

bool is_reserved_header_name(std::string_view name) {
  return iequals(name, "MIME-Version") || iequals(name, "Content-Type") ||
         iequals(name, "Content-Transfer-Encoding");
}

Result<HeaderField> parse_header_argument(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Error{fmt::format("--header \"{}\": expected \"Name: value\"", printable_ascii(text))};
  }
  std::string_view name = text.substr(0, colon);
  bool valid_name = std::all_of(name.begin(), name.end(), [](char c) {
    auto octet = static_cast<unsigned char>(c);
    return octet > 0x20 && octet < 0x7F;  // RFC 5322 §3.6.8 ftext (':' excluded by the split)
  });
  if (!valid_name) {
    return Error{fmt::format("--header \"{}\": a field name is printable ASCII without spaces",
                             printable_ascii(text))};
  }
  std::string_view value = trim(text.substr(colon + 1));
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    return Error{fmt::format("--header {}: the value holds a line break", name)};
  }
  if (is_reserved_header_name(name)) {
    return Error{fmt::format(
        "--header {}: tern writes the MIME structure itself (use --data to send a message as is)",
        name)};
  }
  return HeaderField{std::string(name), std::string(value)};
}

std::string normalize_line_endings(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0)) {
    out += "\r\n";
  }
  return out;
}

}  // namespace tern::mime
