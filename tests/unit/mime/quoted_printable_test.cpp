// Quoted-printable: line lengths, what is escaped, and that a reference decoder written from RFC
// 2045 §6.7 gives back the exact input for awkward texts (long lines, trailing white space, bare CR
// and LF, every octet value).
#include "mime/quoted_printable.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace tern::mime {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 2045 §6.7: "=XX" is an octet, "=" CRLF a soft line break, CRLF a line break.
std::string decode(std::string_view encoded) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '=') {
      out += encoded[i];
    } else if (encoded.substr(i + 1, 2) == "\r\n") {
      i += 2;
    } else {
      int high = hex_value(encoded[i + 1]);
      int low = hex_value(encoded[i + 2]);
      EXPECT_TRUE(high >= 0 && low >= 0) << "bad escape at " << i;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return out;
}

void expect_valid(std::string_view encoded) {
  std::size_t start = 0;
  while (start < encoded.size()) {
    std::size_t end = encoded.find("\r\n", start);
    if (end == std::string_view::npos) end = encoded.size();  // the input's last line had no CRLF
    std::string_view line = encoded.substr(start, end - start);
    EXPECT_LE(line.size(), 76u) << line;
    if (!line.empty()) {
      EXPECT_NE(line.back(), ' ') << "trailing space in " << line;
      EXPECT_NE(line.back(), '\t') << "trailing tab in " << line;
    }
    for (char c : line) {
      auto octet = static_cast<unsigned char>(c);
      EXPECT_TRUE(octet == ' ' || octet == '\t' || (octet >= 33 && octet <= 126)) << int(octet);
    }
    start = end + 2;
  }
}

TEST(QuotedPrintableTest, PlainTextStaysReadable) {
  EXPECT_EQ(quoted_printable_encode("Hello, world.\r\nSecond line\r\n"),
            "Hello, world.\r\nSecond line\r\n");
}

TEST(QuotedPrintableTest, NonAsciiAndEqualsAreEscaped) {
  EXPECT_EQ(quoted_printable_encode("Grüße = 1\r\n"), "Gr=C3=BC=C3=9Fe =3D 1\r\n");
}

TEST(QuotedPrintableTest, TrailingWhiteSpaceIsEscaped) {
  EXPECT_EQ(quoted_printable_encode("end \r\ntab\t\r\n"), "end=20\r\ntab=09\r\n");
}

TEST(QuotedPrintableTest, LongLinesGetSoftBreaksAt76) {
  std::string line(200, 'a');
  std::string encoded = quoted_printable_encode(line + "\r\n");
  expect_valid(encoded);
  EXPECT_EQ(encoded.substr(0, 77), std::string(75, 'a') + "=\r");
  EXPECT_EQ(decode(encoded), line + "\r\n");
}

TEST(QuotedPrintableTest, EscapesAreNeverSplitAcrossLines) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "é";
  std::string encoded = quoted_printable_encode(text);
  expect_valid(encoded);
  std::size_t start = 0;
  while (start < encoded.size()) {
    std::size_t end = std::min(encoded.find("\r\n", start), encoded.size());
    std::string_view line = std::string_view(encoded).substr(start, end - start);
    // Every "=" but a final soft break starts an escape whose two hex digits are on the same line.
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] != '=' || i + 1 == line.size()) continue;
      ASSERT_LE(i + 3, line.size()) << line;
      EXPECT_GE(hex_value(line[i + 1]), 0) << line;
      EXPECT_GE(hex_value(line[i + 2]), 0) << line;
      i += 2;
    }
    start = end + 2;
  }
  EXPECT_EQ(decode(encoded), text);
}

TEST(QuotedPrintableTest, EveryOctetAndBareLineEndsComeBackExactly) {
  std::string text;
  for (int round = 0; round < 3; ++round) {
    for (int octet = 0; octet < 256; ++octet) text += static_cast<char>(octet);
  }
  text += "\r\nbare\rCR and bare\nLF \r\n  \r\n";
  std::string encoded = quoted_printable_encode(text);
  expect_valid(encoded);
  EXPECT_EQ(decode(encoded), text);
}

TEST(QuotedPrintableTest, LineOfExactly76StaysWhole) {
  std::string line(76, 'b');
  EXPECT_EQ(quoted_printable_encode(line), line);
  EXPECT_EQ(quoted_printable_encode(line + "b"), std::string(75, 'b') + "=\r\nbb");
}

}  // namespace
}  // namespace tern::mime
