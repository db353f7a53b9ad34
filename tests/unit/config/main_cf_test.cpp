// main.cf syntax (parse_main_cf) and $name expansion (expand_value), as postconf(5) defines them.
#include "config/main_cf.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace tern::config {
namespace {

std::vector<MainCfEntry> parse_ok(std::string_view text) {
  auto entries = parse_main_cf(text, "main.cf");
  EXPECT_TRUE(entries.ok()) << (entries.ok() ? "" : entries.error().message);
  return entries.ok() ? *entries : std::vector<MainCfEntry>{};
}

TEST(MainCfTest, NameEqualsValue) {
  auto entries = parse_ok("myhostname = mail.example.org\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "myhostname");
  EXPECT_EQ(entries[0].value, "mail.example.org");
  EXPECT_EQ(entries[0].line, 1);
}

TEST(MainCfTest, WhitespaceAroundNameAndValueIsTrimmed) {
  struct Row {
    std::string_view text;
    std::string_view value;
  };
  const Row rows[] = {
      {"a=b", "b"}, {"a = b", "b"},   {"a\t=\tb\t", "b"}, {"a   =   b c   d  ", "b c   d"},
      {"a =", ""},  {"a = b\r", "b"},  // CRLF files
  };
  for (const Row& row : rows) {
    auto entries = parse_ok(row.text);
    ASSERT_EQ(entries.size(), 1u) << row.text;
    EXPECT_EQ(entries[0].name, "a") << row.text;
    EXPECT_EQ(entries[0].value, row.value) << row.text;
  }
}

TEST(MainCfTest, ContinuationLinesAreJoinedWithOneSpace) {
  auto entries = parse_ok(
      "mynetworks = 127.0.0.0/8\n"
      "    10.0.0.0/8\n"
      "\t192.168.0.0/16\n"
      "myhostname = h\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].value, "127.0.0.0/8 10.0.0.0/8 192.168.0.0/16");
  EXPECT_EQ(entries[0].line, 1);
  EXPECT_EQ(entries[1].name, "myhostname");
  EXPECT_EQ(entries[1].line, 4);
}

TEST(MainCfTest, CommentAndBlankLinesAreSkippedEvenInsideContinuations) {
  auto entries = parse_ok(
      "# a comment\n"
      "\n"
      "a = one\n"
      "# comment between\n"
      "  two\n"
      "   # indented comment\n"
      "b = three\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].value, "one two");
  EXPECT_EQ(entries[1].name, "b");
  EXPECT_EQ(entries[1].line, 7);
}

TEST(MainCfTest, HashInsideValueIsPartOfTheValue) {
  auto entries = parse_ok("smtpd_banner = $myhostname # not a comment\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].value, "$myhostname # not a comment");
}

TEST(MainCfTest, ValueMayContainEqualsSigns) {
  auto entries = parse_ok("a = b=c\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].value, "b=c");
}

TEST(MainCfTest, LaterValueIsReturnedLaterSoItWins) {
  auto entries = parse_ok("a = first\na = second\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].value, "second");
  EXPECT_EQ(entries[1].line, 2);
}

TEST(MainCfTest, EmptyTextHasNoEntries) {
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("\n\n# only comments\n").empty());
}

TEST(MainCfTest, ErrorsNameFileAndLine) {
  struct Row {
    std::string_view text;
    std::string_view prefix;
    std::string_view detail;
  };
  const Row rows[] = {
      {"a = b\nno equals sign here\n", "main.cf:2: ", "missing '='"},
      {"  indented = first\n", "main.cf:1: ", "continuation"},
      {"# comment\n\n   leading\n", "main.cf:3: ", "continuation"},
      {"a = b\nbad name = x\n", "main.cf:2: ", "bad parameter name"},
      {"a = b\n\nbad$name = x\n", "main.cf:3: ", "bad parameter name"},
      {"= value\n", "main.cf:1: ", "missing parameter name"},
      // The error is reported at the start of the logical line, not where its continuation ends.
      {"a = b\nbroken\n  continued\n", "main.cf:2: ", "missing '='"},
  };
  for (const Row& row : rows) {
    auto entries = parse_main_cf(row.text, "main.cf");
    ASSERT_FALSE(entries.ok()) << row.text;
    const std::string& message = entries.error().message;
    EXPECT_EQ(message.rfind(row.prefix, 0), 0u) << row.text << " -> " << message;
    EXPECT_NE(message.find(row.detail), std::string::npos) << row.text << " -> " << message;
  }
}

// A lookup over a fixed table of raw values, as load_config gives expand_value.
RawLookup table(std::map<std::string, std::string, std::less<>> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(MainCfTest, ExpansionForms) {
  RawLookup lookup = table({{"myhostname", "mail.example.org"},
                            {"mail_name", "tern"},
                            {"empty", ""},
                            {"banner", "$myhostname ESMTP $mail_name"},
                            {"nested", "${banner}!"}});
  struct Row {
    std::string_view value;
    std::string_view expanded;
  };
  const Row rows[] = {
      {"plain text", "plain text"},
      {"$myhostname", "mail.example.org"},
      {"${myhostname}", "mail.example.org"},
      {"$(myhostname)", "mail.example.org"},
      {"x$myhostname.y", "xmail.example.org.y"},  // '.' ends a bare $name
      {"${myhostname}x", "mail.example.orgx"},
      {"$$myhostname", "$myhostname"},
      {"a$$b", "a$b"},
      {"cost $", "cost $"},
      {"$banner", "mail.example.org ESMTP tern"},  // recursive
      {"$nested", "mail.example.org ESMTP tern!"},
      {"[$undefined]", "[]"},  // undefined expands to nothing, as in Postfix
      {"[${undefined}]", "[]"},
      {"[${myhostname?set}]", "[set]"},
      {"[${empty?set}]", "[]"},
      {"[${undefined?set}]", "[]"},
      {"[${myhostname:unset}]", "[]"},
      {"[${empty:unset}]", "[unset]"},
      {"[${undefined:unset}]", "[unset]"},
      {"[${myhostname?$mail_name}]", "[tern]"},  // the text is expanded too
      {"[$(empty:fallback)]", "[fallback]"},
      // Postfix 3.0 braced forms: {text} loses its braces; ?{a}:{b} chooses.
      {"[${myhostname?{braced}}]", "[braced]"},
      {"[${empty:{braced}}]", "[braced]"},
      {"${myhostname?{10}:{300}}s", "10s"},
      {"${empty?{10}:{300}}s", "300s"},
      {"${undefined?{10}:{300}}s", "300s"},
  };
  for (const Row& row : rows) {
    auto expanded = expand_value(row.value, lookup);
    ASSERT_TRUE(expanded.ok()) << row.value << ": " << expanded.error().message;
    EXPECT_EQ(*expanded, row.expanded) << row.value;
  }
}

TEST(MainCfTest, ConditionalTextMayItselfUseBracedReferences) {
  // Postfix balances braces: ${name?${other}} is a common idiom.
  RawLookup lookup = table({{"a", "x"}, {"b", "y"}});
  auto expanded = expand_value("${a?${b}}.", lookup);
  ASSERT_TRUE(expanded.ok()) << expanded.error().message;
  EXPECT_EQ(*expanded, "y.");
}

TEST(MainCfTest, UnbalancedBraceIsAnError) {
  auto expanded = expand_value("${myhostname", table({{"myhostname", "h"}}));
  EXPECT_FALSE(expanded.ok());
}

TEST(MainCfTest, ReferenceLoopsAreErrors) {
  struct Row {
    std::map<std::string, std::string, std::less<>> values;
    std::string_view start;
  };
  const Row rows[] = {
      {{{"a", "$a"}}, "$a"},
      {{{"a", "x ${a}"}}, "$a"},
      {{{"a", "$b"}, {"b", "$a"}}, "$a"},
      {{{"a", "$b"}, {"b", "$(c)"}, {"c", "${a}"}}, "$a"},
      {{{"a", "${b?$a}"}, {"b", "set"}}, "$a"},
  };
  for (const Row& row : rows) {
    auto expanded = expand_value(row.start, table(row.values));
    ASSERT_FALSE(expanded.ok()) << row.start;
    EXPECT_NE(expanded.error().message.find("refers to itself"), std::string::npos)
        << expanded.error().message;
  }
}

TEST(MainCfTest, RepeatedNonRecursiveReferencesAreNotLoops) {
  auto expanded = expand_value("$a $a ${a}", table({{"a", "$b"}, {"b", "x"}}));
  ASSERT_TRUE(expanded.ok()) << expanded.error().message;
  EXPECT_EQ(*expanded, "x x x");
}

// Found while writing fuzz/main_cf (a crafted main.cf took 16 s to load): every reference was
// expanded anew, so ten names referring four times each to the next cost 4^10 lookups.
TEST(MainCfTest, EachNameIsExpandedOncePerValue) {
  std::map<std::string, std::string, std::less<>> values;
  for (char name = 'a'; name < 'k'; ++name) {
    std::string next(1, static_cast<char>(name + 1));
    values[std::string(1, name)] = "$" + next + "$" + next + "${" + next + "}$(" + next + ")";
  }
  values["k"] = "x";
  int lookups = 0;
  RawLookup counting = [&](std::string_view name) -> std::optional<std::string> {
    ++lookups;
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
  auto expanded = expand_value("$a", counting);
  ASSERT_TRUE(expanded.ok()) << expanded.error().message;
  EXPECT_EQ(expanded->size(), 1048576u);  // 4^10 x: the value itself is what it is
  EXPECT_LE(lookups, 11);
}

// Found by fuzz/main_cf (inputs of 6 s): with each name expanded once, the value itself still grew
// fourfold per level; a few more levels would exhaust memory. Over 1 MiB is an error.
TEST(MainCfTest, ExpandedValuesAreBoundedInSize) {
  std::map<std::string, std::string, std::less<>> values;
  for (char name = 'a'; name < 'k'; ++name) {
    std::string next(1, static_cast<char>(name + 1));
    values[std::string(1, name)] = "$" + next + "$" + next + "$" + next + "$" + next;
  }
  values["k"] = "0123456789";
  auto expanded = expand_value("$a", table(values));
  ASSERT_FALSE(expanded.ok());
  EXPECT_EQ(expanded.error().message, "value longer than 1048576 bytes after $name expansion");
}

}  // namespace
}  // namespace tern::config
