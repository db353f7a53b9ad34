// MAIL/RCPT ESMTP parameters (SIZE BODY SMTPUTF8 RET ENVID NOTIFY ORCPT) and xtext.
#include "smtp/parameters.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

namespace tern::smtp {
namespace {

MailParameters mail_ok(std::string_view text) {
  auto result = parse_mail_parameters(text);
  EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : format_reply(result.error()));
  return result.ok() ? result.value() : MailParameters{};
}

RcptParameters rcpt_ok(std::string_view text) {
  auto result = parse_rcpt_parameters(text);
  EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : format_reply(result.error()));
  return result.ok() ? result.value() : RcptParameters{};
}

// The wire form of the error reply, or "ok".
std::string mail_error(std::string_view text) {
  auto result = parse_mail_parameters(text);
  return result.ok() ? "ok" : format_reply(result.error());
}
std::string rcpt_error(std::string_view text) {
  auto result = parse_rcpt_parameters(text);
  return result.ok() ? "ok" : format_reply(result.error());
}
int mail_code(std::string_view text) {
  auto result = parse_mail_parameters(text);
  return result.ok() ? 0 : result.error().code;
}
int rcpt_code(std::string_view text) {
  auto result = parse_rcpt_parameters(text);
  return result.ok() ? 0 : result.error().code;
}

TEST(ParametersTest, EmptyMeansDefaults) {
  for (std::string_view text : {"", "   ", "\t"}) {
    MailParameters mail = mail_ok(text);
    EXPECT_FALSE(mail.size.has_value());
    EXPECT_EQ(mail.body, Body::Unspecified);
    EXPECT_FALSE(mail.smtputf8);
    EXPECT_EQ(mail.ret, Ret::Unspecified);
    EXPECT_EQ(mail.envid, "");
    RcptParameters rcpt = rcpt_ok(text);
    EXPECT_EQ(rcpt.notify, 0);
    EXPECT_EQ(rcpt.orcpt_type, "");
    EXPECT_EQ(rcpt.orcpt_address, "");
  }
}

TEST(ParametersTest, Size) {
  EXPECT_EQ(mail_ok("SIZE=0").size, 0u);
  EXPECT_EQ(mail_ok("SIZE=10240000").size, 10240000u);
  EXPECT_EQ(mail_ok("size=42").size, 42u);
  EXPECT_EQ(mail_ok("SIZE=18446744073709551615").size, 18446744073709551615u);
  // RFC 1870 allows up to 20 digits; what does not fit in 64 bits saturates.
  EXPECT_EQ(mail_ok("SIZE=18446744073709551616").size, 18446744073709551615u);
  EXPECT_EQ(mail_ok("SIZE=99999999999999999999").size, 18446744073709551615u);
  for (std::string_view text : {"SIZE=999999999999999999999", "SIZE=", "SIZE", "SIZE=-1", "SIZE=+1",
                                "SIZE=1k", "SIZE=0x10", "SIZE= 1"}) {
    EXPECT_EQ(mail_error(text), "501 5.5.4 Bad message size syntax\r\n") << text;
  }
}

TEST(ParametersTest, Body) {
  EXPECT_EQ(mail_ok("BODY=7BIT").body, Body::SevenBit);
  EXPECT_EQ(mail_ok("BODY=8BITMIME").body, Body::EightBitMime);
  EXPECT_EQ(mail_ok("body=8bitmime").body, Body::EightBitMime);
  EXPECT_EQ(mail_code("BODY=BINARYMIME"), 555);
  EXPECT_EQ(mail_error("BODY=BINARYMIME"), "555 5.5.4 Unsupported option: BODY=BINARYMIME\r\n");
  for (std::string_view text : {"BODY=8BIT", "BODY=", "BODY", "BODY=7BITX", "BODY=MIME"}) {
    EXPECT_EQ(mail_error(text), "501 5.5.4 Bad BODY keyword syntax\r\n") << text;
  }
}

TEST(ParametersTest, Smtputf8TakesNoValue) {
  EXPECT_TRUE(mail_ok("SMTPUTF8").smtputf8);
  EXPECT_TRUE(mail_ok("smtputf8").smtputf8);
  EXPECT_EQ(mail_code("SMTPUTF8=yes"), 501);
  EXPECT_EQ(mail_code("SMTPUTF8="), 501);
}

