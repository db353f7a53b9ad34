#include "mime/address_fields.hpp"

#include <utility>
#include <vector>

#include "base/strings.hpp"

namespace tern::mime {
namespace {

constexpr std::string_view kAddressFields[] = {
    "from",        "sender",        "reply-to",  "to",        "cc",        "bcc",
    "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-bcc"};

// RFC 5322 atext, '.' and '@', plus UTF-8 octets (RFC 6532): what an unquoted addr-spec is made of.
bool is_address_char(char c) {
  auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~.@").find(c) != std::string_view::npos;
}

// End of the quoted string or comment opening at `start` (one past its closing character), with
// backslash escapes and, for comments, nesting.
std::size_t skip_delimited(std::string_view value, std::size_t start) {
  bool comment = value[start] == '(';
  int depth = 1;
  for (std::size_t i = start + 1; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\') {
      ++i;
    } else if (comment && c == '(') {
      ++depth;
    } else if (c == (comment ? ')' : '"') && --depth == 0) {
      return i + 1;
    }
  }
  return value.size();
}

bool is_plain_addr_spec(std::string_view text) {
  std::size_t at = text.rfind('@');
  return at != std::string_view::npos && at > 0 && at + 1 < text.size() &&
         text.find_first_of(":,\"") == std::string_view::npos && text.front() != '@';
}

// The spans (offset, length) of the addr-specs in one field's value.
std::vector<std::pair<std::size_t, std::size_t>> address_spans(std::string_view value) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::size_t i = 0;
  while (i < value.size()) {
    char c = value[i];
    if (c == '"' || c == '(') {
      i = skip_delimited(value, i);
    } else if (c == '<') {
      std::size_t close = value.find('>', i + 1);
      if (close == std::string_view::npos) break;
      std::string_view inside = value.substr(i + 1, close - i - 1);
      if (is_plain_addr_spec(inside)) spans.emplace_back(i + 1, inside.size());
      i = close + 1;
    } else if (is_address_char(c)) {
      std::size_t end = i;
      while (end < value.size() && is_address_char(value[end])) ++end;
      std::string_view word = value.substr(i, end - i);
      // A word followed by '"' or '(' at once is part of something else; an addr-spec ends at
      // whitespace, ',', ';', '>' or the end.
      if (is_plain_addr_spec(word) && (end == value.size() || value[end] != '"')) {
        spans.emplace_back(i, word.size());
      }
      i = end;
    } else {
      ++i;
    }
  }
  return spans;
}

}  // namespace

bool is_address_field(std::string_view name) {
  for (std::string_view field : kAddressFields) {
    if (iequals(name, field)) return true;
  }
  return false;
}

std::string rewrite_address_fields(std::string_view header,
                                   const std::function<std::string(std::string_view)>& rewrite) {
  std::string out;
  out.reserve(header.size());
  std::size_t position = 0;
  while (position < header.size()) {
    // One field: its first line and every continuation line (starting with space or tab).
    std::size_t end = position;
    do {
      std::size_t newline = header.find('\n', end);
      end = newline == std::string_view::npos ? header.size() : newline + 1;
    } while (end < header.size() && (header[end] == ' ' || header[end] == '\t'));
    std::string_view field = header.substr(position, end - position);
    position = end;
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos || !is_address_field(trim(field.substr(0, colon)))) {
      out += field;
      continue;
    }
    std::size_t last = colon + 1;
    out += field.substr(0, last);
    for (auto [offset, length] : address_spans(field.substr(colon + 1))) {
      out += field.substr(last, colon + 1 + offset - last);
      out += rewrite(field.substr(colon + 1 + offset, length));
      last = colon + 1 + offset + length;
    }
    out += field.substr(last);
  }
  return out;
}

}  // namespace tern::mime
