#include "delivery/address_rewriting.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.hpp"

namespace tern::delivery {
namespace {

struct SplitAddress {
  std::string_view local;
  std::string_view domain;  // empty when the address has no '@'
};

SplitAddress split(std::string_view address) {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {address, {}};
  return {address.substr(0, at), address.substr(at + 1)};
}

// "host.example.com" below "example.com" (not equal, not "badexample.com").
bool strictly_below(std::string_view domain, std::string_view parent) {
  return domain.size() > parent.size() + 1 && domain[domain.size() - parent.size() - 1] == '.' &&
         iequals(domain.substr(domain.size() - parent.size()), parent);
}

}  // namespace

std::string masquerade_address(std::string_view address, const OutboundRewriting& rules) {
  SplitAddress parts = split(address);
  if (parts.domain.empty() || parts.local.empty()) return std::string(address);
  for (const std::string& user : rules.masquerade_exceptions) {
    if (iequals(user, parts.local)) return std::string(address);
  }
  for (std::string_view entry : rules.masquerade_domains) {
    bool keep = entry.starts_with('!');
    if (keep) entry.remove_prefix(1);
    if (entry.empty()) continue;
    if (iequals(parts.domain, entry)) return std::string(address);  // already the short form
    if (!strictly_below(parts.domain, entry)) continue;
    if (keep) return std::string(address);
    return fmt::format("{}@{}", parts.local, to_lower_ascii(entry));
  }
  return std::string(address);
}

std::optional<std::string> generic_address(std::string_view address,
                                           const OutboundRewriting& rules) {
  if (!rules.generic || address.empty()) return std::nullopt;
  const config::LookupTable& table = *rules.generic;
  SplitAddress parts = split(address);
  std::string_view base = parts.local;
  if (!rules.recipient_delimiter.empty()) {
    std::size_t cut = parts.local.find_first_of(rules.recipient_delimiter);
    if (cut != std::string_view::npos && cut > 0) base = parts.local.substr(0, cut);
  }
  std::string domain = to_lower_ascii(parts.domain);
  std::vector<std::string> keys;
  if (!domain.empty()) {
    keys.push_back(fmt::format("{}@{}", parts.local, domain));
    if (base != parts.local) keys.push_back(fmt::format("{}@{}", base, domain));
  }
  bool local =
      domain.empty() || std::any_of(rules.local_domains.begin(), rules.local_domains.end(),
                                    [&](const std::string& d) { return iequals(d, domain); });
  if (local) {
    keys.emplace_back(parts.local);
    if (base != parts.local) keys.emplace_back(base);
  }
  if (!domain.empty()) keys.push_back("@" + domain);
  for (const std::string& key : keys) {
    const std::string* found = table.find(key);
    if (found == nullptr || found->empty()) continue;
    if (found->front() == '@') return fmt::format("{}{}", parts.local, *found);
    return *found;
  }
  return std::nullopt;
}

std::string rewrite_outbound(std::string_view address, AddressRole role,
                             const OutboundRewriting& rules) {
  if (address.empty()) return {};  // the null sender
  std::string result(address);
  if (role != AddressRole::EnvelopeRecipient) result = masquerade_address(result, rules);
  if (auto mapped = generic_address(result, rules)) result = std::move(*mapped);
  return result;
}

}  // namespace tern::delivery
