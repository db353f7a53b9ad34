#include "delivery/relay_credentials.hpp"

#include <fmt/format.h>

#include "auth/sasl_client.hpp"
#include "base/strings.hpp"

namespace tern::delivery {

Result<SaslLogin> parse_sasl_login(std::string_view value) {
  value = trim(value);
  std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) return Error{"expected user:password"};
  if (colon == 0) return Error{"empty user name"};
  if (colon + 1 == value.size()) return Error{"empty password"};
  return SaslLogin{std::string(value.substr(0, colon)), std::string(value.substr(colon + 1))};
}

std::vector<std::string> sasl_lookup_keys(std::string_view next_hop) {
  std::vector<std::string> keys{std::string(next_hop)};
  std::string_view host = next_hop;
  if (host.starts_with('[')) {
    std::size_t close = host.find(']');
    if (close != std::string_view::npos) {
      if (close + 1 < host.size()) keys.emplace_back(host.substr(0, close + 1));
      keys.emplace_back(host.substr(1, close - 1));
    }
  } else if (std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    keys.emplace_back(host.substr(0, colon));
  }
  return keys;
}

Result<std::optional<SaslLogin>> find_sasl_login(const config::LookupTable& table,
                                                 const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    const std::string* value = table.find(key);
    if (value == nullptr) continue;
    auto login = parse_sasl_login(*value);
    if (!login) {
      return Error{
          fmt::format("smtp_sasl_password_maps: bad entry for {}: {}", key, login.error().message)};
    }
    return std::optional<SaslLogin>(std::move(login.value()));
  }
  return std::optional<SaslLogin>();
}

smtp::ClientCredentials client_credentials(const SaslLogin& login, bool plain,
                                           bool login_mechanism) {
  smtp::ClientCredentials credentials;
  if (plain) {
    credentials.plain = [login] {
      return auth::plain_initial_response("", login.user, login.password);
    };
  }
  if (login_mechanism) {
    credentials.login = [login](std::string_view challenge) {
      return auth::login_response(challenge, login.user, login.password);
    };
  }
  return credentials;
}

}  // namespace tern::delivery
