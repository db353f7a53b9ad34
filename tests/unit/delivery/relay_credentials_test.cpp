// smtp_sasl_password_maps: keys tried per next hop, "user:password" values, and the SASL answers.
#include "delivery/relay_credentials.hpp"

#include <gtest/gtest.h>

#include "base/base64.hpp"

namespace tern::delivery {
namespace {

TEST(RelayCredentialsTest, ParsesUserAndPassword) {
  auto login = parse_sasl_login("  bob@isp.example:pa:ss word ");
  ASSERT_TRUE(login) << login.error().message;
  EXPECT_EQ(login->user, "bob@isp.example");
  EXPECT_EQ(login->password, "pa:ss word");
  EXPECT_EQ(parse_sasl_login("nopassword").error().message, "expected user:password");
  EXPECT_EQ(parse_sasl_login(":secret").error().message, "empty user name");
  EXPECT_EQ(parse_sasl_login("bob:").error().message, "empty password");
}

TEST(RelayCredentialsTest, KeysFromTheNextHop) {
  EXPECT_EQ(sasl_lookup_keys("[smtp.isp.example]:587"),
            (std::vector<std::string>{"[smtp.isp.example]:587", "[smtp.isp.example]",
                                      "smtp.isp.example"}));
  EXPECT_EQ(sasl_lookup_keys("[smtp.isp.example]"),
            (std::vector<std::string>{"[smtp.isp.example]", "smtp.isp.example"}));
  EXPECT_EQ(sasl_lookup_keys("smtp.isp.example:587"),
            (std::vector<std::string>{"smtp.isp.example:587", "smtp.isp.example"}));
  EXPECT_EQ(sasl_lookup_keys("example.org"), (std::vector<std::string>{"example.org"}));
}

TEST(RelayCredentialsTest, FirstKeyInTheTableWinsAndBadEntriesHideThePassword) {
  config::LookupTable table;
  table.entries = {{"[smtp.isp.example]:587", "first:one"},
                   {"smtp.isp.example", "second:two"},
                   {"broken.example", "just-a-secret"}};
  auto found = find_sasl_login(table, sasl_lookup_keys("[smtp.isp.example]:587"));
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->user, "first");
  auto by_host = find_sasl_login(table, sasl_lookup_keys("[smtp.isp.example]:25"));
  ASSERT_TRUE(by_host && by_host->has_value());
  EXPECT_EQ((*by_host)->user, "second");
  auto none = find_sasl_login(table, sasl_lookup_keys("other.example"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto bad = find_sasl_login(table, {"broken.example"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "smtp_sasl_password_maps: bad entry for broken.example: expected user:password");
  EXPECT_EQ(bad.error().message.find("just-a-secret"), std::string::npos);
}

TEST(RelayCredentialsTest, CredentialsAnswerPlainAndLogin) {
  smtp::ClientCredentials credentials = client_credentials({"bob", "secret"});
  auto plain = credentials.plain();
  ASSERT_TRUE(plain);
  EXPECT_EQ(base64_decode(*plain), std::optional<std::string>(std::string("\0bob\0secret", 11)));
  auto user = credentials.login("Username:");
  ASSERT_TRUE(user);
  EXPECT_EQ(base64_decode(*user), std::optional<std::string>("bob"));
  auto password = credentials.login("Password:");
  ASSERT_TRUE(password);
  EXPECT_EQ(base64_decode(*password), std::optional<std::string>("secret"));
}

}  // namespace
}  // namespace tern::delivery
