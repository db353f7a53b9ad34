// RFC 2047 encoded-words: a reference decoder (§6.2: adjacent encoded-words join without the white
// space between them) gives back the exact text; words are at most 75 characters, hold whole UTF-8
// characters, and plain words stay plain.
#include "mime/encoded_word.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "base/base64.hpp"

namespace tern::mime {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_word(const std::string& encoding, const std::string& text) {
  if (encoding == "b" || encoding == "B") return base64_decode(text).value_or("<bad base64>");
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=') {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The displayed text of an unstructured field body.
std::string decode(const std::string& field) {
  static const std::regex word(R"(=\?([^?]+)\?([qQbB])\?([^?]*)\?=)");
  std::string out;
  std::size_t pos = 0;
  bool previous_encoded = false;
  for (auto it = std::sregex_iterator(field.begin(), field.end(), word);
       it != std::sregex_iterator(); ++it) {
    std::string between = field.substr(pos, it->position() - pos);
    bool only_space = between.find_first_not_of(" \t") == std::string::npos;
    if (!(previous_encoded && only_space)) out += between;
    EXPECT_EQ((*it)[1].str(), "utf-8");
    EXPECT_LE(it->length(), 75) << it->str();
    out += decode_word((*it)[2].str(), (*it)[3].str());
    pos = it->position() + it->length();
    previous_encoded = true;
  }
  return out + field.substr(pos);
}

bool valid_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80    ? 1
                         : lead >= 0xF0 ? 4
                         : lead >= 0xE0 ? 3
                         : lead >= 0xC0 ? 2
                                        : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t j = 1; j < length; ++j) {
      if ((static_cast<unsigned char>(text[i + j]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

TEST(EncodedWordTest, AsciiStaysPlain) {
  EXPECT_EQ(encode_unstructured("Hello there, world", false), "Hello there, world");
  EXPECT_TRUE(is_plain_header_text("Hello there"));
  EXPECT_FALSE(is_plain_header_text("Grüße"));
  EXPECT_FALSE(is_plain_header_text("=?utf-8?q?x?="));
}

TEST(EncodedWordTest, OnlyTheWordsThatNeedItAreEncoded) {
  std::string encoded = encode_unstructured("Gruß aus Köln", false);
  EXPECT_EQ(encoded, "=?utf-8?q?Gru=C3=9F?= aus =?utf-8?q?K=C3=B6ln?=");
  EXPECT_EQ(decode(encoded), "Gruß aus Köln");
}

TEST(EncodedWordTest, AdjacentWordsKeepTheirSpaceInsideTheEncoding) {
  std::string encoded = encode_unstructured("plain Jörg Köln end", false);
  EXPECT_EQ(encoded, "plain =?utf-8?q?J=C3=B6rg_K=C3=B6ln?= end");
  EXPECT_EQ(decode(encoded), "plain Jörg Köln end");
}

TEST(EncodedWordTest, MostlyNonAsciiUsesBase64) {
  std::string text = "日本語のテキスト";
  std::string encoded = encode_unstructured(text, false);
  EXPECT_EQ(encoded.rfind("=?utf-8?b?", 0), 0u) << encoded;
  EXPECT_EQ(decode(encoded), text);
  EXPECT_EQ(encode_unstructured("Grüße", false), "=?utf-8?b?R3LDvMOfZQ==?=");  // 4 of 7 octets
}

TEST(EncodedWordTest, LongTextIsSplitIntoWholeCharacters) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "ü€𝄞";
  for (bool phrase : {false, true}) {
    std::string encoded = phrase ? encode_phrase(text) : encode_unstructured(text, false);
    EXPECT_GT(std::count(encoded.begin(), encoded.end(), ' '), 2) << encoded;
    static const std::regex word(R"(=\?utf-8\?([qb])\?([^?]*)\?=)");
    for (auto it = std::sregex_iterator(encoded.begin(), encoded.end(), word);
         it != std::sregex_iterator(); ++it) {
      EXPECT_LE(it->length(), 75);
      EXPECT_TRUE(valid_utf8(decode_word((*it)[1].str(), (*it)[2].str()))) << it->str();
    }
    EXPECT_EQ(decode(encoded), text);
  }
}

TEST(EncodedWordTest, Utf8StaysRawWhenAllowed) {
  EXPECT_EQ(encode_unstructured("Grüße aus Köln", true), "Grüße aus Köln");
}

TEST(EncodedWordTest, ControlCharactersAndLookalikesAreEncoded) {
  std::string encoded = encode_unstructured(
      "a\x01"
      "b =?x?q?y?= c",
      true);
  EXPECT_EQ(encoded.find('\x01'), std::string::npos);
  EXPECT_EQ(decode(encoded),
            "a\x01"
            "b =?x?q?y?= c");
}

TEST(EncodedWordTest, AWordTooLongToFoldIsEncodedIntoFoldableWords) {
  std::string word(300, 'x');
  std::string encoded = encode_unstructured("see " + word, false);
  EXPECT_EQ(decode(encoded), "see " + word);
  std::size_t longest = 0, start = 0;
  while (start <= encoded.size()) {
    std::size_t end = encoded.find(' ', start);
    if (end == std::string::npos) end = encoded.size();
    longest = std::max(longest, end - start);
    start = end + 1;
  }
  EXPECT_LE(longest, 75u);
}

TEST(EncodedWordTest, PhraseUsesTheRestrictedSet) {
  std::string encoded = encode_phrase("Doe, Jörg \"J\"");
  EXPECT_EQ(encoded.find(','), std::string::npos);
  EXPECT_EQ(encoded.find('"'), std::string::npos);
  EXPECT_EQ(decode(encoded), "Doe, Jörg \"J\"");
}

TEST(EncodedWordTest, WhiteSpaceAroundPlainWordsIsKept) {
  EXPECT_EQ(encode_unstructured("  two  spaces ", false), "  two  spaces ");
  EXPECT_EQ(decode(encode_unstructured("é  x", false)), "é  x");
}

}  // namespace
}  // namespace tern::mime
