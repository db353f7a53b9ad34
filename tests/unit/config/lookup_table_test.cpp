// "key value" tables and Postfix's address lookup order.
#include "config/lookup_table.hpp"

#include <gtest/gtest.h>

namespace tern::config {
namespace {

LookupTable table_ok(std::string_view text) {
  auto table = parse_lookup_table(text, "logins");
  EXPECT_TRUE(table.ok()) << (table.ok() ? "" : table.error().message);
  return table.ok() ? *table : LookupTable{};
}

TEST(LookupTableTest, KeysValuesCommentsAndContinuations) {
  LookupTable table = table_ok(
      "# who may send as whom\n"
      "Alice@Example.org   alice@example.org\n"
      "\n"
      "sales@example.org   alice@example.org,\n"
      "  bob@example.org\n");
  ASSERT_NE(table.find("alice@example.org"), nullptr);
  EXPECT_EQ(*table.find("ALICE@example.org"), "alice@example.org");
  EXPECT_EQ(*table.find("sales@example.org"), "alice@example.org, bob@example.org");
  EXPECT_EQ(table.find("nobody@example.org"), nullptr);
}

TEST(LookupTableTest, ErrorsNameFileAndLine) {
  auto missing_value = parse_lookup_table("a b\nlonely\n", "logins");
  ASSERT_FALSE(missing_value.ok());
  EXPECT_EQ(missing_value.error().message, "logins:2: missing value after key lonely");
  auto orphan = parse_lookup_table("  continued\n", "logins");
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().message.rfind("logins:1: ", 0), 0u);
}

TEST(LookupTableTest, AddressLookupOrderIsPostfixs) {
  LookupTable table = table_ok(
      "alice@example.org  full\n"
      "bob                user-only\n"
      "@example.org       domain\n");
  EXPECT_EQ(*table.find_address("alice@example.org", "+"), "full");
  EXPECT_EQ(*table.find_address("alice+list@example.org", "+"), "full");
  EXPECT_EQ(*table.find_address("bob@elsewhere.net", "+"), "user-only");
  EXPECT_EQ(*table.find_address("carol@example.org", "+"), "domain");
  EXPECT_EQ(table.find_address("carol@elsewhere.net", "+"), nullptr);
  // Without a delimiter the extension is part of the name.
  EXPECT_EQ(*table.find_address("alice+list@example.org", ""), "domain");
}

}  // namespace
}  // namespace tern::config
