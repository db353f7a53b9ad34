// HeaderScanner: byte-exact results of inserting missing fields for many messages (folding,
// obsolete "name :" syntax, bare LF, headers only, empty, mbox "From " lines, garbage), the same
// for every way of cutting the message into pieces, and the bound on what the caller keeps.
#include "mime/header_scanner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {
namespace {

using namespace std::string_literals;

const std::string kMessageId = "Message-ID: <new@test>\r\n";
const std::string kDate = "Date: NOW\r\n";

std::string shown(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 32 || byte > 126) {
      out += "\\x" + std::to_string(byte);
    } else {
      out += c;
    }
  }
  return out;
}

struct Scanned {
  std::string out;           // the message as it would be spooled
  std::size_t max_kept = 0;  // most bytes the caller had to keep between pieces
  int ends = 0;              // how many calls reported the header end
};

// Plays the session's side of the protocol: append each piece to the unwritten bytes, feed them,
// write what was consumed with the missing fields inserted at the reported end, keep the rest. The
// message's last piece goes to finish(), or (`finish_empty`) to feed() with finish() on the rest.
Scanned scan(std::string_view message, const std::vector<std::size_t>& cuts,
             bool finish_empty = false) {
  HeaderScanner scanner({"Message-ID", "DATE"});
  Scanned result;
  std::string pending;
  auto write = [&](const HeaderScanner::Step& step) {
    std::string_view ready(pending.data(), step.consumed);
    if (step.header_end) {
      ++result.ends;
      std::string fields;
      if (!scanner.has_field("message-id")) fields += kMessageId;
      if (!scanner.has_field("date")) fields += kDate;
      result.out += ready.substr(0, step.header_end->offset);
      result.out += header_insertion(*step.header_end, fields);
      result.out += ready.substr(step.header_end->offset);
    } else {
      result.out += ready;
    }
    pending.erase(0, step.consumed);
    result.max_kept = std::max(result.max_kept, pending.size());
  };
  std::vector<std::size_t> ends = cuts;
  ends.push_back(message.size());
  std::size_t start = 0;
  for (std::size_t i = 0; i < ends.size(); ++i) {
    pending.append(message.substr(start, ends[i] - start));
    start = ends[i];
    bool last = i + 1 == ends.size();
    if (!last || finish_empty) {
      write(scanner.feed(pending));
    } else {
      write(scanner.finish(pending));
    }
  }
  if (finish_empty) write(scanner.finish(pending));
  EXPECT_TRUE(pending.empty());
  EXPECT_TRUE(scanner.header_ended());
  return result;
}

// Checks one message against its expected output whole, cut once at every position, cut at every
// pair of positions, and byte by byte.
void expect_scanned(std::string_view message, const std::string& expected) {
  auto check = [&](const std::vector<std::size_t>& cuts, bool finish_empty) {
    Scanned result = scan(message, cuts, finish_empty);
    std::string where;
    for (std::size_t cut : cuts) where += std::to_string(cut) + " ";
    ASSERT_EQ(shown(result.out), shown(expected))
        << "message \"" << shown(message) << "\" cut at " << where;
    ASSERT_EQ(result.ends, 1) << "cut at " << where;
    ASSERT_LT(result.max_kept, HeaderScanner::kMaxUndecided);
  };
  // Stops at the first failing cut so one mistake does not print thousands of them.
  auto failed = [] { return testing::Test::HasFailure(); };
  check({}, false);
  check({}, true);
  for (std::size_t a = 0; a <= message.size() && !failed(); ++a) {
    check({a}, false);
    check({a}, true);
    for (std::size_t b = a; b <= message.size() && !failed(); ++b) check({a, b}, false);
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < message.size(); ++i) every.push_back(i);
  check(every, false);
  check(every, true);
}

struct Case {
  const char* what;
  std::string message;
  std::string expected;
};

const std::string M = kMessageId;
const std::string D = kDate;

