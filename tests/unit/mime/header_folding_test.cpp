// Header folding: lines within 78 octets where possible, unfolding gives back the field, no line
// of white space alone, and a word longer than the limit stays whole.
#include "mime/header_folding.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace tern::mime {
namespace {

std::vector<std::string> lines_of(const std::string& field) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < field.size()) {
    std::size_t end = field.find("\r\n", start);
    EXPECT_NE(end, std::string::npos);
    lines.push_back(field.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

std::string unfold(const std::string& field) {
  return std::regex_replace(field.substr(0, field.size() - 2), std::regex("\r\n([ \t])"), "$1");
}

TEST(HeaderFoldingTest, ShortFieldIsOneLine) {
  EXPECT_EQ(fold_header_field("Subject", "hello"), "Subject: hello\r\n");
}

TEST(HeaderFoldingTest, LongFieldIsFoldedBeforeWhiteSpace) {
  std::string value;
  for (int i = 0; i < 30; ++i) value += "word" + std::to_string(i) + " ";
  value += "end";
  std::string field = fold_header_field("Subject", value);
  std::vector<std::string> lines = lines_of(field);
  ASSERT_GT(lines.size(), 2u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_LE(lines[i].size(), 78u) << lines[i];
    if (i > 0) {
      EXPECT_EQ(lines[i][0], ' ');
    }
    EXPECT_NE(lines[i].find_first_not_of(" \t"), std::string::npos) << "blank line " << i;
  }
  EXPECT_EQ(unfold(field), "Subject: " + value);
}

TEST(HeaderFoldingTest, AddressListFoldsAfterCommas) {
  std::string value;
  for (int i = 0; i < 8; ++i)
    value += (i ? ", " : "") + std::string("someone") + std::to_string(i) + "@example.org";
  std::string field = fold_header_field("To", value);
  for (const std::string& line : lines_of(field)) EXPECT_LE(line.size(), 78u);
  EXPECT_EQ(unfold(field), "To: " + value);
}

TEST(HeaderFoldingTest, UnbreakableWordStaysWhole) {
  std::string word(120, 'x');
  std::string field = fold_header_field("X-Long", "a " + word + " b");
  std::vector<std::string> lines = lines_of(field);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "X-Long: a");
  EXPECT_EQ(lines[1], " " + word);
  EXPECT_EQ(lines[2], " b");
}

TEST(HeaderFoldingTest, NeverFoldsRightAfterTheColonOrIntoTrailingSpace) {
  std::string word(90, 'y');
  EXPECT_EQ(fold_header_field("X", word), "X: " + word + "\r\n");
  std::string trailing = "abc" + std::string(80, ' ');
  EXPECT_EQ(fold_header_field("X", trailing), "X: " + trailing + "\r\n");
}

TEST(HeaderFoldingTest, FoldsAfterTheColonWhenTheFirstWordFitsOnlyAlone) {
  std::string word(70, 'w');
  std::string field = fold_header_field("X-A-Rather-Long-Name", word + " tail");
  EXPECT_EQ(field, "X-A-Rather-Long-Name:\r\n " + word + " tail\r\n");
  EXPECT_EQ(unfold(field), "X-A-Rather-Long-Name: " + word + " tail");
}

TEST(HeaderFoldingTest, RunsOfSpacesArePreserved) {
  std::string value = std::string(60, 'a') + "   " + std::string(20, 'b');
  std::string field = fold_header_field("Subject", value);
  EXPECT_EQ(unfold(field), "Subject: " + value);
  EXPECT_EQ(lines_of(field).size(), 2u);
}

}  // namespace
}  // namespace tern::mime
