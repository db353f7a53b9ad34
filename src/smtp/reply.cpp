// Reply wire format (RFC 5321 §4.2.1): "CODE-" on every line but the last, "CODE " on the last,
// with the enhanced status code repeated on each line (RFC 2034 §4). Control characters in the
// text become '?', so a line is always exactly one line.
#include "smtp/reply.hpp"

namespace tern::smtp {

Reply make_reply(int code, std::string status, std::string text) {
  return Reply{code, std::move(status), {std::move(text)}};
}

void append_reply(std::string& out, const Reply& reply) {
  std::string code = std::to_string(reply.code);
  std::size_t count = reply.lines.empty() ? 1 : reply.lines.size();
  for (std::size_t i = 0; i < count; ++i) {
    out += code;
    out += i + 1 < count ? '-' : ' ';
    if (!reply.status.empty()) {
      out += reply.status;
      out += ' ';
    }
    if (i < reply.lines.size()) {
      // RFC 5321 §4.2 textstring is HT and printable characters: client text echoed in a reply
      // ("Unsupported option: ...") must not carry a CR, NUL or other control into the reply.
      for (char c : reply.lines[i]) {
        bool control = (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F;
        out += control ? '?' : c;
      }
    }
    out += "\r\n";
  }
}

std::string format_reply(const Reply& reply) {
  std::string out;
  append_reply(out, reply);
  return out;
}

}  // namespace tern::smtp
