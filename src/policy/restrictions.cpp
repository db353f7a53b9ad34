// Restriction lists as pure decisions (Postfix smtpd_check.c semantics): the first restriction that
// permits or rejects decides; reaching the end of a list permits. reject_unauth_destination refuses any
// recipient outside mydestination unless an earlier restriction permitted the client (no open relay).
#include "policy/restrictions.hpp"

#include <fmt/format.h>

#include "base/ip_address.hpp"
#include "smtp/reply_catalog.hpp"

namespace tern::policy {
namespace {

Verdict permit() { return {Decision::Permit, {}}; }
Verdict dunno() { return {Decision::Dunno, {}}; }
Verdict reject(smtp::Reply reply) { return {Decision::Reject, std::move(reply)}; }

Verdict recipient_step(std::string_view restriction, const RecipientFacts& facts) {
  if (restriction == "permit_mynetworks") return facts.client_in_mynetworks ? permit() : dunno();
  if (restriction == "permit_sasl_authenticated") return facts.sasl_authenticated ? permit() : dunno();
  if (restriction == "reject_unauth_destination") {
    bool local = facts.recipient_domain_is_local && !facts.sender_routed;
    return local ? dunno() : reject(smtp::replies::relay_denied(facts.recipient));
  }
  if (restriction == "permit") return permit();
  if (restriction == "reject") return reject(smtp::replies::recipient_rejected(facts.recipient));
  if (restriction == "reject_invalid_helo_hostname" || restriction == "reject_invalid_hostname") {
    if (facts.helo.empty() || is_valid_helo_hostname(facts.helo)) return dunno();
    return reject(smtp::replies::invalid_helo(facts.helo));
  }
  return dunno();
}

bool is_hostname_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-' && c != '_') return false;  // '_' is common in the wild; Postfix allows it
  }
  return true;
}

}  // namespace

bool is_valid_helo_hostname(std::string_view helo) {
  if (helo.size() >= 2 && helo.front() == '[' && helo.back() == ']') {
    std::string_view inner = helo.substr(1, helo.size() - 2);
    if (inner.substr(0, 5) == "IPv6:" || inner.substr(0, 5) == "ipv6:") inner.remove_prefix(5);
    return IpAddress::parse(inner).has_value();
  }
  if (helo.empty() || helo.size() > 255) return false;
  if (helo.back() == '.') helo.remove_suffix(1);
  while (!helo.empty()) {
    std::size_t dot = helo.find('.');
    if (!is_hostname_label(helo.substr(0, dot))) return false;
    if (dot == std::string_view::npos) break;
    helo.remove_prefix(dot + 1);
    if (helo.empty()) return false;
  }
  return true;
}

Verdict evaluate_recipient_restrictions(const std::vector<std::string>& restrictions,
                                        const RecipientFacts& facts) {
  for (const std::string& restriction : restrictions) {
    Verdict verdict = recipient_step(restriction, facts);
    if (verdict.decision != Decision::Dunno) return verdict;
  }
  return dunno();
}

Verdict evaluate_helo_restrictions(const std::vector<std::string>& restrictions,
                                   std::string_view helo, bool client_in_mynetworks) {
  for (const std::string& restriction : restrictions) {
    if (restriction == "permit_mynetworks" && client_in_mynetworks) return permit();
    if (restriction == "permit") return permit();
    if (restriction == "reject") {
      return reject(smtp::replies::helo_rejected(helo, "Access denied"));
    }
    bool check_syntax =
        restriction == "reject_invalid_helo_hostname" || restriction == "reject_invalid_hostname";
    if (check_syntax && !is_valid_helo_hostname(helo)) {
      return reject(smtp::replies::invalid_helo(helo));
    }
    if (restriction == "reject_non_fqdn_helo_hostname" || restriction == "reject_non_fqdn_hostname") {
      bool literal = !helo.empty() && helo.front() == '[';
      if (!literal && helo.find('.') == std::string_view::npos) {
        return reject(smtp::make_reply(
            504, "5.5.2", fmt::format("<{}>: Helo command rejected: need fully-qualified hostname",
                                      helo)));
      }
    }
  }
  return dunno();
}

}  // namespace tern::policy
