// Fuzzes the recipient directory's table files: aliases(5) (config/recipient_directory.hpp) and
// texthash: lookup tables (config/lookup_table.hpp), both read from the same input since they share
// their line syntax, then alias expansion as delivery and MAIL FROM ownership checks run it.
// Checks: no alias keeps an empty, program, file or :include: target; every alias the table names
// exists for RCPT; an expansion that succeeds yields non-empty, de-duplicated targets (local users
// with a Maildir, or addresses in other domains); one that fails yields none.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.hpp"
#include "config/config.hpp"
#include "config/lookup_table.hpp"
#include "config/recipient_directory.hpp"
#include "fuzz_check.hpp"

namespace {

using tern::fuzz::visible;
using namespace tern::config;

Config directory_config() {
  Config config;
  config.mydestination = {"example.test", "localhost"};
  config.myorigin = "example.test";
  config.mail_root = "/var/mail/tern";
  config.recipient_delimiter = "+";
  config.home_mailbox = "Maildir/";
  return config;
}

std::vector<LocalUser> directory_users() {
  return {{"alice@example.test", "", ""}, {"root", "", ""}, {"carol", "", "/home/carol"}};
}

void check_alias_table(const AliasTable& table) {
  for (const auto& [name, targets] : table.entries) {
    FUZZ_CHECK(!name.empty(), "empty alias name");
    FUZZ_CHECK(tern::to_lower_ascii(name) == name, "alias name not lower case: " + visible(name));
    FUZZ_CHECK(!targets.empty(), "alias " + visible(name) + " without targets");
    for (const std::string& target : targets) {
      FUZZ_CHECK(!target.empty(), "alias " + visible(name) + " has an empty target");
      bool unsafe =
          target.front() == '|' || target.front() == '/' || tern::istarts_with(target, ":include:");
      FUZZ_CHECK(!unsafe, "alias " + visible(name) + " kept unsafe target " + visible(target));
    }
  }
}

void check_expansion(const RecipientDirectory& directory, const std::string& local,
                     const std::string& domain) {
  Expansion expansion = directory.expand(local, domain);
  std::string what = "expansion of " + visible(local) + "@" + visible(domain);
  if (expansion.status != Lookup::Found) {
    FUZZ_CHECK(expansion.targets.empty(), what + " failed but has targets");
    return;
  }
  FUZZ_CHECK(!expansion.targets.empty(), what + " found nothing");
  for (std::size_t i = 0; i < expansion.targets.size(); ++i) {
    const DeliveryTarget& target = expansion.targets[i];
    FUZZ_CHECK(!target.address.empty(), what + " has an empty address");
    if (target.user.empty()) {
      std::size_t at = target.address.rfind('@');
      FUZZ_CHECK(
          at != std::string::npos && !directory.is_local_domain(target.address.substr(at + 1)),
          what + " forwards to local " + visible(target.address));
      FUZZ_CHECK(target.maildir.empty(), what + " forwards with a Maildir");
    } else {
      FUZZ_CHECK(target.maildir.ends_with('/'), what + " Maildir " + visible(target.maildir));
    }
    for (std::size_t j = 0; j < i; ++j) {
      const DeliveryTarget& other = expansion.targets[j];
      FUZZ_CHECK(other.maildir != target.maildir || other.address != target.address,
                 what + " has " + visible(target.address) + " twice");
    }
  }
}

void check_lookup_table(std::string_view text) {
  auto table = parse_lookup_table(text, "sender_logins");
  if (!table) return;
  for (const auto& [key, value] : table->entries) {
    FUZZ_CHECK(tern::to_lower_ascii(key) == key, "key not lower case: " + visible(key));
    FUZZ_CHECK(table->find(key) == &value, "key " + visible(key) + " not found");
    // A key of one of the forms lookups try (user@domain, user, @domain) is found as itself.
    if (!key.ends_with('@')) {
      FUZZ_CHECK(table->find_address(key, "+") != nullptr,
                 "address " + visible(key) + " not found");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_lookup_table(text);

  std::vector<Diagnostic> diagnostics;
  auto table = parse_aliases(text, "aliases", &diagnostics);
  if (!table) return 0;
  check_alias_table(table.value());

  static const Config config = directory_config();
  RecipientDirectory directory(config, directory_users(), table.value());
  for (const auto& [name, targets] : table->entries) {
    (void)targets;
    FUZZ_CHECK(directory.recipient_exists(name, "example.test") == Lookup::Found,
               "alias " + visible(name) + " does not exist for RCPT");
    check_expansion(directory, name, "example.test");
    check_expansion(directory, name + "+tag", "localhost");
    (void)directory.sender_owners(name + "@example.test");
  }
  check_expansion(directory, "postmaster", "example.test");
  return 0;
}
