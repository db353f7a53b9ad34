// strings: ASCII case folding, iequals/istarts_with, trim, split_list and split_fields.
#include "base/strings.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace tern {
namespace {

TEST(StringsTest, CaseFoldingTouchesOnlyAsciiLetters) {
  EXPECT_EQ(to_lower_ascii("MAIL From:<A@B.EXAMPLE>"), "mail from:<a@b.example>");
  EXPECT_EQ(to_upper_ascii("ehlo mx-1.example"), "EHLO MX-1.EXAMPLE");
  EXPECT_EQ(to_lower_ascii(""), "");
  // Bytes outside A-Z/a-z, including UTF-8 and the characters next to the letter ranges, are kept.
  EXPECT_EQ(to_lower_ascii("@[`{\xc3\x89"), "@[`{\xc3\x89");
  EXPECT_EQ(to_upper_ascii("@[`{\xc3\xa9"), "@[`{\xc3\xa9");
}

TEST(StringsTest, Iequals) {
  struct Case {
    std::string_view a, b;
    bool equal;
  };
  const Case cases[] = {
      {"DATA", "data", true},
      {"StartTLS", "STARTTLS", true},
      {"", "", true},
      {"DATA", "DAT", false},
      {"DAT", "DATA", false},
      {"ehlo", "helo", false},
      {"@", "`", false},
      {"[", "{", false},                // differ by 0x20 but are not letters
      {"\xc3\x89", "\xc3\xa9", false},  // no Unicode folding
  };
  for (const Case& c : cases) {
    EXPECT_EQ(iequals(c.a, c.b), c.equal) << c.a << " vs " << c.b;
    EXPECT_EQ(iequals(c.b, c.a), c.equal) << c.b << " vs " << c.a;
  }
}

TEST(StringsTest, IstartsWith) {
  EXPECT_TRUE(istarts_with("from:<a@b>", "FROM"));
  EXPECT_TRUE(istarts_with("FROM", "from"));
  EXPECT_TRUE(istarts_with("anything", ""));
  EXPECT_FALSE(istarts_with("FRO", "FROM"));
  EXPECT_FALSE(istarts_with("TO:<a@b>", "FROM"));
}

TEST(StringsTest, TrimRemovesSpaceTabCrLfAtBothEnds) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim("\t\r\nx"), "x");
  EXPECT_EQ(trim("x"), "x");
  EXPECT_EQ(trim(" \t \r\n "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("a  b"), "a  b");  // inner whitespace is kept
}

TEST(StringsTest, SplitListAcceptsCommasAndOrWhitespace) {
  using List = std::vector<std::string>;
  struct Case {
    std::string_view text;
    List items;
  };
  const Case cases[] = {
      {"127.0.0.0/8 [::1]/128", {"127.0.0.0/8", "[::1]/128"}},
      {"a,b,c", {"a", "b", "c"}},
      {"a, b ,c", {"a", "b", "c"}},
      {"a,,b", {"a", "b"}},
      {" ,a\t\n b, ", {"a", "b"}},
      {"permit_mynetworks,\n    reject_unauth_destination",
       {"permit_mynetworks", "reject_unauth_destination"}},
      {"single", {"single"}},
      {"", {}},
      {" , ,\t", {}},
  };
  for (const Case& c : cases) EXPECT_EQ(split_list(c.text), c.items) << '"' << c.text << '"';
}

TEST(StringsTest, SplitFieldsKeepsEmptyFields) {
  using Fields = std::vector<std::string_view>;
  EXPECT_EQ(split_fields("a:b:c", ':'), (Fields{"a", "b", "c"}));
  EXPECT_EQ(split_fields("a::c", ':'), (Fields{"a", "", "c"}));
  EXPECT_EQ(split_fields(":a:", ':'), (Fields{"", "a", ""}));
  EXPECT_EQ(split_fields("", ':'), (Fields{""}));
  EXPECT_EQ(split_fields(":", ':'), (Fields{"", ""}));
  EXPECT_EQ(split_fields("no separator", ':'), (Fields{"no separator"}));
  EXPECT_EQ(split_fields("a b", ' '), (Fields{"a", "b"}));
}

TEST(StringsTest, PrintableAsciiKeepsOneLineOfPlainAscii) {
  EXPECT_EQ(printable_ascii("250 Ok"), "250 Ok");
  EXPECT_EQ(printable_ascii("a\tb"), "a b");
  EXPECT_EQ(printable_ascii("a\r\nb\x7F"), "a??b?");
  EXPECT_EQ(printable_ascii("j\xC3\xB6rg"), "j??rg");
  EXPECT_EQ(printable_ascii(""), "");
}

}  // namespace
}  // namespace tern
