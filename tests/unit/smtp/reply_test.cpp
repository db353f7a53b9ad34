// Reply wire form: single/multi-line, status code on every line or none, code classes.
#include "smtp/reply.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tern::smtp {
namespace {

TEST(ReplyTest, SingleLineWithEnhancedStatus) {
  EXPECT_EQ(format_reply(make_reply(250, "2.1.0", "Ok")), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(format_reply(make_reply(554, "5.7.1", "<a@b>: Relay access denied")),
            "554 5.7.1 <a@b>: Relay access denied\r\n");
}

TEST(ReplyTest, SingleLineWithoutStatus) {
  EXPECT_EQ(format_reply(make_reply(220, "", "mx.example ESMTP")), "220 mx.example ESMTP\r\n");
  EXPECT_EQ(format_reply(make_reply(354, "", "End data with <CR><LF>.<CR><LF>")),
            "354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST(ReplyTest, MakeReplyHoldsOneLine) {
  Reply reply = make_reply(451, "4.3.0", "Error: queue file write error");
  EXPECT_EQ(reply.code, 451);
  EXPECT_EQ(reply.status, "4.3.0");
  ASSERT_EQ(reply.lines.size(), 1u);
  EXPECT_EQ(reply.lines[0], "Error: queue file write error");
}

// Found by fuzz/smtp_session: "555 5.5.4 Unsupported option: X" echoed the client's keyword with
// its control characters; a CR or NUL in a reply line breaks RFC 5321 §4.2 framing for clients.
TEST(ReplyTest, ControlCharactersInTheTextBecomeQuestionMarks) {
  using namespace std::string_literals;
  EXPECT_EQ(format_reply(make_reply(555, "5.5.4",
                                    "Unsupported option: NC\0\x04"
                                    "C\x0BOT\rI\x7F"s)),
            "555 5.5.4 Unsupported option: NC??C?OT?I?\r\n");
  EXPECT_EQ(format_reply(Reply{250, "", {"tab\tkept", "bare\nLF"}}),
            "250-tab\tkept\r\n250 bare?LF\r\n");
}

TEST(ReplyTest, MultiLineUsesDashOnAllButTheLastLine) {
  Reply ehlo{250, "", {"mx.example", "PIPELINING", "SIZE 10240000", "8BITMIME"}};
  EXPECT_EQ(format_reply(ehlo),
            "250-mx.example\r\n"
            "250-PIPELINING\r\n"
            "250-SIZE 10240000\r\n"
            "250 8BITMIME\r\n");
}

TEST(ReplyTest, MultiLineRepeatsTheStatusOnEveryLine) {
  Reply help{214, "2.0.0", {"first", "second", "third"}};
  EXPECT_EQ(format_reply(help),
            "214-2.0.0 first\r\n"
            "214-2.0.0 second\r\n"
            "214 2.0.0 third\r\n");
}

TEST(ReplyTest, EmptyLineListStillProducesOneLine) {
  EXPECT_EQ(format_reply(Reply{250, "2.0.0", {}}), "250 2.0.0 \r\n");
  EXPECT_EQ(format_reply(Reply{250, "", {""}}), "250 \r\n");
}

TEST(ReplyTest, AppendReplyAppendsWithoutClearing) {
  std::string out = "prefix";
  append_reply(out, make_reply(250, "2.0.0", "Ok"));
  append_reply(out, make_reply(221, "2.0.0", "Bye"));
  EXPECT_EQ(out, "prefix250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
}

TEST(ReplyTest, CodeClasses) {
  struct Case {
    int code;
    bool positive, transient, permanent;
  };
  const Case cases[] = {
      {220, true, false, false}, {250, true, false, false}, {354, true, false, false},
      {399, true, false, false}, {400, false, true, false}, {421, false, true, false},
      {499, false, true, false}, {500, false, false, true}, {554, false, false, true},
  };
  for (const Case& c : cases) {
    Reply reply = make_reply(c.code, "", "x");
    EXPECT_EQ(reply.is_positive(), c.positive) << c.code;
    EXPECT_EQ(reply.is_transient(), c.transient) << c.code;
    EXPECT_EQ(reply.is_permanent(), c.permanent) << c.code;
  }
}

}  // namespace
}  // namespace tern::smtp
