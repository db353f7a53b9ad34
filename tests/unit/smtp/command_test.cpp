// parse_command (verbs, argument, unknown vs forbidden) and split_path_argument.
#include "smtp/command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace tern::smtp {
namespace {

const std::vector<std::string> kForbidden = {"CONNECT", "GET", "POST"};

Command parse(std::string_view line) {
  return parse_command(line, kForbidden);
}

TEST(CommandTest, KnownVerbsInAnyCase) {
  struct Case {
    std::string_view text;
    Verb verb;
  };
  const Case cases[] = {
      {"HELO", Verb::Helo}, {"ehlo", Verb::Ehlo},         {"Mail", Verb::Mail},
      {"rCpT", Verb::Rcpt}, {"data", Verb::Data},         {"BDAT", Verb::Bdat},
      {"rset", Verb::Rset}, {"VRFY", Verb::Vrfy},         {"expn", Verb::Expn},
      {"NoOp", Verb::Noop}, {"help", Verb::Help},         {"QUIT", Verb::Quit},
      {"etrn", Verb::Etrn}, {"StartTLS", Verb::Starttls}, {"auth", Verb::Auth},
  };
  for (const Case& c : cases) {
    Command command = parse(c.text);
    EXPECT_EQ(command.verb, c.verb) << c.text;
    EXPECT_EQ(command.verb_text, c.text);
    EXPECT_EQ(command.argument, "") << c.text;
  }
}

TEST(CommandTest, ArgumentIsTheRestAfterOneSpace) {
  Command command = parse("MAIL FROM:<a@b.example> SIZE=100");
  EXPECT_EQ(command.verb, Verb::Mail);
  EXPECT_EQ(command.verb_text, "MAIL");
  EXPECT_EQ(command.argument, "FROM:<a@b.example> SIZE=100");

  command = parse("ehlo client.example");
  EXPECT_EQ(command.verb, Verb::Ehlo);
  EXPECT_EQ(command.verb_text, "ehlo");
  EXPECT_EQ(command.argument, "client.example");

  command = parse("HELO\tclient.example");  // a tab separates too
  EXPECT_EQ(command.verb, Verb::Helo);
  EXPECT_EQ(command.argument, "client.example");

  command = parse("BDAT 100 LAST");
  EXPECT_EQ(command.verb, Verb::Bdat);
  EXPECT_EQ(command.argument, "100 LAST");
}

TEST(CommandTest, TrailingWhitespaceIsRemoved) {
  EXPECT_EQ(parse("QUIT   ").verb, Verb::Quit);
  EXPECT_EQ(parse("QUIT   ").argument, "");
  EXPECT_EQ(parse("QUIT \t").verb_text, "QUIT");
  EXPECT_EQ(parse("RCPT TO:<a@b> \t ").argument, "TO:<a@b>");
  EXPECT_EQ(parse("EHLO host.example ").argument, "host.example");
}

TEST(CommandTest, VerbMustMatchExactly) {
  for (std::string_view text :
       {"MAILX FROM:<a@b>", "MAI", "QUITT", "HEL", "E HLO", "", " QUIT", "DATA;", "STARTTLSX"}) {
    Command command = parse(text);
    EXPECT_EQ(command.verb, Verb::Unknown) << '"' << text << '"';
  }
}

TEST(CommandTest, UnknownKeepsTheVerbAsSent) {
  Command command = parse("XFORWARD NAME=x");
  EXPECT_EQ(command.verb, Verb::Unknown);
  EXPECT_EQ(command.verb_text, "XFORWARD");
  EXPECT_EQ(command.argument, "NAME=x");
}

TEST(CommandTest, HttpVerbsFromTheForbiddenListAreForbidden) {
  for (std::string_view text : {"CONNECT mx.example:25 HTTP/1.1", "GET / HTTP/1.0", "get /",
                                "POST /cgi-bin/x HTTP/1.1", "Post"}) {
    EXPECT_EQ(parse(text).verb, Verb::Forbidden) << text;
  }
  // Only listed verbs: PUT is merely unknown here, and an empty list forbids nothing but headers.
  EXPECT_EQ(parse("PUT / HTTP/1.1").verb, Verb::Unknown);
  EXPECT_EQ(parse_command("GET / HTTP/1.0", {}).verb, Verb::Unknown);
  // A forbidden list never overrides a real SMTP verb.
  EXPECT_EQ(parse_command("DATA", {"DATA"}).verb, Verb::Data);
}

TEST(CommandTest, HeaderLookingVerbsAreForbidden) {
  for (std::string_view text : {"Host: mx.example", "User-Agent: curl/8.0", "host:", "X-Foo: 1"}) {
    EXPECT_EQ(parse(text).verb, Verb::Forbidden) << text;
    EXPECT_EQ(parse_command(text, {}).verb, Verb::Forbidden) << text;
  }
  // "MAIL FROM:" has the colon in the argument, not the verb.
  EXPECT_EQ(parse("MAIL FROM:<a@b>").verb, Verb::Mail);
  EXPECT_EQ(parse("FROM: <a@b>").verb, Verb::Forbidden);
}

struct PathCase {
  std::string_view argument;
  std::string_view keyword;
  bool ok;
  std::string_view path;
  std::string_view parameters;
};

TEST(CommandTest, SplitPathArgument) {
  const PathCase cases[] = {
      {"FROM:<a@b> SIZE=1", "FROM", true, "<a@b>", "SIZE=1"},
      {"FROM:<a@b>", "FROM", true, "<a@b>", ""},
      {"from: <a@b>", "FROM", true, "<a@b>", ""},
      {"From:   <a@b>   BODY=8BITMIME  SMTPUTF8", "FROM", true, "<a@b>", "BODY=8BITMIME  SMTPUTF8"},
      {"FROM:a@b", "FROM", true, "a@b", ""},
      {"FROM:a@b SIZE=5", "FROM", true, "a@b", "SIZE=5"},
      {"FROM:<>", "FROM", true, "<>", ""},
      {"FROM:<> SIZE=0", "FROM", true, "<>", "SIZE=0"},
      {"TO:<postmaster>", "TO", true, "<postmaster>", ""},
      {"to:<Postmaster> NOTIFY=NEVER", "TO", true, "<Postmaster>", "NOTIFY=NEVER"},
      {R"(TO:<"a>b"@c.example> NOTIFY=NEVER)", "TO", true, R"(<"a>b"@c.example>)", "NOTIFY=NEVER"},
      {R"(TO:<"a\">b"@c.example>)", "TO", true, R"(<"a\">b"@c.example>)", ""},
      {R"(TO:<"a b"@c.example> X=1)", "TO", true, R"(<"a b"@c.example>)", "X=1"},
      {"TO:<@[10.1.1.1]:relaytest@nmap.scanme.org>", "TO", true,
       "<@[10.1.1.1]:relaytest@nmap.scanme.org>", ""},
  };
  for (const PathCase& c : cases) {
    PathArgument out;
    ASSERT_EQ(split_path_argument(c.argument, c.keyword, out), c.ok) << c.argument;
    EXPECT_EQ(out.path, c.path) << c.argument;
    EXPECT_EQ(out.parameters, c.parameters) << c.argument;
  }
}

TEST(CommandTest, SplitPathArgumentRefuses) {
  const PathCase cases[] = {
      {"FROM<a@b>", "FROM", false, "", ""},      // missing colon
      {"FROM <a@b>", "FROM", false, "", ""},     // space instead of colon
      {"FROM :<a@b>", "FROM", false, "", ""},    // space before colon
      {"TO:<a@b>", "FROM", false, "", ""},       // wrong keyword
      {"FROMAGE:<a@b>", "FROM", false, "", ""},  // keyword is a prefix of a longer word
      {"FROM:", "FROM", false, "", ""},          // nothing after the colon
      {"FROM:   ", "FROM", false, "", ""},       // only spaces after the colon
      {"FROM:<a@b", "FROM", false, "", ""},      // no closing bracket
      {R"(TO:<"a>b@c>)", "TO", false, "", ""},   // '>' only inside an unclosed quote
      {"", "TO", false, "", ""},
      {"T", "TO", false, "", ""},
  };
  for (const PathCase& c : cases) {
    PathArgument out;
    EXPECT_FALSE(split_path_argument(c.argument, c.keyword, out)) << c.argument;
  }
}

}  // namespace
}  // namespace tern::smtp
