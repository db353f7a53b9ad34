// Remote replies: codes, enhanced status taken or derived (RFC 3463), multi-line framing (RFC 5321
// §4.2.1) with real servers' replies, every kind of malformed input giving code 0 with a reason,
// masking and bounds on the kept text, and random bytes and random well-formed replies.
#include "smtp/remote_reply.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tern::smtp {
namespace {

struct Expected {
  std::string raw;
  int code;
  std::string status;
  bool from_server;
  std::string text;
};

void expect_reply(const Expected& e) {
  SCOPED_TRACE(e.raw);
  RemoteReply reply = parse_remote_reply(e.raw);
  EXPECT_EQ(reply.code, e.code);
  EXPECT_EQ(reply.status, e.status);
  EXPECT_EQ(reply.status_from_server, e.from_server);
  EXPECT_EQ(reply.text, e.text);
  EXPECT_FALSE(reply.malformed());
  EXPECT_EQ(reply.error, "");
}

TEST(RemoteReplyTest, SingleLines) {
  const std::vector<Expected> cases = {
      {"250 2.0.0 Ok: queued as 4TzQ1x0bKqz9sZ\r\n", 250, "2.0.0", true,
       "Ok: queued as 4TzQ1x0bKqz9sZ"},
      {"250 2.1.5 Ok\r\n", 250, "2.1.5", true, "Ok"},
      {"550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown\r\n", 550, "5.1.1",
       true, "<bob@example.net>: Recipient address rejected: User unknown"},
      {"451 4.7.1 Greylisted, try again later\r\n", 451, "4.7.1", true,
       "Greylisted, try again later"},
      {"552 5.3.4 Message size exceeds fixed limit", 552, "5.3.4", true,
       "Message size exceeds fixed limit"},  // no line ending
      {"221 2.0.0 Bye\n", 221, "2.0.0", true, "Bye"},
      {"554 5.7.1 \r\n", 554, "5.7.1", true, ""},
      {"250 2.0.0\r\n", 250, "2.0.0", true, ""},
      {"250 123.456.789 three-digit groups\r\n", 250, "2.0.0", false,
       "123.456.789 three-digit groups"},
      {"550 5.100.999 widest status\r\n", 550, "5.100.999", true, "widest status"},
      {"250   2.0.0   spaces around the status\r\n", 250, "2.0.0", true,
       "spaces around the status"},
  };
  for (const Expected& e : cases) expect_reply(e);
}

TEST(RemoteReplyTest, StatusDerivedFromTheCodeWhenAbsent) {
  const std::vector<Expected> cases = {
      {"250 Ok\r\n", 250, "2.0.0", false, "Ok"},
      {"220 mx.example.net ESMTP\r\n", 220, "2.0.0", false, "mx.example.net ESMTP"},
      {"421 mx.example.net Service not available\r\n", 421, "4.0.0", false,
       "mx.example.net Service not available"},
      {"450 Mailbox busy\r\n", 450, "4.0.0", false, "Mailbox busy"},
      {"550 No such user here\r\n", 550, "5.0.0", false, "No such user here"},
      {"250\r\n", 250, "2.0.0", false, ""},
      {"554\r\n", 554, "5.0.0", false, ""},
      {"250 \r\n", 250, "2.0.0", false, ""},
  };
  for (const Expected& e : cases) expect_reply(e);
}

TEST(RemoteReplyTest, StatusMustMatchTheCodeAndBeWellFormed) {
  // Postfix's smtp_chat ignores a status whose class differs from the code's first digit; it
  // stays in the text, where a reader can still see it.
  const std::vector<Expected> cases = {
      {"550 2.1.1 wrong class\r\n", 550, "5.0.0", false, "2.1.1 wrong class"},
      {"250 5.0.0 wrong class\r\n", 250, "2.0.0", false, "5.0.0 wrong class"},
      {"450 5.7.1 wrong class\r\n", 450, "4.0.0", false, "5.7.1 wrong class"},
      {"550 3.1.1 no class 3\r\n", 550, "5.0.0", false, "3.1.1 no class 3"},
      {"550 5.1 too short\r\n", 550, "5.0.0", false, "5.1 too short"},
      {"550 5.1. empty detail\r\n", 550, "5.0.0", false, "5.1. empty detail"},
      {"550 5..1 empty subject\r\n", 550, "5.0.0", false, "5..1 empty subject"},
      {"550 5.1.1000 detail too long\r\n", 550, "5.0.0", false, "5.1.1000 detail too long"},
      {"550 5.1000.1 subject too long\r\n", 550, "5.0.0", false, "5.1000.1 subject too long"},
      {"550 5.1.1.1 four groups\r\n", 550, "5.0.0", false, "5.1.1.1 four groups"},
      {"550 5.1.1: colon after\r\n", 550, "5.0.0", false, "5.1.1: colon after"},
      {"550 5.a.1 letter\r\n", 550, "5.0.0", false, "5.a.1 letter"},
      {"550 55.1.1 two-digit class\r\n", 550, "5.0.0", false, "55.1.1 two-digit class"},
      {"550 x5.1.1 prefix\r\n", 550, "5.0.0", false, "x5.1.1 prefix"},
  };
  for (const Expected& e : cases) expect_reply(e);
}

TEST(RemoteReplyTest, IntermediateRepliesHaveNoStatus) {
  // RFC 3463 defines classes 2, 4 and 5 only.
  expect_reply({"354 End data with <CR><LF>.<CR><LF>\r\n", 354, "", false,
                "End data with <CR><LF>.<CR><LF>"});
  expect_reply({"354 2.0.0 Go ahead\r\n", 354, "", false, "2.0.0 Go ahead"});
  expect_reply({"334 VXNlcm5hbWU6\r\n", 334, "", false, "VXNlcm5hbWU6"});
}

TEST(RemoteReplyTest, MultiLineRepliesFromRealServers) {
  const std::string gmail =
      "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n"
      "550-5.1.1 double-checking the recipient's email address for typos or\r\n"
      "550-5.1.1 unnecessary spaces. For more information, go to\r\n"
      "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1-20020a170906\r\n";
  RemoteReply reply = parse_remote_reply(gmail);
  EXPECT_EQ(reply.code, 550);
  EXPECT_EQ(reply.status, "5.1.1");
  EXPECT_TRUE(reply.status_from_server);
  EXPECT_EQ(reply.text,
            "The email account that you tried to reach does not exist. Please try "
            "double-checking the recipient's email address for typos or unnecessary spaces. For "
            "more information, go to https://support.google.com/mail/?p=NoSuchUser "
            "a1-20020a170906");
  // As Postfix writes it: every line as sent, joined by spaces.
  EXPECT_EQ(reply.diagnostic_code(),
            "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please "
            "try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 "
            "unnecessary spaces. For more information, go to 550 5.1.1  "
            "https://support.google.com/mail/?p=NoSuchUser a1-20020a170906");
  EXPECT_TRUE(reply.is_permanent());

  const std::string ehlo =
      "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n"
      "250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n";
  reply = parse_remote_reply(ehlo);
  EXPECT_EQ(reply.code, 250);
  EXPECT_EQ(reply.status, "2.0.0");
  EXPECT_FALSE(reply.status_from_server);
  EXPECT_EQ(reply.text,
            "mx.example.net PIPELINING SIZE 10240000 ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8");

  const std::string greylist =
      "450-4.2.0 <bob@example.net>: Recipient address rejected: Greylisted, see\n"
      "450 4.2.0 http://postgrey.schweikert.ch/help/example.net.html\n";
  reply = parse_remote_reply(greylist);
  EXPECT_EQ(reply.code, 450);
  EXPECT_EQ(reply.status, "4.2.0");
  EXPECT_TRUE(reply.is_transient());
}

TEST(RemoteReplyTest, StatusOfTheLastLineThatHasOne) {
  RemoteReply reply = parse_remote_reply("550-5.7.1 first\r\n550 5.7.26 last\r\n");
  EXPECT_EQ(reply.status, "5.7.26");
  EXPECT_EQ(reply.text, "first last");

  reply = parse_remote_reply("550-5.7.1 only the first has one\r\n550 second\r\n");
  EXPECT_EQ(reply.status, "5.7.1");
  EXPECT_TRUE(reply.status_from_server);
  EXPECT_EQ(reply.text, "only the first has one second");

  reply = parse_remote_reply("550-\r\n550-5.2.2 mailbox full\r\n550 \r\n");
  EXPECT_EQ(reply.status, "5.2.2");
  EXPECT_EQ(reply.text, "mailbox full");
  EXPECT_EQ(reply.diagnostic, "550- 550-5.2.2 mailbox full 550 ");
}

TEST(RemoteReplyTest, DecisionPredicates) {
  struct Case {
    std::string raw;
    bool positive, intermediate, transient, permanent;
  };
  const std::vector<Case> cases = {
      {"250 ok", true, false, false, false},         {"221 bye", true, false, false, false},
      {"354 go", false, true, false, false},         {"421 closing", false, false, true, false},
      {"452 full", false, false, true, false},       {"500 what", false, false, false, true},
      {"554 no", false, false, false, true},         {"garbage", false, false, true, false},
      {"250-unfinished", false, false, true, false},
  };
  for (const Case& c : cases) {
    RemoteReply reply = parse_remote_reply(c.raw);
    EXPECT_EQ(reply.is_positive(), c.positive) << c.raw;
    EXPECT_EQ(reply.is_intermediate(), c.intermediate) << c.raw;
    EXPECT_EQ(reply.is_transient(), c.transient) << c.raw;
    EXPECT_EQ(reply.is_permanent(), c.permanent) << c.raw;
  }
}

struct Garbage {
  std::string raw;
  std::string error;
};

TEST(RemoteReplyTest, MalformedRepliesAreAClearFailure) {
  const std::vector<Garbage> cases = {
      {"", "empty reply"},
      {"\r\n", "line 1: no three-digit reply code: \"\""},
      {"25", "line 1: no three-digit reply code: \"25\""},
      {"25 ok\r\n", "line 1: no three-digit reply code: \"25 ok\""},
      {"2500 ok\r\n", "line 1: no three-digit reply code: \"2500 ok\""},
      {"abc def\r\n", "line 1: no three-digit reply code: \"abc def\""},
      {"HTTP/1.1 400 Bad Request\r\n",
       "line 1: no three-digit reply code: \"HTTP/1.1 400 Bad Request\""},
      {" 250 ok\r\n", "line 1: no three-digit reply code: \" 250 ok\""},
      {"-250 ok\r\n", "line 1: no three-digit reply code: \"-250 ok\""},
      {"2x0 ok\r\n", "line 1: no three-digit reply code: \"2x0 ok\""},
      {"199 ok\r\n", "line 1: reply code 199 is outside 2xx-5xx"},
      {"099 ok\r\n", "line 1: reply code 099 is outside 2xx-5xx"},
      {"600 ok\r\n", "line 1: reply code 600 is outside 2xx-5xx"},
      {"999 ok\r\n", "line 1: reply code 999 is outside 2xx-5xx"},
      {"250x ok\r\n", "line 1: reply code followed by \"x\", not a space or '-'"},
      {"250\tok\r\n", "line 1: reply code followed by \" \", not a space or '-'"},
      {"250_ok\r\n", "line 1: reply code followed by \"_\", not a space or '-'"},
      {"250-first\r\n", "the reply ends with continuation line 1"},
      {"250-first\r\n250-second", "the reply ends with continuation line 2"},
      {"250 done\r\n250 again\r\n", "line 1 ends the reply but 1 more line(s) follow"},
      {"250 done\r\ngarbage\r\n", "line 1 ends the reply but 1 more line(s) follow"},
      {"250-a\r\n550 b\r\n", "line 2: reply code 550 differs from 250 on the first line"},
      {"250-a\r\n\r\n250 b\r\n", "line 2: no three-digit reply code: \"\""},
      {"250-a\r\n 250 b\r\n", "line 2: no three-digit reply code: \" 250 b\""},
      {"250-a\r250 b\r\n", "the reply ends with continuation line 1"},  // CR is not a line end
      {std::string("2\0"
                   "50 ok",
                   7),
       "line 1: no three-digit reply code: \"2?50 ok\""},
      {"\xEF\xBB\xBF"
       "250 ok",
       "line 1: no three-digit reply code: \"???250 ok\""},
  };
  for (const Garbage& g : cases) {
    SCOPED_TRACE(g.raw);
    RemoteReply reply = parse_remote_reply(g.raw);
    EXPECT_TRUE(reply.malformed());
    EXPECT_EQ(reply.code, 0);
    EXPECT_EQ(reply.error, g.error);
    EXPECT_EQ(reply.status, "4.5.0");  // protocol error: defer
    EXPECT_FALSE(reply.status_from_server);
    EXPECT_EQ(reply.text, "");
    EXPECT_TRUE(reply.is_transient());
  }
}

TEST(RemoteReplyTest, MalformedReplyKeepsWhatWasSentForTheDiagnostic) {
  RemoteReply reply = parse_remote_reply("250-a\r\n550 b\x01\r\n");
  EXPECT_EQ(reply.diagnostic_code(), "smtp; 250-a 550 b?");
  reply = parse_remote_reply("");
  EXPECT_EQ(reply.diagnostic_code(), "smtp; ");
}

TEST(RemoteReplyTest, LongGarbageIsExcerptedInTheError) {
  RemoteReply reply = parse_remote_reply(std::string(5000, 'x'));
  EXPECT_EQ(reply.error, "line 1: no three-digit reply code: \"" + std::string(40, 'x') + "...\"");
  EXPECT_EQ(reply.diagnostic.size(), RemoteReply::kMaxText);
}

TEST(RemoteReplyTest, ControlsAndNonAsciiAreMasked) {
  RemoteReply reply =
      parse_remote_reply("550 5.1.1 Empf\xC3\xA4nger\tunbekannt\x1B[31m\x7F\rX\r\n");
  EXPECT_EQ(reply.code, 550);
  EXPECT_EQ(reply.status, "5.1.1");
  EXPECT_EQ(reply.text, "Empf??nger unbekannt?[31m??X");
  EXPECT_EQ(reply.diagnostic, "550 5.1.1 Empf??nger unbekannt?[31m??X");
  for (char c : reply.diagnostic_code()) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7F) << static_cast<int>(c);
  }
}

