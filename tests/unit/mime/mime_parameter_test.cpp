// MIME parameters: tokens as they are, quoted-strings with escapes, RFC 2231 percent-encoding for
// non-ASCII and numbered continuations for long values, decoded back by a reference decoder.
#include "mime/mime_parameter.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace tern::mime {
namespace {

// RFC 2231 §3-§4 for one parameter given as its pieces, in order.
std::string decode(const std::vector<std::string>& pieces) {
  std::string out;
  for (const std::string& piece : pieces) {
    std::size_t equals = piece.find('=');
    std::string name = piece.substr(0, equals);
    std::string value = piece.substr(equals + 1);
    EXPECT_LE(piece.size(), 72u) << piece;
    for (char c : piece) EXPECT_TRUE(c >= 0x20 && c < 0x7F) << piece;
    if (name.back() == '*') {
      if (value.find("''") != std::string::npos) value = value.substr(value.find("''") + 2);
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%') {
          out += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += value[i];
        }
      }
    } else if (!value.empty() && value.front() == '"') {
      for (std::size_t i = 1; i + 1 < value.size(); ++i) {
        if (value[i] == '\\') ++i;
        out += value[i];
      }
    } else {
      out += value;
    }
  }
  return out;
}

TEST(MimeParameterTest, TokenAndQuotedString) {
  EXPECT_EQ(format_mime_parameter("filename", "report.pdf"),
            std::vector<std::string>{"filename=report.pdf"});
  EXPECT_EQ(format_mime_parameter("filename", "my report (v2).pdf"),
            std::vector<std::string>{"filename=\"my report (v2).pdf\""});
  EXPECT_EQ(format_mime_parameter("name", "a\"b\\c"),
            std::vector<std::string>{"name=\"a\\\"b\\\\c\""});
}

TEST(MimeParameterTest, NonAsciiIsPercentEncodedWithCharset) {
  EXPECT_EQ(format_mime_parameter("filename", "€uro.txt"),
            std::vector<std::string>{"filename*=utf-8''%E2%82%ACuro.txt"});
}

TEST(MimeParameterTest, LongNonAsciiValueIsContinued) {
  std::string value;
  for (int i = 0; i < 30; ++i) value += "Ärger ";
  value += ".txt";
  auto pieces = format_mime_parameter("filename", value);
  ASSERT_GT(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].rfind("filename*0*=utf-8''", 0), 0u) << pieces[0];
  EXPECT_EQ(pieces[1].rfind("filename*1*=", 0), 0u) << pieces[1];
  EXPECT_EQ(decode(pieces), value);
}

TEST(MimeParameterTest, LongAsciiValueIsContinuedAsQuotedStrings) {
  std::string value(150, 'n');
  value += " with space.dat";
  auto pieces = format_mime_parameter("filename", value);
  ASSERT_EQ(pieces.size(), 4u);  // 165 characters in pieces of at most 48
  EXPECT_EQ(pieces[0].rfind("filename*0=\"", 0), 0u);
  EXPECT_EQ(decode(pieces), value);
}

TEST(MimeParameterTest, WithParametersJoinsThePieces) {
  EXPECT_EQ(with_mime_parameters("attachment", {format_mime_parameter("filename", "a.txt")}),
            "attachment; filename=a.txt");
  EXPECT_EQ(with_mime_parameters("multipart/mixed", {format_mime_parameter("boundary", "=_x")}),
            "multipart/mixed; boundary=\"=_x\"");
}

}  // namespace
}  // namespace tern::mime
