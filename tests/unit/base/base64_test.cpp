// Base64: RFC 4648 §10 test vectors both ways, every malformed form a client could send (each must
// be refused, never guessed), and a round trip of all 256 byte values at every alignment.
#include "base/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tern {
namespace {

using namespace std::string_literals;

struct Vector {
  std::string_view decoded;
  std::string_view encoded;
};

// RFC 4648 §10.
constexpr Vector kRfcVectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64Test, EncodesRfc4648Vectors) {
  for (const Vector& vector : kRfcVectors) {
    EXPECT_EQ(base64_encode(vector.decoded), vector.encoded) << vector.decoded;
  }
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  for (const Vector& vector : kRfcVectors) {
    auto decoded = base64_decode(vector.encoded);
    ASSERT_TRUE(decoded.has_value()) << vector.encoded;
    EXPECT_EQ(*decoded, vector.decoded);
  }
}

TEST(Base64Test, EmptyInputDecodesToEmptyOutput) {
  auto decoded = base64_decode("");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->empty());
}

// The SASL texts the server and client exchange (RFC 4954 §4, draft-murchison-sasl-login).
TEST(Base64Test, SaslTexts) {
  EXPECT_EQ(base64_encode("Username:"), "VXNlcm5hbWU6");
  EXPECT_EQ(base64_encode("Password:"), "UGFzc3dvcmQ6");
  EXPECT_EQ(base64_encode("\0alice\0secret"s), "AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(base64_decode("AGFsaWNlAHNlY3JldA=="), "\0alice\0secret"s);
}

TEST(Base64Test, UsesTheStandardAlphabetNotTheUrlSafeOne) {
  EXPECT_EQ(base64_encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(base64_decode("+/+/"), "\xfb\xff\xbf"s);
  EXPECT_FALSE(base64_decode("-_-_").has_value());  // RFC 4648 §5 alphabet
}

TEST(Base64Test, RefusesEveryMalformedForm) {
  const std::string malformed[] = {
      // Missing or partial padding (RFC 4648 §3.2: padding is required here).
      "Zg",
      "Zg=",
      "Zm8",
      "Zm9vYg",
      "Zm9vYg=",
      "Zm9vYmE",
      "A",
      "AB",
      "ABC",
      "ABCDE",
      // Excess or misplaced padding.
      "Zg===",
      "Zg====",
      "Zm8==",
      "====",
      "=",
      "==",
      "===",
      "A===",
      "=AAA",
      "A=AA",
      "AA=A",
      "Zg==Zm8=",
      "Zg==Zg==",
      "Zm8=Zm9v",
      "Zm9v====",
      // Non-zero bits in the padding (RFC 4648 §3.5: not the canonical encoding).
      "Zh==",
      "Zm9=",
      "AB==",
      "AAB=",
      // Whitespace and line breaks anywhere (RFC 4648 §3.3: not allowed unless specified).
      " Zm9v",
      "Zm9v ",
      "Zm 9v",
      "Zm9v\r\n",
      "Zm9v\n",
      "\tZm9v",
      "Zm9v\r",
      "Zg= =",
      "Zg==\n",
      "Zm9v\r\nYmFy",
      // Characters outside the alphabet, including the URL-safe ones and 8-bit bytes.
      "Zm9*",
      "Zm9.",
      "Zm9-",
      "Zm9_",
      "Zm9!",
      "Zm9\x80",
      "Zm9\xff",
      "*",
      "Zm9v*",
      "Zm9v\x7f",
      // NUL inside or after the text.
      "Zm9\0"s,
      "Zm9v\0"s,
      "\0\0\0\0"s,
  };
  for (const std::string& text : malformed) {
    EXPECT_FALSE(base64_decode(text).has_value()) << '"' << text << '"';
  }
}

// Every byte value survives, at each of the three positions in a group and with each padding.
TEST(Base64Test, RoundTripsAllByteValues) {
  std::string all;
  for (int value = 0; value < 256; ++value) all += static_cast<char>(value);
  for (std::size_t shift = 0; shift < 3; ++shift) {
    for (std::size_t trim = 0; trim < 3; ++trim) {
      std::string bytes = std::string(shift, 'x') + all.substr(0, all.size() - trim);
      std::string encoded = base64_encode(bytes);
      EXPECT_EQ(encoded.size() % 4, 0u);
      EXPECT_EQ(encoded.find_first_not_of(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
                std::string::npos);
      auto decoded = base64_decode(encoded);
      ASSERT_TRUE(decoded.has_value()) << shift << ' ' << trim;
      EXPECT_EQ(*decoded, bytes);
    }
  }
  for (int value = 0; value < 256; ++value) {
    std::string one(1, static_cast<char>(value));
    EXPECT_EQ(base64_decode(base64_encode(one)), one) << value;
  }
}

}  // namespace
}  // namespace tern
