#include "mime/mailbox_field.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.hpp"
#include "mime/encoded_word.hpp"

namespace tern::mime {
namespace {

// RFC 5322 §3.2.3 atext, plus the spaces between the atoms of a phrase; with UTF-8 allowed, RFC
// 6532 §3.2 adds non-ASCII characters.
bool is_phrase_char(char c, bool utf8_allowed) {
  auto octet = static_cast<unsigned char>(c);
  if (octet >= 0x80) return utf8_allowed;
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ') {
    return true;
  }
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool needs_encoding(std::string_view name, bool utf8_allowed) {
  if (name.find("=?") != std::string_view::npos) return true;
  return std::any_of(name.begin(), name.end(), [utf8_allowed](char c) {
    auto octet = static_cast<unsigned char>(c);
    return octet < 0x20 || octet == 0x7F || (octet >= 0x80 && !utf8_allowed);
  });
}

std::string quoted_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return std::string(text);
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

}  // namespace

Result<MailboxSpec> parse_mailbox_argument(std::string_view text) {
  text = trim(text);
  MailboxSpec mailbox;
  if (!text.empty() && text.back() == '>') {
    std::size_t open = text.rfind('<');
    if (open == std::string_view::npos) {
      return Error{fmt::format("\"{}\": '>' without '<'", printable_ascii(text))};
    }
    mailbox.display_name = unquote(trim(text.substr(0, open)));
    mailbox.address = std::string(trim(text.substr(open + 1, text.size() - open - 2)));
  } else if (text.find('<') != std::string_view::npos) {
    return Error{fmt::format("\"{}\": '<' without a closing '>'", printable_ascii(text))};
  } else {
    mailbox.address = std::string(text);
  }
  if (mailbox.address.empty()) {
    return Error{fmt::format("\"{}\": no address", printable_ascii(text))};
  }
  return mailbox;
}

std::string format_mailbox(const MailboxSpec& mailbox, bool utf8_allowed) {
  const std::string& name = mailbox.display_name;
  if (name.empty()) return mailbox.address;
  std::string phrase;
  if (needs_encoding(name, utf8_allowed)) {
    phrase = encode_phrase(name);
  } else if (std::all_of(name.begin(), name.end(),
                         [utf8_allowed](char c) { return is_phrase_char(c, utf8_allowed); }) &&
             name.front() != ' ' && name.back() != ' ' && name.find("  ") == std::string::npos) {
    phrase = name;
  } else {
    phrase = quoted_string(name);
  }
  return fmt::format("{} <{}>", phrase, mailbox.address);
}

}  // namespace tern::mime
