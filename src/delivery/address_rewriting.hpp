// Address rewriting on the way out, as Postfix does it: smtp_generic_maps (generic(5): local names
// become the names the outside world should see) and masquerade_domains (cleanup(8): host names
// below a domain are hidden behind it, e.g. user@host.example.com -> user@example.com). Pure
// functions over plain values. Guarantees: an address that no rule matches comes back unchanged;
// the null sender is never rewritten; a rewritten address is never empty.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/lookup_table.hpp"

namespace tern::delivery {

struct OutboundRewriting {
  // masquerade_domains in order: "example.com", or "!sub.example.com" to leave that domain's hosts
  // alone. The first entry that the address's domain is strictly below decides.
  std::vector<std::string> masquerade_domains;
  std::vector<std::string> masquerade_exceptions;  // local parts never masqueraded ("root")
  std::optional<config::LookupTable> generic;      // smtp_generic_maps
  std::vector<std::string> local_domains;  // $myorigin and $mydestination: where "user" keys apply
  std::string recipient_delimiter;         // "+": user+ext@domain also looks up user@domain

  bool empty() const { return masquerade_domains.empty() && !generic; }
};

// masquerade_domains alone.
std::string masquerade_address(std::string_view address, const OutboundRewriting& rules);
// smtp_generic_maps alone: user+ext@domain, user@domain, then (local domains only) user+ext and
// user, then @domain; a result "@other" keeps the local part (canonical(5) style).
std::optional<std::string> generic_address(std::string_view address,
                                           const OutboundRewriting& rules);

// What leaves: a sender or a header address is masqueraded, then mapped; an envelope recipient is
// only mapped (Postfix's default masquerade_classes leave envelope recipients alone).
enum class AddressRole { Sender, HeaderAddress, EnvelopeRecipient };
std::string rewrite_outbound(std::string_view address, AddressRole role,
                             const OutboundRewriting& rules);

}  // namespace tern::delivery
