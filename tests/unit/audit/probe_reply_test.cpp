// Probe replies: SMTP replies parse; anything else is NotSmtp; summaries are one printable line.
#include "audit/probe_reply.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

TEST(ProbeReplyTest, ParsesAReply) {
  ProbeReply reply = ProbeReply::from_raw("250-mail.example.org\r\n250 SIZE 1000\r\n");
  EXPECT_EQ(reply.kind, ProbeReply::Kind::Reply);
  EXPECT_EQ(reply.code(), 250);
  EXPECT_TRUE(reply.answered());
  EXPECT_TRUE(reply.positive());
  EXPECT_EQ(reply.summary(), "250-mail.example.org 250 SIZE 1000");
}

TEST(ProbeReplyTest, NegativeReplies) {
  ProbeReply reply = ProbeReply::from_raw("550 5.1.1 <x@y>: User unknown\r\n");
  EXPECT_EQ(reply.code(), 550);
  EXPECT_TRUE(reply.answered());
  EXPECT_FALSE(reply.positive());
  EXPECT_EQ(reply.summary(), "550 5.1.1 <x@y>: User unknown");
}

TEST(ProbeReplyTest, HttpIsNotSmtp) {
  ProbeReply reply = ProbeReply::from_raw("HTTP/1.0 200 Connection established\r\n");
  EXPECT_EQ(reply.kind, ProbeReply::Kind::NotSmtp);
  EXPECT_EQ(reply.code(), 0);
  EXPECT_FALSE(reply.answered());
  EXPECT_EQ(reply.summary(), "(not SMTP: HTTP/1.0 200 Connection established)");
}

TEST(ProbeReplyTest, NoReplyKinds) {
  EXPECT_EQ(ProbeReply::closed().summary(), "(connection closed)");
  EXPECT_EQ(ProbeReply::timed_out().summary(), "(no reply within the timeout)");
  EXPECT_EQ(ProbeReply::not_sent().summary(), "(not sent: no connection)");
  EXPECT_EQ(ProbeReply::closed("25").raw, "25");
  EXPECT_EQ(ProbeReply::closed().code(), 0);
  EXPECT_EQ(probe_reply_kind_name(ProbeReply::Kind::Reply), "reply");
  EXPECT_EQ(probe_reply_kind_name(ProbeReply::Kind::NotSmtp), "not-smtp");
  EXPECT_EQ(probe_reply_kind_name(ProbeReply::Kind::Closed), "closed");
  EXPECT_EQ(probe_reply_kind_name(ProbeReply::Kind::TimedOut), "timed-out");
  EXPECT_EQ(probe_reply_kind_name(ProbeReply::Kind::NotSent), "not-sent");
}

TEST(ProbeReplyTest, SummaryIsBoundedAndPrintable) {
  ProbeReply reply = ProbeReply::from_raw("250 " + std::string(1000, 'x') + "\x01\r\n");
  EXPECT_LE(reply.summary().size(), 303u);
  for (char c : reply.summary()) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
  ProbeReply control = ProbeReply::from_raw("GET\x1b[31m\r\n");
  for (char c : control.summary()) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
}

}  // namespace
}  // namespace tern::audit
