// Who is local: the users of mydestination domains (Dovecot passwd-file tables) and aliases(5)
// tables, with recipient_delimiter sub-addressing ("user+tag"). Answers the RCPT question (does
// this recipient exist?) and the delivery question (which Maildirs and which forward addresses does
// it expand to?). Pure lookups over tables already in memory; loading them reads files once.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "config/lookup_table.hpp"

namespace tern::config {

struct LocalUser {
  std::string name;      // "user@domain", or "user" for any local domain; lower case
  std::string password;  // "{SCHEME}hash", possibly empty
  std::string home;      // passwd-file field 6, may be empty
};

// aliases(5): "name: target, target", continuation lines start with whitespace, '#' comments.
// Keys are local parts (lower case). Targets: local names or addresses; "|cmd", "/file",
// ":include:" are refused with a diagnostic (tern never runs commands for mail it receives).
struct AliasTable {
  std::map<std::string, std::vector<std::string>> entries;
};
Result<AliasTable> parse_aliases(std::string_view text, std::string_view file_name,
                                 std::vector<Diagnostic>* diagnostics = nullptr);

// Dovecot passwd-file: "user[@domain]:password:uid:gid:gecos:home:shell:extra", fields after the
// password optional; '#' comments and blank lines ignored.
Result<std::vector<LocalUser>> parse_passwd_file(std::string_view text, std::string_view file_name);

enum class Lookup { Found, NotFound, Unavailable };

// Where one recipient's copy goes after alias expansion.
struct DeliveryTarget {
  std::string user;     // matched LocalUser::name, or "" for a forward to another domain
  std::string maildir;  // absolute path ending in "/Maildir/" (or home_mailbox); empty for forwards
  std::string address;  // final address (forward target, or the local user's address)
};

struct Expansion {
  Lookup status = Lookup::NotFound;
  std::vector<DeliveryTarget> targets;
  std::string error;  // for Unavailable or an alias loop: why
};

class RecipientDirectory {
 public:
  // Reads every table named by alias_maps and local_recipient_maps. A table that cannot be read is
  // kept as "unavailable" with a diagnostic: lookups against it answer Unavailable (451 4.3.0, as
  // Postfix does).
  static RecipientDirectory load(const Config& config, std::vector<Diagnostic>& diagnostics);
  // For tests and in-memory use.
  RecipientDirectory(const Config& config, std::vector<LocalUser> users, AliasTable aliases);

  bool is_local_domain(std::string_view domain) const;
  // RCPT: does local_part@domain (domain local) name a user or an alias, after removing
  // "+extension"?
  Lookup recipient_exists(std::string_view local_part, std::string_view domain) const;
  // Delivery: expands aliases recursively (loops and depth > 20 are errors), strips the extension,
  // maps users to Maildir paths. Targets are de-duplicated.
  Expansion expand(std::string_view local_part, std::string_view domain) const;
  // SASL: the passwd-file entry whose name is exactly this login (case-insensitive), or null.
  const LocalUser* find_login(std::string_view login) const;
  // reject_sender_login_mismatch: the logins that may send as `address`. With
  // smtpd_sender_login_maps, what the tables say; otherwise the passwd-file user the address names
  // (extension removed) and the users a local alias of that name expands to.
  std::vector<std::string> sender_owners(std::string_view address) const;

 private:
  RecipientDirectory() = default;
  const LocalUser* find_user(std::string_view local_part, std::string_view domain) const;
  bool add_user(const std::string& name, const std::string& domain, const std::string& delivered_to,
                Expansion& expansion) const;

  std::vector<std::string> local_domains_;
  std::string myorigin_;
  std::string recipient_delimiter_;
  std::string mail_root_;
  std::string home_mailbox_;
  std::vector<LocalUser> users_;
  AliasTable aliases_;
  std::vector<LookupTable> sender_login_maps_;
  bool users_unavailable_ = false;
  bool aliases_unavailable_ = false;
  std::string unavailable_reason_;
};

}  // namespace tern::config
