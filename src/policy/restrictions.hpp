// Postfix-style restriction lists (smtpd_relay_restrictions, smtpd_recipient_restrictions,
// smtpd_helo_restrictions) evaluated as pure decisions over the facts of one command. Each restriction says
// permit, reject or "no opinion"; the first permit or reject ends the list, as in Postfix's smtpd_check.c.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/reply.hpp"

namespace tern::policy {

enum class Decision { Permit, Reject, Dunno };

struct Verdict {
  Decision decision = Decision::Dunno;
  smtp::Reply reply;  // for Reject
};

// What is known when a recipient is checked.
struct RecipientFacts {
  bool client_in_mynetworks = false;
  bool sasl_authenticated = false;
  bool recipient_domain_is_local = false;  // mydestination
  bool sender_routed = false;  // local part carries routing (%, !, @): never a local destination
  std::string recipient;       // "local@domain", for reply texts
  std::string helo;
};

// Evaluates one restriction list for RCPT TO. Unknown restriction names were refused at config load.
Verdict evaluate_recipient_restrictions(const std::vector<std::string>& restrictions,
                                        const RecipientFacts& facts);

// Evaluates smtpd_helo_restrictions for the HELO/EHLO argument.
Verdict evaluate_helo_restrictions(const std::vector<std::string>& restrictions,
                                   std::string_view helo, bool client_in_mynetworks);

// RFC 1123 §2.1 host name, or an address literal: what reject_invalid_helo_hostname accepts.
bool is_valid_helo_hostname(std::string_view helo);

}  // namespace tern::policy
