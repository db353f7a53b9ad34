// Q encoding when at least half the octets are plain (readable in the raw header), B otherwise;
// either way in the restricted "phrase" character set (§5 rule 3), which is valid in every context.
#include "mime/encoded_word.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "base/base64.hpp"

namespace tern::mime {
namespace {

constexpr std::size_t kMaxEncodedWord = 75;
constexpr std::string_view kPrefixQ = "=?utf-8?q?";
constexpr std::string_view kPrefixB = "=?utf-8?b?";
// A word longer than this cannot be folded onto a line of 78 with its field name.
constexpr std::size_t kMaxPlainWord = 76;

bool is_q_literal(unsigned char octet) {
  return (octet >= 'A' && octet <= 'Z') || (octet >= 'a' && octet <= 'z') ||
         (octet >= '0' && octet <= '9') || octet == '!' || octet == '*' || octet == '+' ||
         octet == '-' || octet == '/';
}

std::string q_encode(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto octet = static_cast<unsigned char>(c);
    if (octet == ' ') {
      out += '_';  // §4.2 rule 2
    } else if (is_q_literal(octet)) {
      out += c;
    } else {
      out += fmt::format("={:02X}", octet);
    }
  }
  return out;
}

// The length of the UTF-8 character starting at text[pos] (1 for a byte that starts none).
std::size_t character_length(std::string_view text, std::size_t pos) {
  auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (pos + length > text.size()) return 1;
  for (std::size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[pos + i]) & 0xC0) != 0x80) return 1;
  }
  return length;
}

// Whole characters of `text`, each as a view.
std::vector<std::string_view> characters(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t length = character_length(text, pos);
    out.push_back(text.substr(pos, length));
    pos += length;
  }
  return out;
}

std::size_t encoded_length(std::string_view chunk, bool base64) {
  if (base64) return (chunk.size() + 2) / 3 * 4;
  return q_encode(chunk).size();
}

// `text` as encoded-words separated by spaces, each within 75 characters.
std::string encode_words(std::string_view text) {
  std::size_t escaped = std::count_if(text.begin(), text.end(), [](char c) {
    auto octet = static_cast<unsigned char>(c);
    return !is_q_literal(octet) && octet != ' ';
  });
  bool base64 = escaped * 2 > text.size();
  std::string_view prefix = base64 ? kPrefixB : kPrefixQ;
  std::size_t room = kMaxEncodedWord - prefix.size() - 2;  // 2: "?="
  std::vector<std::string> words;
  std::string chunk;
  auto flush = [&] {
    if (chunk.empty()) return;
    std::string encoded = base64 ? base64_encode(chunk) : q_encode(chunk);
    words.push_back(fmt::format("{}{}?=", prefix, encoded));
    chunk.clear();
  };
  for (std::string_view character : characters(text)) {
    if (!chunk.empty() && encoded_length(chunk + std::string(character), base64) > room) flush();
    chunk += character;
  }
  flush();
  return fmt::format("{}", fmt::join(words, " "));
}

bool needs_encoding(std::string_view word, bool utf8_allowed) {
  if (word.size() > kMaxPlainWord || word.find("=?") != std::string_view::npos) return true;
  return std::any_of(word.begin(), word.end(), [utf8_allowed](char c) {
    auto octet = static_cast<unsigned char>(c);
    return octet < 0x20 || octet == 0x7F || (octet >= 0x80 && !utf8_allowed);
  });
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

bool is_plain_header_text(std::string_view text) {
  if (text.find("=?") != std::string_view::npos) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto octet = static_cast<unsigned char>(c);
    return c == '\t' || (octet >= 0x20 && octet < 0x7F);
  });
}

std::string encode_unstructured(std::string_view text, bool utf8_allowed) {
  // Words and the white space before each: [space, word] pairs.
  struct Word {
    std::string_view space;
    std::string_view text;
    bool encode;
  };
  std::vector<Word> words;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t start = pos;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    std::size_t word_start = pos;
    while (pos < text.size() && !is_space(text[pos])) ++pos;
    std::string_view word = text.substr(word_start, pos - word_start);
    words.push_back({text.substr(start, word_start - start), word,
                     !word.empty() && needs_encoding(word, utf8_allowed)});
  }
  std::string out;
  for (std::size_t i = 0; i < words.size();) {
    if (!words[i].encode) {
      out.append(words[i].space).append(words[i].text);
      ++i;
      continue;
    }
    // A run of words to encode, with the white space between them (§6.2: white space between
    // adjacent encoded-words is not displayed, so it must be inside them).
    std::size_t end = i + 1;
    while (end < words.size() && words[end].encode) ++end;
    std::string run(words[i].text);
    for (std::size_t j = i + 1; j < end; ++j) run.append(words[j].space).append(words[j].text);
    out.append(words[i].space);
    out += encode_words(run);
    i = end;
  }
  return out;
}

std::string encode_phrase(std::string_view phrase) {
  return encode_words(phrase);
}

}  // namespace tern::mime
