// RFC 5321 §4.1.2 paths: dot-string or quoted local parts, domains and address literals, source
// routes (accepted, ignored: §C), <> and <postmaster>. Non-ASCII only with SMTPUTF8 (RFC 6531 §3.3)
// and only as well-formed UTF-8. Limits of §4.5.3.1. A strict grammar, no special cases (cf.
// CVE-2020-7247).
#include "smtp/address.hpp"

#include <string_view>

#include "base/ip_address.hpp"
#include "base/strings.hpp"

namespace tern::smtp {
namespace {

constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxDomain = 255;
constexpr std::size_t kMaxPath = 256;

using Failure = AddressFailure;

bool is_alpha_digit(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_atext(unsigned char c) {
  if (is_alpha_digit(c)) return true;
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool has_non_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// Well-formed UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    int length = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (length == 0 || i + static_cast<std::size_t>(length) > text.size()) return false;
    std::uint32_t code = length == 1 ? c : c & (0x7F >> length);
    for (int k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += static_cast<std::size_t>(length);
  }
  return true;
}

bool is_dot_string(std::string_view text, bool utf8) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char previous = 0;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (previous == '.') return false;
    } else if (!is_atext(u) && !(utf8 && u >= 0x80)) {
      return false;
    }
    previous = c;
  }
  return true;
}

// Quoted-string with qtextSMTP and quoted-pairSMTP; returns the length consumed including both
// quotes, or 0 when malformed.
std::size_t quoted_string_length(std::string_view text, bool utf8) {
  if (text.empty() || text.front() != '"') return 0;
  for (std::size_t i = 1; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') return i + 1;
    if (c == '\\') {
      if (i + 1 >= text.size()) return 0;
      unsigned char escaped = static_cast<unsigned char>(text[++i]);
      if (escaped < 32 || escaped > 126) return 0;
    } else if (!((c >= 32 && c <= 126) || (utf8 && c >= 0x80))) {
      return 0;
    }
  }
  return 0;
}

bool is_domain(std::string_view domain, bool utf8) {
  if (domain.empty() || domain.size() > kMaxDomain) return false;
  std::size_t start = 0;
  while (start <= domain.size()) {
    std::size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      unsigned char u = static_cast<unsigned char>(c);
      if (!is_alpha_digit(u) && c != '-' && !(utf8 && u >= 0x80)) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// "[1.2.3.4]", "[IPv6:::1]" or a General-address-literal "[tag:content]".
bool is_address_literal(std::string_view literal) {
  if (literal.size() < 3 || literal.front() != '[' || literal.back() != ']') return false;
  std::string_view inner = literal.substr(1, literal.size() - 2);
  // IpAddress::parse would strip a second pair of brackets: "[[1.2.3.4]]" is no literal.
  if (inner.find_first_of("[]") != std::string_view::npos) return false;
  if (istarts_with(inner, "IPv6:")) {
    auto address = IpAddress::parse(inner.substr(5));
    return address && !address->is_v4;
  }
  if (auto address = IpAddress::parse(inner)) return address->is_v4;
  std::size_t colon = inner.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == inner.size()) return false;
  for (char c : inner.substr(0, colon)) {
    if (!is_alpha_digit(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  for (char c : inner.substr(colon + 1)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == '[' || c == ']' || c == '\\') return false;
  }
  return true;
}

// Removes a source route "@a,@b:" (RFC 5321 §4.1.2 A-d-l), which is accepted and ignored (§C).
bool strip_source_route(std::string_view& text, bool utf8) {
  if (text.empty() || text.front() != '@') return true;
  // The route ends at the first ':' outside an address literal ("@[IPv6:::1]:" has three inside).
  std::size_t colon = 0;
  for (bool in_literal = false; colon < text.size(); ++colon) {
    if (text[colon] == '[') in_literal = true;
    if (text[colon] == ']') in_literal = false;
    if (text[colon] == ':' && !in_literal) break;
  }
  if (colon == text.size()) return false;
  std::string_view route = text.substr(0, colon);
  std::size_t start = 0;
  while (true) {  // every hop, including an empty one after a trailing comma, must be "@domain"
    std::size_t comma = route.find(',', start);
    std::string_view hop =
        route.substr(start, comma == std::string_view::npos ? route.npos : comma - start);
    if (hop.size() < 2 || hop.front() != '@') return false;
    std::string_view domain = hop.substr(1);
    if (!is_domain(domain, utf8) && !is_address_literal(domain)) return false;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  text.remove_prefix(colon + 1);
  return true;
}

Result<Mailbox, Failure> parse_mailbox(std::string_view text, bool utf8) {
  Failure syntax{AddressError::Syntax, "bad address syntax"};
  if (iequals(text, "postmaster")) return Mailbox{std::string(text), "", false};
  std::size_t local_length = 0;
  if (!text.empty() && text.front() == '"') {
    local_length = quoted_string_length(text, utf8);
    if (local_length == 0) return syntax;
  } else {
    local_length = text.rfind('@');
    // "@domain" with no local part: what is left of "<@route:@domain>" once the route is gone.
    if (local_length == std::string_view::npos || local_length == 0) return syntax;
  }
  std::string_view local = text.substr(0, local_length);
  if (local_length >= text.size() || text[local_length] != '@') return syntax;
  std::string_view domain = text.substr(local_length + 1);
  if (local.front() != '"' && !is_dot_string(local, utf8)) return syntax;
  if (!is_domain(domain, utf8) && !is_address_literal(domain)) {
    return domain.size() > kMaxDomain ? Failure{AddressError::TooLong, "domain too long"} : syntax;
  }
  if (local.size() > kMaxLocalPart) return Failure{AddressError::TooLong, "local part too long"};
  return Mailbox{std::string(local), std::string(domain), false};
}

}  // namespace

bool Mailbox::is_postmaster() const {
  return domain.empty() && iequals(local_part, "postmaster");
}

bool Mailbox::has_utf8() const {
  return has_non_ascii(local_part) || has_non_ascii(domain);
}

std::string Mailbox::address() const {
  if (is_null) return "";
  if (domain.empty()) return local_part;
  return local_part + "@" + domain;
}

Result<Mailbox, AddressFailure> parse_path(std::string_view text, bool allow_null,
                                           bool allow_utf8) {
  text = trim(text);
  if (text.size() > kMaxPath) return Failure{AddressError::TooLong, "path too long"};
  std::string_view inner = text;
  if (!text.empty() && text.front() == '<') {
    if (text.size() < 2 || text.back() != '>') return Failure{AddressError::Syntax, "missing '>'"};
    inner = text.substr(1, text.size() - 2);
  }
  if (inner.empty()) {
    if (!allow_null) return Failure{AddressError::Syntax, "null address"};
    Mailbox null;
    null.is_null = true;
    return null;
  }
  if (has_non_ascii(inner)) {
    if (!allow_utf8) return Failure{AddressError::Utf8Needs8, "UTF-8 address without SMTPUTF8"};
    if (!is_valid_utf8(inner)) return Failure{AddressError::Syntax, "malformed UTF-8"};
  }
  if (!strip_source_route(inner, allow_utf8)) return Failure{AddressError::Syntax, "bad route"};
  return parse_mailbox(inner, allow_utf8);
}

std::string unquoted_local_part(std::string_view local_part) {
  if (local_part.size() < 2 || local_part.front() != '"' || local_part.back() != '"') {
    return std::string(local_part);
  }
  std::string out;
  std::string_view inner = local_part.substr(1, local_part.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
    out += inner[i];
  }
  return out;
}

}  // namespace tern::smtp
