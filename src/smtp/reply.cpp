// Reply wire format (RFC 5321 §4.2.1): "CODE-" on every line but the last, "CODE " on the last,
// with the enhanced status code repeated on each line (RFC 2034 §4).
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
    if (i < reply.lines.size()) out += reply.lines[i];
    out += "\r\n";
  }
}

std::string format_reply(const Reply& reply) {
  std::string out;
  append_reply(out, reply);
  return out;
}

}  // namespace tern::smtp