TEST(ParametersTest, Ret) {
  EXPECT_EQ(mail_ok("RET=FULL").ret, Ret::Full);
  EXPECT_EQ(mail_ok("RET=HDRS").ret, Ret::Headers);
  EXPECT_EQ(mail_ok("ret=hdrs").ret, Ret::Headers);
  for (std::string_view text : {"RET=", "RET", "RET=HEADERS", "RET=NONE"}) {
    EXPECT_EQ(mail_code(text), 501) << text;
  }
}

TEST(ParametersTest, Envid) {
  EXPECT_EQ(mail_ok("ENVID=QQ314159").envid, "QQ314159");
  EXPECT_EQ(mail_ok("ENVID=a+2Bb+3Dc+20d").envid, "a+b=c d");
  EXPECT_EQ(mail_ok("ENVID=" + std::string(100, 'x')).envid, std::string(100, 'x'));
  for (std::string_view text :
       {"ENVID=", "ENVID", "ENVID=a+2", "ENVID=a+zz", "ENVID=a+2b", "ENVID=a=b"}) {
    EXPECT_EQ(mail_code(text), 501) << text;
  }
  EXPECT_EQ(mail_code("ENVID=" + std::string(101, 'x')), 501);
}

TEST(ParametersTest, SeveralMailParametersTogether) {
  MailParameters mail = mail_ok("SIZE=1000  BODY=8BITMIME\tSMTPUTF8 RET=HDRS ENVID=id+2B1");
  EXPECT_EQ(mail.size, 1000u);
  EXPECT_EQ(mail.body, Body::EightBitMime);
  EXPECT_TRUE(mail.smtputf8);
  EXPECT_EQ(mail.ret, Ret::Headers);
  EXPECT_EQ(mail.envid, "id+1");
}

TEST(ParametersTest, UnknownKeywordsAre555) {
  EXPECT_EQ(mail_error("FOO"), "555 5.5.4 Unsupported option: FOO\r\n");
  EXPECT_EQ(mail_error("FOO=bar"), "555 5.5.4 Unsupported option: FOO\r\n");
  EXPECT_EQ(mail_error("SIZE=1 FOO=bar"), "555 5.5.4 Unsupported option: FOO\r\n");
  EXPECT_EQ(rcpt_error("FOO=bar"), "555 5.5.4 Unsupported option: FOO\r\n");
  // RCPT parameters are not MAIL parameters, and vice versa.
  EXPECT_EQ(rcpt_code("SIZE=1"), 555);
  EXPECT_EQ(rcpt_code("BODY=8BITMIME"), 555);
  EXPECT_EQ(mail_code("NOTIFY=NEVER"), 555);
  EXPECT_EQ(mail_code("ORCPT=rfc822;a@b"), 555);
}

TEST(ParametersTest, EmptyKeywordIsBadSyntax) {
  EXPECT_EQ(mail_error("=1"), "501 5.5.4 Bad parameter syntax\r\n");
  EXPECT_EQ(rcpt_error("=NEVER"), "501 5.5.4 Bad parameter syntax\r\n");
}

TEST(ParametersTest, DuplicatesAre501) {
  EXPECT_EQ(mail_error("SIZE=1 SIZE=2"), "501 5.5.4 Duplicate SIZE parameter\r\n");
  EXPECT_EQ(mail_error("SIZE=1 size=1"), "501 5.5.4 Duplicate SIZE parameter\r\n");
  EXPECT_EQ(mail_code("SMTPUTF8 SMTPUTF8"), 501);
  EXPECT_EQ(mail_code("BODY=7BIT BODY=8BITMIME"), 501);
  EXPECT_EQ(rcpt_code("NOTIFY=NEVER NOTIFY=SUCCESS"), 501);
  EXPECT_EQ(rcpt_code("ORCPT=rfc822;a@b ORCPT=rfc822;c@d"), 501);
}