const std::vector<Case> kCases = {
    {"both present: unchanged",
     "From: a@example.org\r\nDate: Tue, 1 Jan 2030 00:00:00 +0000\r\nMessage-ID: "
     "<1@example.org>\r\n"
     "Subject: hi\r\n\r\nbody\r\n",
     "From: a@example.org\r\nDate: Tue, 1 Jan 2030 00:00:00 +0000\r\nMessage-ID: "
     "<1@example.org>\r\n"
     "Subject: hi\r\n\r\nbody\r\n"},
    {"Message-ID missing: inserted before the empty line",
     "From: a@example.org\r\nDate: x\r\nSubject: hi\r\n\r\nbody\r\n",
     "From: a@example.org\r\nDate: x\r\nSubject: hi\r\n" + M + "\r\nbody\r\n"},
    {"Date missing", "Message-ID: <1@x>\r\nSubject: hi\r\n\r\nbody\r\n",
     "Message-ID: <1@x>\r\nSubject: hi\r\n" + D + "\r\nbody\r\n"},
    {"both missing; fields in the body do not count",
     "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\nMessage-ID: <1@x>\r\nDate: y\r\n",
     "From: a@example.org\r\nSubject: hi\r\n" + M + D +
         "\r\nbody\r\nMessage-ID: <1@x>\r\nDate: y\r\n"},
    {"names in any case", "message-id: <1@x>\r\nDATE: y\r\n\r\nb\r\n",
     "message-id: <1@x>\r\nDATE: y\r\n\r\nb\r\n"},
    {"Postfix's spelling Message-Id", "Message-Id: <1@x>\r\ndAtE: y\r\n\r\nb",
     "Message-Id: <1@x>\r\ndAtE: y\r\n\r\nb"},
    {"obsolete WSP before the colon (RFC 5322 §4.5.3)",
     "Message-ID : <1@x>\r\nDate\t \t: y\r\n\r\nb\r\n",
     "Message-ID : <1@x>\r\nDate\t \t: y\r\n\r\nb\r\n"},
    {"empty values still count as present", "Message-ID:\r\nDate:\r\n\r\n",
     "Message-ID:\r\nDate:\r\n\r\n"},
    {"names that only start or end like watched ones",
     "Message-IDs: x\r\nX-Date: y\r\nDate-Received: z\r\nResent-Message-ID: w\r\n\r\nb",
     "Message-IDs: x\r\nX-Date: y\r\nDate-Received: z\r\nResent-Message-ID: w\r\n" + M + D +
         "\r\nb"},
    {"folded lines are not fields", "Subject: a\r\n Message-ID: <1@x>\r\n\tDate: y\r\n\r\nb",
     "Subject: a\r\n Message-ID: <1@x>\r\n\tDate: y\r\n" + M + D + "\r\nb"},
    {"folded values", "Date: Tue,\r\n 1 Jan 2030\r\nMessage-ID:\r\n\t<1@x>\r\n\r\nb\r\n",
     "Date: Tue,\r\n 1 Jan 2030\r\nMessage-ID:\r\n\t<1@x>\r\n\r\nb\r\n"},
    {"only the first empty line ends the header", "Subject: a\r\n\r\n\r\nMessage-ID: x\r\n\r\n",
     "Subject: a\r\n" + M + D + "\r\n\r\nMessage-ID: x\r\n\r\n"},
    {"headers only, ending in CRLF: fields at the end", "Subject: a\r\nDate: y\r\n",
     "Subject: a\r\nDate: y\r\n" + M},
    {"headers only, last line unterminated: CRLF added first", "Subject: a\r\nDate: y",
     "Subject: a\r\nDate: y\r\n" + M},
    {"headers only, ending in a folded unterminated line", "Subject: a\r\n b",
     "Subject: a\r\n b\r\n" + M + D},
    {"headers only, ending in CR: LF completes it", "Subject: a\r", "Subject: a\r\n" + M + D},
    {"empty message: the fields are the header", "", M + D},
    {"empty header", "\r\nbody\r\n", M + D + "\r\nbody\r\n"},
    {"only the empty line", "\r\n", M + D + "\r\n"},
    {"bare LF lines", "Subject: a\nDate: y\n\nbody\n", "Subject: a\nDate: y\n" + M + "\nbody\n"},
    {"bare LF empty line after CRLF lines", "Subject: a\r\nDate: y\r\n\nbody",
     "Subject: a\r\nDate: y\r\n" + M + "\nbody"},
    {"bare LF, headers only", "Subject: a\nMessage-ID: x", "Subject: a\nMessage-ID: x\r\n" + D},
    // Postfix's mime_state: a line that is not a field ends the header section, and cleanup puts
    // the missing fields and an empty line before it.
    {"mbox From line first",
     "From someone@example.org Sat Jan  1 00:00:00 2030\r\nSubject: a\r\n\r\nbody\r\n",
     M + D + "\r\nFrom someone@example.org Sat Jan  1 00:00:00 2030\r\nSubject: a\r\n\r\nbody\r\n"},
    {"a line without a colon ends the header",
     "Subject: a\r\nnot a header\r\nDate: y\r\n\r\nbody\r\n",
     "Subject: a\r\n" + M + D + "\r\nnot a header\r\nDate: y\r\n\r\nbody\r\n"},
    {"space inside a name: not a field, despite a later colon", "Date: y\r\nFrom x: y\r\n\r\n",
     "Date: y\r\n" + M + "\r\nFrom x: y\r\n\r\n"},
    {"name and WSP without a colon", "Message-ID: <1@x>\r\nSubject a\r\n",
     "Message-ID: <1@x>\r\n" + D + "\r\nSubject a\r\n"},
    {"name then line end", "Subject\r\nDate: y\r\n\r\n", M + D + "\r\nSubject\r\nDate: y\r\n\r\n"},
    {"first line starts with WSP: nothing to fold", " Subject: a\r\n\r\nb",
     M + D + "\r\n Subject: a\r\n\r\nb"},
    {"empty name", "Date: y\r\n: x\r\n\r\n", "Date: y\r\n" + M + "\r\n: x\r\n\r\n"},
    {"8-bit byte in a name",
     "S\xc3\xbc"
     "bject: x\r\n\r\nb",
     M + D +
         "\r\nS\xc3\xbc"
         "bject: x\r\n\r\nb"},
    {"control byte in a name", "Sub\x01ject: x\r\n\r\n", M + D + "\r\nSub\x01ject: x\r\n\r\n"},
    {"line starting with a bare CR is not the empty line", "Subject: a\r\n\rDate: y\r\n\r\n",
     "Subject: a\r\n" + M + D + "\r\n\rDate: y\r\n\r\n"},
    {"CR CR LF line", "Subject: a\r\n\r\r\nb", "Subject: a\r\n" + M + D + "\r\n\r\r\nb"},
    {"unterminated last line without a colon", "Subject: a\r\nFoo",
     "Subject: a\r\n" + M + D + "\r\nFoo"},
    {"lone CR as the last line", "Subject: a\r\n\r", "Subject: a\r\n" + M + D + "\r\n\r"},
    {"a URL line has a colon right after a name, as Postfix's is_header() sees it",
     "https://example.org/\r\n\r\n", "https://example.org/\r\n" + M + D + "\r\n"},
    {"body text right after the colon", "Date:y\r\nMessage-ID:<1@x>\r\n\r\n",
     "Date:y\r\nMessage-ID:<1@x>\r\n\r\n"},
};