TEST(RemoteReplyTest, KeptTextIsBounded) {
  std::string raw;
  for (int i = 0; i < 200; ++i)
    raw += "452-4.3.1 " + std::string(100, static_cast<char>('a' + i % 26)) + "\r\n";
  raw += "452 4.3.1 Insufficient system storage\r\n";
  RemoteReply reply = parse_remote_reply(raw);
  EXPECT_EQ(reply.code, 452);
  EXPECT_EQ(reply.status, "4.3.1");  // from the last line, beyond what is kept
  EXPECT_EQ(reply.text.size(), RemoteReply::kMaxText);
  EXPECT_EQ(reply.diagnostic.size(), RemoteReply::kMaxText);
  EXPECT_TRUE(reply.text.starts_with(std::string(100, 'a') + " " + std::string(100, 'b')));

  // One very long line is cut too.
  reply = parse_remote_reply("250 " + std::string(100000, 'k'));
  EXPECT_EQ(reply.code, 250);
  EXPECT_EQ(reply.text.size(), RemoteReply::kMaxText);

  // Framing is still checked past the limit.
  reply = parse_remote_reply(raw + "452 extra\r\n");
  EXPECT_TRUE(reply.malformed());
}

TEST(RemoteReplyTest, RandomBytesNeverCrashAndAreJudgedConsistently) {
  std::mt19937 random(20231114);
  const std::string alphabet = "0123456789 -.\r\n25ab\t\x80\xFF";
  for (int round = 0; round < 20000; ++round) {
    std::string raw;
    int length = static_cast<int>(random() % 40);
    for (int i = 0; i < length; ++i) raw += alphabet[random() % alphabet.size()];
    RemoteReply reply = parse_remote_reply(raw);
    if (reply.malformed()) {
      EXPECT_FALSE(reply.error.empty()) << raw;
      EXPECT_EQ(reply.status, "4.5.0");
    } else {
      EXPECT_TRUE(reply.code >= 200 && reply.code <= 599) << raw;
      EXPECT_TRUE(reply.error.empty());
      EXPECT_EQ(reply.status.empty(), reply.code / 100 == 3) << raw;
    }
    for (char c : reply.text + reply.diagnostic) {
      ASSERT_TRUE(c >= 0x20 && c < 0x7F) << raw;
    }
    EXPECT_LE(reply.text.size(), RemoteReply::kMaxText);
  }
}

