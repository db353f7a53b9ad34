// Received: trace headers: exact text for fixed facts, "for <rcpt>" only with one recipient, HELO
// control characters neutralised, CRLF line ends and TAB continuation lines.
#include "mime/received.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace tern::mime {
namespace {

class ReceivedTest : public testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = std::getenv("TZ")) previous_zone_ = old;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    facts_.helo = "client.example.net";
    facts_.client_name = "mail.example.net";
    facts_.client_address = "192.0.2.7";
    facts_.protocol = "ESMTP";
    facts_.queue_id = "0123456789ABCDEF012";
    facts_.single_recipient = "bob@example.org";
    facts_.time = 1700000000;
  }
  void TearDown() override {
    if (previous_zone_) {
      ::setenv("TZ", previous_zone_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

  // Every line ends in CRLF, no bare CR or LF anywhere, and lines after the first start with TAB.
  static void expect_well_folded(const std::string& header) {
    ASSERT_TRUE(header.ends_with("\r\n")) << header;
    std::size_t start = 0;
    int line = 0;
    while (start < header.size()) {
      std::size_t end = header.find("\r\n", start);
      ASSERT_NE(end, std::string::npos);
      std::string text = header.substr(start, end - start);
      EXPECT_EQ(text.find('\r'), std::string::npos) << text;
      EXPECT_EQ(text.find('\n'), std::string::npos) << text;
      if (line == 0) {
        EXPECT_EQ(text.rfind("Received: ", 0), 0u) << text;
      } else {
        EXPECT_EQ(text[0], '\t') << text;
      }
      EXPECT_LT(text.size(), 998u);
      start = end + 2;
      ++line;
    }
  }

  ReceivedFacts facts_;
  std::optional<std::string> previous_zone_;
};

TEST_F(ReceivedTest, ExactHeaderForOneRecipient) {
  std::string header = received_header(facts_, "mx.example.org");
  EXPECT_EQ(header,
            "Received: from client.example.net (mail.example.net [192.0.2.7])\r\n"
            "\tby mx.example.org (tern) with ESMTP id 0123456789ABCDEF012\r\n"
            "\tfor <bob@example.org>; Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n");
  expect_well_folded(header);
}

TEST_F(ReceivedTest, NoForClauseWithSeveralRecipients) {
  facts_.single_recipient = "";
  facts_.protocol = "ESMTPS";
  std::string header = received_header(facts_, "mx.example.org");
  EXPECT_EQ(header,
            "Received: from client.example.net (mail.example.net [192.0.2.7])\r\n"
            "\tby mx.example.org (tern) with ESMTPS id 0123456789ABCDEF012;"
            " Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n");
  EXPECT_EQ(header.find("for <"), std::string::npos);
  expect_well_folded(header);
}

TEST_F(ReceivedTest, TlsSessionIsRecordedAsPostfixDoes) {
  facts_.protocol = "ESMTPSA";
  facts_.tls = "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)";
  std::string header = received_header(facts_, "mx.example.org");
  EXPECT_EQ(header,
            "Received: from client.example.net (mail.example.net [192.0.2.7])\r\n"
            "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
            "\tby mx.example.org (tern) with ESMTPSA id 0123456789ABCDEF012\r\n"
            "\tfor <bob@example.org>; Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n");
  expect_well_folded(header);
}

TEST_F(ReceivedTest, MissingHeloUsesTheClientName) {
  facts_.helo = "";
  facts_.client_name = "unknown";
  std::string header = received_header(facts_, "mx.example.org");
  EXPECT_EQ(header.rfind("Received: from unknown (unknown [192.0.2.7])\r\n", 0), 0u) << header;
}

TEST_F(ReceivedTest, ControlCharactersInHeloBecomeQuestionMarks) {
  facts_.helo = std::string("evil\r\nX-Forged: yes\r\t\0\x1B\x7F", 24);
  std::string header = received_header(facts_, "mx.example.org");
  EXPECT_EQ(header.rfind("Received: from evil??X-Forged: yes????? (mail.example.net", 0), 0u)
      << header;
  expect_well_folded(header);
  EXPECT_EQ(header.find("\nX-Forged"), std::string::npos);
}

TEST_F(ReceivedTest, Utf8HeloIsKept) {
  facts_.helo =
      "\xC3\xBC"
      "ber.example";
  std::string header = received_header(facts_, "mx.example.org");
  EXPECT_EQ(header.rfind("Received: from \xC3\xBC"
                         "ber.example (",
                         0),
            0u)
      << header;
}

}  // namespace
}  // namespace tern::mime
