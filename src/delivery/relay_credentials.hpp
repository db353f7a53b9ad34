// SMTP AUTH toward a next hop (Postfix smtp_sasl_auth_enable + smtp_sasl_password_maps): which
// login goes to which destination, and the client-side SASL answers bound to it. The table maps a
// next hop ("[smtp.isp.example]:587", "example.org") or a host name to "user:password". Pure.
// Guarantees: error texts never contain the password; a login is never offered to a destination
// whose key is not in the table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "config/lookup_table.hpp"
#include "smtp/client_protocol.hpp"

namespace tern::delivery {

struct SaslLogin {
  std::string user;
  std::string password;
};

// "user:password"; the password may itself hold ':'.
Result<SaslLogin> parse_sasl_login(std::string_view value);

// The keys tried for a destination, most specific first: the relayhost as written, then its bare
// host ("[smtp.isp.example]:587", "[smtp.isp.example]", "smtp.isp.example"); for MX delivery the
// recipient domain.
std::vector<std::string> sasl_lookup_keys(std::string_view next_hop);

// The login for the first key the table has; nullopt when none; an error when the entry is
// malformed ("smtp_sasl_password_maps: bad entry for KEY: ...").
Result<std::optional<SaslLogin>> find_sasl_login(const config::LookupTable& table,
                                                 const std::vector<std::string>& keys);

// PLAIN and LOGIN answers for `login`, for smtp::ClientSettings::credentials; a mechanism left
// out is never used (`tern send --auth LOGIN`).
smtp::ClientCredentials client_credentials(const SaslLogin& login, bool plain = true,
                                           bool login_mechanism = true);

}  // namespace tern::delivery