TEST(HeaderScannerTest, EveryCaseAtEverySplit) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    expect_scanned(c.message, c.expected);
  }
}

TEST(HeaderScannerTest, UndecidedLineStartsStayUnconsumed) {
  HeaderScanner scanner({"Date"});
  HeaderScanner::Step step = scanner.feed("Subject: a\r\nDa");
  EXPECT_EQ(step.consumed, 12u);  // "Da" could still be "Date:" or "Dark matter"
  EXPECT_FALSE(step.header_end);
  step = scanner.feed("Date");
  EXPECT_EQ(step.consumed, 0u);
  step = scanner.feed("Date: y\r\n\r");  // a CR could start the empty line or a bare CR line
  EXPECT_EQ(step.consumed, 9u);
  EXPECT_TRUE(scanner.has_field("date"));
  EXPECT_FALSE(scanner.header_ended());
  step = scanner.feed("\r\nbody");
  EXPECT_EQ(step.consumed, 6u);
  EXPECT_EQ(step.header_end, (HeaderEnd{0, HeaderEnd::Kind::EmptyLine, {}}));
  EXPECT_TRUE(scanner.header_ended());
}

TEST(HeaderScannerTest, TheEndIsReportedOnceThenEverythingPassesThrough) {
  HeaderScanner scanner({"Message-ID"});
  std::string_view first = "A: b\r\n\r\nMessage-ID: <1@x>\r\n";
  HeaderScanner::Step step = scanner.feed(first);
  EXPECT_EQ(step.header_end, (HeaderEnd{6, HeaderEnd::Kind::EmptyLine, {}}));
  EXPECT_EQ(step.consumed, first.size());
  std::string_view second = "\r\nMessage-ID: x\r\n\r\nFoo";
  step = scanner.feed(second);
  EXPECT_FALSE(step.header_end);
  EXPECT_EQ(step.consumed, second.size());
  step = scanner.finish("Fo");
  EXPECT_FALSE(step.header_end);
  EXPECT_EQ(step.consumed, 2u);
  EXPECT_FALSE(scanner.has_field("Message-ID"));
}