TEST(ParametersTest, Notify) {
  struct Case {
    std::string_view text;
    std::uint8_t flags;
  };
  const Case cases[] = {
      {"NOTIFY=NEVER", NotifyNever},
      {"NOTIFY=SUCCESS", NotifySuccess},
      {"NOTIFY=FAILURE", NotifyFailure},
      {"NOTIFY=DELAY", NotifyDelay},
      {"NOTIFY=success,failure", NotifySuccess | NotifyFailure},
      {"notify=Failure,Delay", NotifyFailure | NotifyDelay},
      {"NOTIFY=SUCCESS,FAILURE,DELAY", NotifySuccess | NotifyFailure | NotifyDelay},
      {"NOTIFY=never", NotifyNever},
  };
  for (const Case& c : cases) EXPECT_EQ(rcpt_ok(c.text).notify, c.flags) << c.text;
  for (std::string_view text : {"NOTIFY=NEVER,SUCCESS", "NOTIFY=FAILURE,NEVER", "NOTIFY=", "NOTIFY",
                                "NOTIFY=SUCCESS,", "NOTIFY=,SUCCESS", "NOTIFY=SOMETIMES",
                                "NOTIFY=SUCCESS;FAILURE", "NOTIFY=SUCCESS FAILURE"}) {
    EXPECT_EQ(rcpt_code(text), text == "NOTIFY=SUCCESS FAILURE" ? 555 : 501) << text;
  }
  EXPECT_EQ(rcpt_error("NOTIFY=NEVER,SUCCESS"), "501 5.5.4 Error: Bad NOTIFY parameter syntax\r\n");
}

TEST(ParametersTest, Orcpt) {
  RcptParameters rcpt = rcpt_ok("ORCPT=rfc822;alice+2Btag@example.org");
  EXPECT_EQ(rcpt.orcpt_type, "rfc822");
  EXPECT_EQ(rcpt.orcpt_address, "alice+tag@example.org");
  rcpt = rcpt_ok("ORCPT=RFC822;a+20b@c");
  EXPECT_EQ(rcpt.orcpt_type, "rfc822");  // type is folded to lower case
  EXPECT_EQ(rcpt.orcpt_address, "a b@c");
  rcpt = rcpt_ok("NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org");
  EXPECT_EQ(rcpt.notify, NotifySuccess | NotifyFailure);
  EXPECT_EQ(rcpt.orcpt_address, "bob@example.org");
  EXPECT_EQ(rcpt_ok("ORCPT=utf-8;a@b").orcpt_type, "utf-8");

  for (std::string_view text :
       {"ORCPT=", "ORCPT", "ORCPT=rfc822", "ORCPT=;a@b", "ORCPT=rfc822;", "ORCPT=rfc822;a+2",
        "ORCPT=rfc822;a+zzb", "ORCPT=x400;a@b", "ORCPT=rfc822;a=b"}) {
    EXPECT_EQ(rcpt_code(text), 501) << text;
  }
  EXPECT_EQ(rcpt_error("ORCPT=x400;a@b"), "501 5.5.4 Error: Bad ORCPT address type\r\n");
  EXPECT_EQ(rcpt_code("ORCPT=rfc822;" + std::string(493, 'a')), 0);
  EXPECT_EQ(rcpt_code("ORCPT=rfc822;" + std::string(494, 'a')), 501);
}

TEST(ParametersTest, XtextDecode) {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  const Case cases[] = {
      {"", ""},
      {"abc", "abc"},
      {"+2B", "+"},
      {"+3D", "="},
      {"+20", " "},
      {"a+2Bb+3D", "a+b="},
      {"+00", std::string_view("\0", 1)},
      {"+FF", "\xff"},
      {"!~", "!~"},
  };
  for (const Case& c : cases) {
    auto decoded = xtext_decode(c.in);
    ASSERT_TRUE(decoded.has_value()) << c.in;
    EXPECT_EQ(*decoded, c.out) << c.in;
  }
  for (std::string_view bad :
       {"+", "+2", "a+", "+2b", "+g0", "a=b", "a b", "\x7f", "\x80", "+ 2B"}) {
    EXPECT_FALSE(xtext_decode(bad).has_value()) << bad;
  }
}

TEST(ParametersTest, XtextEncode) {
  EXPECT_EQ(xtext_encode("abc"), "abc");
  EXPECT_EQ(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(xtext_encode(std::string_view("\0\x7f\xff", 3)), "+00+7F+FF");
}

TEST(ParametersTest, XtextRoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  auto decoded = xtext_decode(xtext_encode(all));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, all);

  std::mt19937 random(20240601);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 40);
  for (int i = 0; i < 500; ++i) {
    std::string text(static_cast<std::size_t>(length(random)), '\0');
    for (char& c : text) c = static_cast<char>(byte(random));
    std::string encoded = xtext_encode(text);
    for (char c : encoded) {
      unsigned char u = static_cast<unsigned char>(c);
      ASSERT_TRUE(u >= 33 && u <= 126 && c != '=') << encoded;
    }
    auto back = xtext_decode(encoded);
    ASSERT_TRUE(back.has_value()) << encoded;
    EXPECT_EQ(*back, text);
  }
}

}  // namespace
}  // namespace tern::smtp
