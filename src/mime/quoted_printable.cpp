#include "mime/quoted_printable.hpp"

#include <fmt/format.h>

namespace tern::mime {
namespace {

constexpr std::size_t kMaxLine = 76;  // RFC 2045 §6.7 rule 5, the "=" of a soft break included

// The encoding of one octet of a line: itself when it may stand for itself (rule 2: printable
// ASCII but '='; white space only when more of the line follows, rule 3).
std::string encode_octet(unsigned char octet, bool last_in_line) {
  bool literal = (octet >= 33 && octet <= 126 && octet != '=') ||
                 ((octet == ' ' || octet == '\t') && !last_in_line);
  if (literal) return std::string(1, static_cast<char>(octet));
  return fmt::format("={:02X}", octet);
}

void encode_line(std::string_view line, std::string& out) {
  std::size_t length = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    bool last = i + 1 == line.size();
    std::string piece = encode_octet(static_cast<unsigned char>(line[i]), last);
    // Room for the piece, and for the "=" of a soft break unless the line ends with it.
    std::size_t room = last ? kMaxLine : kMaxLine - 1;
    if (length + piece.size() > room) {
      out += "=\r\n";  // rule 5: soft line break
      length = 0;
    }
    out += piece;
    length += piece.size();
  }
}

}  // namespace

std::string quoted_printable_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find("\r\n", pos);
    if (end == std::string_view::npos) {
      encode_line(text.substr(pos), out);
      break;
    }
    encode_line(text.substr(pos, end - pos), out);
    out += "\r\n";
    pos = end + 2;
  }
  return out;
}

}  // namespace tern::mime
