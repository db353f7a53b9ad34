#include "mime/mime_parameter.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tern::mime {
namespace {

// Characters of each piece's value (after "name*N*="), small enough for a 78-octet line.
constexpr std::size_t kPieceValue = 48;

// RFC 2045 §5.1 tspecials.
bool is_tspecial(char c) {
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos;
}

bool is_token(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    auto octet = static_cast<unsigned char>(c);
    return octet > 0x20 && octet < 0x7F && !is_tspecial(c);
  });
}

bool is_printable_ascii(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    auto octet = static_cast<unsigned char>(c);
    return octet >= 0x20 && octet < 0x7F;
  });
}

// RFC 2231 §7 attribute-char: ASCII printable but SPACE, tspecials, '*', '\'' and '%'.
bool is_attribute_char(char c) {
  auto octet = static_cast<unsigned char>(c);
  return octet > 0x20 && octet < 0x7F && !is_tspecial(c) && c != '*' && c != '\'' && c != '%';
}

std::string quoted(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::vector<std::string> format_mime_parameter(std::string_view name, std::string_view value) {
  if (is_printable_ascii(value) && value.size() <= kPieceValue) {
    return {fmt::format("{}={}", name, is_token(value) ? std::string(value) : quoted(value))};
  }
  if (is_printable_ascii(value)) {
    // §3: plain continuations, each a quoted-string.
    std::vector<std::string> pieces;
    for (std::size_t pos = 0, n = 0; pos < value.size(); pos += kPieceValue, ++n) {
      pieces.push_back(fmt::format("{}*{}={}", name, n, quoted(value.substr(pos, kPieceValue))));
    }
    return pieces;
  }
  // §4: charset'language'percent-encoded octets; §4.1 with continuations when long.
  std::vector<std::string> encoded{""};
  for (char c : value) {
    std::string octet =
        is_attribute_char(c)
            ? std::string(1, c)
            : fmt::format("%{:02X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    if (encoded.back().size() + octet.size() > kPieceValue) encoded.emplace_back();
    encoded.back() += octet;
  }
  if (encoded.size() == 1) return {fmt::format("{}*=utf-8''{}", name, encoded[0])};
  std::vector<std::string> pieces;
  for (std::size_t n = 0; n < encoded.size(); ++n) {
    pieces.push_back(fmt::format("{}*{}*={}{}", name, n, n == 0 ? "utf-8''" : "", encoded[n]));
  }
  return pieces;
}

std::string with_mime_parameters(std::string_view value,
                                 const std::vector<std::vector<std::string>>& parameters) {
  std::string out(value);
  for (const auto& pieces : parameters) {
    for (const std::string& piece : pieces) out += "; " + piece;
  }
  return out;
}

}  // namespace tern::mime