TEST(HeaderScannerTest, EndOfMessageKinds) {
  {
    HeaderScanner scanner({});
    EXPECT_EQ(scanner.finish("").header_end, (HeaderEnd{0, HeaderEnd::Kind::EndOfMessage, {}}));
  }
  {
    HeaderScanner scanner({});
    EXPECT_EQ(scanner.finish("A: b").header_end,
              (HeaderEnd{4, HeaderEnd::Kind::EndOfMessage, "\r\n"}));
  }
  {
    HeaderScanner scanner({});
    EXPECT_EQ(scanner.feed("A: b\r").consumed, 5u);
    EXPECT_EQ(scanner.finish("").header_end, (HeaderEnd{0, HeaderEnd::Kind::EndOfMessage, "\n"}));
  }
  {
    HeaderScanner scanner({});
    EXPECT_EQ(scanner.finish("A: b\r\nC").header_end,
              (HeaderEnd{6, HeaderEnd::Kind::NotAField, {}}));
  }
}

TEST(HeaderScannerTest, InsertionText) {
  EXPECT_EQ(header_insertion({0, HeaderEnd::Kind::EmptyLine, {}}, "F: x\r\n"), "F: x\r\n");
  EXPECT_EQ(header_insertion({0, HeaderEnd::Kind::NotAField, {}}, "F: x\r\n"), "F: x\r\n\r\n");
  EXPECT_EQ(header_insertion({0, HeaderEnd::Kind::EndOfMessage, "\r\n"}, "F: x\r\n"),
            "\r\nF: x\r\n");
  // Postfix separates the body from the header even when no field is missing.
  EXPECT_EQ(header_insertion({0, HeaderEnd::Kind::NotAField, {}}, ""), "\r\n");
  EXPECT_EQ(header_insertion({0, HeaderEnd::Kind::EmptyLine, {}}, ""), "");
}

