// The parameter table: lookups, unique names, Postfix-only parameters marked, every default loads.
#include "config/parameters.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "config/config.hpp"

namespace tern::config {
namespace {

TEST(ConfigParametersTest, FindsKnownParameters) {
  struct Row {
    std::string_view name;
    ParameterKind kind;
    std::string_view default_value;
  };
  const Row rows[] = {
      {"myorigin", ParameterKind::Effective, "$myhostname"},
      {"smtpd_banner", ParameterKind::Effective, "$myhostname ESMTP $mail_name"},
      {"message_size_limit", ParameterKind::Effective, "10240000"},
      {"smtpd_relay_restrictions", ParameterKind::Effective,
       "permit_mynetworks, reject_unauth_destination"},
      {"disable_vrfy_command", ParameterKind::Effective, "ambiguous"},
      {"smtpd_forbid_bare_newline", ParameterKind::Effective, "normalize"},
      {"recipient_delimiter", ParameterKind::Effective, ""},
  };
  for (const Row& row : rows) {
    const ParameterInfo* info = find_parameter(row.name);
    ASSERT_NE(info, nullptr) << row.name;
    EXPECT_EQ(info->name, row.name);
    EXPECT_EQ(info->kind, row.kind) << row.name;
    EXPECT_EQ(info->default_value, row.default_value) << row.name;
  }
}

TEST(ConfigParametersTest, UnknownNamesAreNotFound) {
  for (std::string_view name : {"", "no_such_parameter", "MYHOSTNAME", "myhostname ", "smtpd_"}) {
    EXPECT_EQ(find_parameter(name), nullptr) << "'" << name << "'";
  }
}

TEST(ConfigParametersTest, PostfixOnlyParametersAreMarkedWithoutEffect) {
  // Every Postfix parameter in the seed main.cf that tern does not implement.
  for (std::string_view name :
       {"biff", "readme_directory", "compatibility_level", "smtp_tls_session_cache_database",
        "alias_database", "smtp_bind_address", "smtpd_use_tls", "smtpd_sasl_type"}) {
    const ParameterInfo* info = find_parameter(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->kind, ParameterKind::PostfixNoEffect) << name;
  }
  // ... and the ones of the seed tern does implement are Effective.
  for (std::string_view name :
       {"smtpd_banner", "append_dot_mydomain", "myhostname", "alias_maps", "mydestination",
        "mynetworks", "mailbox_size_limit", "recipient_delimiter", "inet_protocols",
        "smtpd_helo_restrictions", "home_mailbox", "data_directory", "smtpd_tls_cert_file",
        "smtpd_sasl_auth_enable", "relayhost", "smtp_generic_maps", "masquerade_domains"}) {
    const ParameterInfo* info = find_parameter(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->kind, ParameterKind::Effective) << name;
  }
}

TEST(ConfigParametersTest, NamesAreUniqueAndWellFormed) {
  std::set<std::string_view> seen;
  for (const ParameterInfo& info : all_parameters()) {
    EXPECT_TRUE(seen.insert(info.name).second) << "duplicate " << info.name;
    ASSERT_FALSE(info.name.empty());
    for (char c : info.name) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      EXPECT_TRUE(ok) << info.name;
    }
    EXPECT_EQ(find_parameter(info.name), &info);
  }
  EXPECT_GT(seen.size(), 30u);
}

TEST(ConfigParametersTest, EveryEffectiveDefaultLoads) {
  // An empty main.cf uses every default; it must load.
  auto loaded = load_config("", "main.cf");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  // Setting each parameter explicitly to its own default must load too (so the table's defaults
  // are valid main.cf text, expanded like a value from the file).
  for (const ParameterInfo& info : all_parameters()) {
    if (info.kind != ParameterKind::Effective || info.default_value.empty()) continue;
    std::string text = std::string(info.name) + " = " + std::string(info.default_value) + "\n";
    auto one = load_config(text, "main.cf");
    EXPECT_TRUE(one.ok()) << text << (one.ok() ? "" : one.error().message);
  }
}

TEST(ConfigParametersTest, PostfixOnlyParametersHaveNoDefault) {
  for (const ParameterInfo& info : all_parameters()) {
    if (info.kind == ParameterKind::PostfixNoEffect) {
      EXPECT_TRUE(info.default_value.empty()) << info.name;
    }
  }
}

}  // namespace
}  // namespace tern::config
