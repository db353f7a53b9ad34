// Reply catalogue golden texts: every reply's exact Postfix wording, code and status.
#include "smtp/reply_catalog.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::smtp {
namespace {

struct Golden {
  const char* name;
  Reply reply;
  const char* wire;
};

TEST(ReplyCatalogTest, GoldenTexts) {
  namespace r = replies;
  const Golden cases[] = {
      {"greeting", r::greeting("mx.example ESMTP tern"), "220 mx.example ESMTP tern\r\n"},
      {"helo", r::helo("mx.example"), "250 mx.example\r\n"},
      {"ok", r::ok(), "250 2.0.0 Ok\r\n"},
      {"sender_ok", r::sender_ok(), "250 2.1.0 Ok\r\n"},
      {"recipient_ok", r::recipient_ok(), "250 2.1.5 Ok\r\n"},
      {"start_data", r::start_data(), "354 End data with <CR><LF>.<CR><LF>\r\n"},
      {"queued", r::queued("4Bq2Xy0AbCz"), "250 2.0.0 Ok: queued as 4Bq2Xy0AbCz\r\n"},
      {"bdat_chunk_ok", r::bdat_chunk_ok(12345), "250 2.0.0 Ok: 12345 octets received\r\n"},
      {"bye", r::bye(), "221 2.0.0 Bye\r\n"},
      {"vrfy_ambiguous", r::vrfy_ambiguous(),
       "252 2.0.0 Cannot VRFY user; try RCPT to attempt delivery\r\n"},
      {"vrfy_found", r::vrfy_found("alice@example.org"), "252 2.0.0 alice@example.org\r\n"},
      {"vrfy_disabled", r::vrfy_disabled(), "502 5.5.1 VRFY command is disabled\r\n"},
      {"etrn_queued", r::etrn_queued("example.org"), "250 Queuing started\r\n"},
      {"command_unrecognized", r::command_unrecognized(),
       "502 5.5.2 Error: command not recognized\r\n"},
      {"not_implemented", r::not_implemented("EXPN"),
       "502 5.5.1 Error: EXPN command not implemented\r\n"},
      {"line_too_long", r::line_too_long(), "500 5.5.0 Error: line too long\r\n"},
      {"syntax", r::syntax("MAIL FROM:<address>"), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"},
      {"helo_required", r::helo_required(), "503 5.5.1 Error: send HELO/EHLO first\r\n"},
      {"nested_mail", r::nested_mail(), "503 5.5.1 Error: nested MAIL command\r\n"},
      {"need_mail", r::need_mail(), "503 5.5.1 Error: need MAIL command\r\n"},
      {"need_rcpt", r::need_rcpt(), "503 5.5.1 Error: need RCPT command\r\n"},
      {"no_valid_recipients", r::no_valid_recipients(), "554 5.5.1 Error: no valid recipients\r\n"},
      {"bad_sender_syntax", r::bad_sender_syntax("<a b>"),
       "501 5.1.7 Bad sender address syntax\r\n"},
      {"bad_recipient_syntax", r::bad_recipient_syntax("<a b>"),
       "501 5.1.3 Bad recipient address syntax\r\n"},
      {"invalid_helo", r::invalid_helo("bad host"),
       "501 5.5.2 <bad host>: Helo command rejected: Invalid name\r\n"},
      {"helo_rejected", r::helo_rejected("localhost", "Host not found"),
       "554 5.7.1 <localhost>: Helo command rejected: Host not found\r\n"},
      {"size_exceeded_at_mail", r::size_exceeded_at_mail(),
       "552 5.3.4 Message size exceeds fixed limit\r\n"},
      {"size_exceeded_at_data", r::size_exceeded_at_data(),
       "552 5.3.4 Message size exceeds fixed limit\r\n"},
      {"too_many_recipients", r::too_many_recipients(), "452 4.5.3 Error: too many recipients\r\n"},
      {"relay_denied", r::relay_denied("relaytest@nmap.scanme.org"),
       "554 5.7.1 <relaytest@nmap.scanme.org>: Relay access denied\r\n"},
      {"user_unknown", r::user_unknown("nobody@example.org"),
       "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local "
       "recipient table\r\n"},
      {"recipient_rejected", r::recipient_rejected("x@example.org"),
       "554 5.7.1 <x@example.org>: Recipient address rejected: Access denied\r\n"},
      {"lookup_failed", r::lookup_failed("x@example.org"),
       "451 4.3.0 <x@example.org>: Temporary lookup failure\r\n"},
      {"bare_newline", r::bare_newline(), "550 5.5.2 Error: bare <LF> received\r\n"},
      {"storage_failure", r::storage_failure(), "451 4.3.0 Error: queue file write error\r\n"},
      {"insufficient_storage", r::insufficient_storage(),
       "452 4.3.1 Insufficient system storage\r\n"},
      {"too_many_errors", r::too_many_errors("mx.example"),
       "421 4.7.0 mx.example Error: too many errors\r\n"},
      {"timeout", r::timeout("mx.example"), "421 4.4.2 mx.example Error: timeout exceeded\r\n"},
      {"too_many_connections", r::too_many_connections("mx.example"),
       "421 4.7.0 mx.example Error: too many connections\r\n"},
      {"service_unavailable", r::service_unavailable("mx.example"),
       "421 4.3.2 mx.example Service shutting down\r\n"},
      {"bdat_needs_size", r::bdat_needs_size(), "501 5.5.4 Syntax: BDAT count [LAST]\r\n"},
      {"data_after_bdat", r::data_after_bdat(), "503 5.5.1 Error: DATA after BDAT\r\n"},
      {"mixed_bdat", r::mixed_bdat(), "503 5.5.1 Error: BDAT after DATA\r\n"},
  };
  for (const Golden& c : cases) EXPECT_EQ(format_reply(c.reply), c.wire) << c.name;
}

TEST(ReplyCatalogTest, EtrnNotPermittedNamesTheDomain) {
  Reply reply = replies::etrn_not_permitted("example.org");
  EXPECT_EQ(reply.code, 459);
  EXPECT_EQ(reply.status, "4.7.1");
  EXPECT_NE(format_reply(reply).find("<example.org>"), std::string::npos) << format_reply(reply);
}

TEST(ReplyCatalogTest, Utf8NeedsSmtputf8) {
  Reply reply = replies::utf8_needs_smtputf8("<j\xc3\xb8rn@example.org>");
  EXPECT_EQ(reply.code, 553);
  EXPECT_EQ(reply.status, "5.6.7");
  EXPECT_NE(format_reply(reply).find("Must declare SMTPUTF8 to send unicode address"),
            std::string::npos)
      << format_reply(reply);
}

TEST(ReplyCatalogTest, EhloIsMultiLineWithoutStatus) {
  Reply reply = replies::ehlo(
      "mx.example", {"PIPELINING", "SIZE 10240000", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8"});
  EXPECT_EQ(reply.code, 250);
  EXPECT_TRUE(reply.status.empty());
  EXPECT_EQ(format_reply(reply),
            "250-mx.example\r\n"
            "250-PIPELINING\r\n"
            "250-SIZE 10240000\r\n"
            "250-ENHANCEDSTATUSCODES\r\n"
            "250-8BITMIME\r\n"
            "250 SMTPUTF8\r\n");
  EXPECT_EQ(format_reply(replies::ehlo("mx.example", {})), "250 mx.example\r\n");
}

TEST(ReplyCatalogTest, HelpListsTheCommands) {
  Reply reply = replies::help();
  EXPECT_EQ(reply.code, 214);
  EXPECT_EQ(reply.status, "2.0.0");
  std::string wire = format_reply(reply);
  for (const char* verb : {"HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"}) {
    EXPECT_NE(wire.find(verb), std::string::npos) << verb;
  }
}

// Postfix's classes: every 2xx/3xx is positive, 4xx transient, 5xx permanent, and the status code's
// first digit agrees with the reply code (RFC 3463 §3.1).
TEST(ReplyCatalogTest, StatusClassMatchesReplyCode) {
  namespace r = replies;
  const Reply all[] = {
      r::ok(),
      r::sender_ok(),
      r::recipient_ok(),
      r::queued("X"),
      r::bye(),
      r::vrfy_ambiguous(),
      r::vrfy_disabled(),
      r::command_unrecognized(),
      r::line_too_long(),
      r::syntax("X"),
      r::helo_required(),
      r::no_valid_recipients(),
      r::bad_sender_syntax(""),
      r::bad_recipient_syntax(""),
      r::size_exceeded_at_data(),
      r::too_many_recipients(),
      r::relay_denied("x"),
      r::user_unknown("x"),
      r::lookup_failed("x"),
      r::bare_newline(),
      r::storage_failure(),
      r::insufficient_storage(),
      r::too_many_errors("h"),
      r::timeout("h"),
      r::etrn_not_permitted("d"),
      r::utf8_needs_smtputf8("x"),
  };
  for (const Reply& reply : all) {
    ASSERT_FALSE(reply.status.empty()) << format_reply(reply);
    int status_class = reply.status[0] - '0';
    int code_class = reply.code / 100;
    EXPECT_EQ(status_class, code_class == 3 ? 2 : code_class) << format_reply(reply);
  }
}

}  // namespace
}  // namespace tern::smtp