TEST(HeaderScannerTest, OnlyWatchedNamesAreAnswered) {
  HeaderScanner scanner({"mEsSaGe-Id"});
  scanner.finish("Subject: a\r\nMESSAGE-ID: <1@x>\r\nDate: y\r\n\r\n");
  EXPECT_TRUE(scanner.has_field("Message-ID"));
  EXPECT_TRUE(scanner.has_field("message-id"));
  EXPECT_FALSE(scanner.has_field("Subject"));
  EXPECT_FALSE(scanner.has_field("Date"));
  EXPECT_FALSE(scanner.has_field("Message-I"));
}

TEST(HeaderScannerTest, LongValuesAreNeverKept) {
  std::string value(100000, 'v');
  std::string message = "Subject: " + value + "\r\nX-Long:\r\n " + value + "\r\n\r\nbody";
  std::string expected =
      "Subject: " + value + "\r\nX-Long:\r\n " + value + "\r\n" + kMessageId + kDate + "\r\nbody";
  for (std::size_t piece : {1u, 7u, 4096u}) {
    std::vector<std::size_t> cuts;
    for (std::size_t cut = piece; cut < message.size(); cut += piece) cuts.push_back(cut);
    Scanned result = scan(message, cuts);
    EXPECT_EQ(result.out, expected);
    EXPECT_LE(result.max_kept, std::string("Subject").size()) << "pieces of " << piece;
  }
}

TEST(HeaderScannerTest, NameLengthIsBoundedByTheLineLimit) {
  std::size_t longest = HeaderScanner::kMaxUndecided - 1;
  std::string fits = std::string(longest, 'X') + ": v\r\n\r\nb";
  std::string too_long = std::string(longest + 1, 'X') + ": v\r\n\r\nb";
  std::string no_colon = std::string(5000, 'X') + "\r\n\r\nb";
  struct Long {
    std::string message, expected;
  };
  for (const Long& c :
       {Long{fits, std::string(longest, 'X') + ": v\r\n" + M + D + "\r\nb"},
        Long{too_long, M + D + "\r\n" + too_long}, Long{no_colon, M + D + "\r\n" + no_colon}}) {
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < c.message.size(); ++i) every.push_back(i);
    for (const std::vector<std::size_t>& cuts :
         {std::vector<std::size_t>{}, every, std::vector<std::size_t>{500, 997, 998, 999}}) {
      Scanned result = scan(c.message, cuts);
      EXPECT_EQ(result.out, c.expected);
      EXPECT_LT(result.max_kept, HeaderScanner::kMaxUndecided);
    }
  }
}

// Messages assembled at random from fragments that matter to the scanner: the output never
// depends on how the message is cut.
TEST(HeaderScannerTest, RandomMessagesAreCutInvariant) {
  const std::vector<std::string> fragments = {"Message-ID: <1@x>",
                                              "message-id :",
                                              "Date: y",
                                              "DATE",
                                              "Subject: s",
                                              "From x",
                                              ":",
                                              " ",
                                              "\t",
                                              "\r\n",
                                              "\n",
                                              "\r",
                                              "body",
                                              "\xc3\xa9",
                                              "X",
                                              "-",
                                              "\r\n\r\n"};
  std::mt19937 random(5322);
  for (int round = 0; round < 3000; ++round) {
    std::string message;
    int count = std::uniform_int_distribution<int>(0, 12)(random);
    for (int i = 0; i < count; ++i) {
      message +=
          fragments[std::uniform_int_distribution<std::size_t>(0, fragments.size() - 1)(random)];
    }
    std::string whole = scan(message, {}).out;
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < message.size(); ++i) {
      if (random() % 3 == 0) cuts.push_back(i);
    }
    Scanned cut = scan(message, cuts, round % 2 == 0);
    ASSERT_EQ(shown(cut.out), shown(whole)) << "message \"" << shown(message) << "\"";
    ASSERT_EQ(cut.ends, 1);
    // Inserting only adds bytes: removing the insertion gives the message back.
    ASSERT_GE(whole.size(), message.size());
  }
}

}  // namespace
}  // namespace tern::mime
