// The AUTH verdicts: which mechanisms a client is offered in plain text and inside TLS.
#include "audit/auth_exposure.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"

namespace tern::audit {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

bool carries_password(const std::string& mechanism) {
  return iequals(mechanism, "PLAIN") || iequals(mechanism, "LOGIN");
}

}  // namespace

bool auth_offered(const AuthFacts& facts) {
  return !facts.before_tls.empty() || !facts.after_tls.empty();
}

CheckResult auth_section(const AuthFacts& facts) {
  CheckResult check;
  check.id = "auth";
  check.title = "Authentication";
  check.details["before_tls"] = facts.before_tls;
  check.details["after_tls"] = facts.after_tls;
  if (facts.tls_on_connect) {
    check.observations.push_back(
        "TLS from the first byte: there is no plaintext phase to offer AUTH in");
  } else if (facts.before_tls.empty()) {
    check.observations.push_back("before TLS: AUTH not offered");
  } else {
    check.observations.push_back("before TLS: AUTH " + joined(facts.before_tls));
  }
  if (facts.tls_established) {
    check.observations.push_back(facts.after_tls.empty()
                                     ? "inside TLS: AUTH not offered"
                                     : "inside TLS: AUTH " + joined(facts.after_tls));
  } else if (!facts.tls_on_connect) {
    check.observations.push_back("inside TLS: not seen (no TLS session)");
  }

  std::vector<std::string> password_mechanisms;
  std::vector<std::string> other_mechanisms;
  for (const std::string& mechanism : facts.before_tls) {
    (carries_password(mechanism) ? password_mechanisms : other_mechanisms).push_back(mechanism);
  }
  std::string fix =
      "tern: smtpd_tls_auth_only = yes (the default); Postfix: smtpd_tls_auth_only = yes; "
      "clients should use port 465 (TLS from the first byte) or 587 with STARTTLS";
  if (!password_mechanisms.empty()) {
    check.findings.push_back(
        {Severity::High,
         fmt::format("AUTH {} offered before TLS: passwords can cross the network in clear",
                     joined(password_mechanisms)),
         fmt::format("250-AUTH {} in the EHLO reply on the plaintext connection{}",
                     joined(facts.before_tls),
                     facts.starttls_offered ? " (STARTTLS was offered too, but a client need "
                                              "not use it)"
                                            : " (and no STARTTLS)"),
         fix});
  }
  if (!other_mechanisms.empty()) {
    check.findings.push_back(
        {Severity::Low,
         fmt::format("AUTH {} offered before TLS: a captured exchange can be guessed offline",
                     joined(other_mechanisms)),
         fmt::format("250-AUTH {} on the plaintext connection", joined(facts.before_tls)), fix});
  }
  return check;
}

}  // namespace tern::audit