TEST(RemoteReplyTest, RandomWellFormedRepliesParseBack) {
  std::mt19937 random(3463);
  for (int round = 0; round < 5000; ++round) {
    int code = 200 + static_cast<int>(random() % 400);
    int klass = code / 100;
    bool with_status = klass != 3 && random() % 2 == 0;
    std::string status = with_status ? std::to_string(klass) + "." + std::to_string(random() % 8) +
                                           "." + std::to_string(random() % 30)
                                     : "";
    int lines = 1 + static_cast<int>(random() % 4);
    std::string raw;
    std::string text;
    for (int i = 0; i < lines; ++i) {
      std::string words = "w" + std::to_string(random() % 1000) + " x" + std::to_string(i);
      raw += std::to_string(code) + (i + 1 < lines ? "-" : " ");
      if (with_status) raw += status + " ";
      raw += words + (random() % 2 ? "\r\n" : "\n");
      text += (i == 0 ? "" : " ") + words;
    }
    RemoteReply reply = parse_remote_reply(raw);
    ASSERT_FALSE(reply.malformed()) << raw << reply.error;
    EXPECT_EQ(reply.code, code);
    EXPECT_EQ(reply.status_from_server, with_status);
    EXPECT_EQ(reply.status,
              with_status ? status : (klass == 3 ? "" : std::to_string(klass) + ".0.0"));
    EXPECT_EQ(reply.text, text);
  }
}

TEST(RemoteReplyTest, SplitReplyLinesDropsLineEndings) {
  using Lines = std::vector<std::string_view>;
  EXPECT_EQ(split_reply_lines("250-a\r\n250 b\r\n"), (Lines{"250-a", "250 b"}));
  EXPECT_EQ(split_reply_lines("250-a\n250 b"), (Lines{"250-a", "250 b"}));
  EXPECT_EQ(split_reply_lines("\r\n"), (Lines{""}));
  EXPECT_EQ(split_reply_lines(""), Lines{});
}

}  // namespace
}  // namespace tern::smtp
