// The 16 relay forms of smtp-open-relay.nse (nmap 7.93), its srvname patterns, and the verdicts.
#include "audit/open_relay.hpp"

#include <fmt/format.h>

#include <cctype>

#include "base/strings.hpp"

namespace tern::audit {
namespace {

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// Lua's %s: space, \t, \n, \v, \f, \r.
bool is_lua_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// The first match of "%d+<separator>([%w]+[%w%.-]*)" in `text`: a digit run, one separator
// character, then a word starting with an alphanumeric and going on with alphanumerics, '.' or
// '-'. Greedy %d+ never needs to give digits back here: the separator is not a digit.
std::string first_word_after_digits(std::string_view text, bool (*separator)(char)) {
  for (std::size_t start = 0; start < text.size(); ++start) {
    if (!std::isdigit(static_cast<unsigned char>(text[start]))) continue;
    std::size_t end = start;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    if (end + 1 < text.size() && separator(text[end]) && is_alnum(text[end + 1])) {
      std::size_t word_end = end + 1;
      while (word_end < text.size() &&
             (is_alnum(text[word_end]) || text[word_end] == '.' || text[word_end] == '-')) {
        ++word_end;
      }
      return std::string(text.substr(end + 1, word_end - end - 1));
    }
    // Any later start inside this digit run ends at the same place: skip past it.
    start = end - 1;
  }
  return {};
}

bool is_dash(char c) {
  return c == '-';
}

}  // namespace

std::vector<RelayForm> relay_forms(const RelayParameters& p) {
  const std::string& domain = p.domain;
  const std::string& server = p.server_name;
  std::string bracketed_ip = fmt::format("[{}]", p.ip);
  std::string from_ip = fmt::format("{}@{}", p.from, bracketed_ip);
  std::string to_domain = fmt::format("{}@{}", p.to, domain);
  return {
      {"", to_domain},
      {fmt::format("{}@{}", p.from, domain), to_domain},
      {fmt::format("{}@{}", p.from, server), to_domain},
      {from_ip, to_domain},
      {from_ip, fmt::format("{}%{}@{}", p.to, domain, bracketed_ip)},
      {from_ip, fmt::format("{}%{}@{}", p.to, domain, server)},
      {from_ip, fmt::format("\"{}@{}\"", p.to, domain)},
      {from_ip, fmt::format("\"{}%{}\"", p.to, domain)},
      {from_ip, fmt::format("{}@{}@{}", p.to, domain, bracketed_ip)},
      {from_ip, fmt::format("\"{}@{}\"@{}", p.to, domain, bracketed_ip)},
      {from_ip, fmt::format("{}@{}@{}", p.to, domain, server)},
      {from_ip, fmt::format("@{}:{}@{}", bracketed_ip, p.to, domain)},
      {from_ip, fmt::format("@{}:{}@{}", server, p.to, domain)},
      {from_ip, fmt::format("{}!{}", domain, p.to)},
      {from_ip, fmt::format("{}!{}@{}", domain, p.to, bracketed_ip)},
      {from_ip, fmt::format("{}!{}@{}", domain, p.to, server)},
  };
}

std::string nmap_server_name(std::string_view banner, std::string_view ehlo) {
  std::string name = first_word_after_digits(banner, is_lua_space);
  if (name.empty()) name = first_word_after_digits(ehlo, is_dash);
  return name;
}

std::string_view relay_outcome_name(RelayOutcome outcome) {
  if (outcome == RelayOutcome::Relayed) return "relayed";
  if (outcome == RelayOutcome::RcptRefused) return "rcpt-refused";
  if (outcome == RelayOutcome::MailRefused) return "mail-refused";
  if (outcome == RelayOutcome::AuthRequired) return "auth-required";
  return "not-tested";
}

RelayOutcome judge_relay_test(const RelayTest& test) {
  // nmap matches "530" anywhere in the reply text; a 530 code is what that catches in practice.
  if (test.reset && test.reset->code() == 530) return RelayOutcome::AuthRequired;
  if (!test.mail || !test.mail->answered()) return RelayOutcome::NotTested;
  if (test.mail->code() == 530) return RelayOutcome::AuthRequired;
  if (test.mail->code() != 250) return RelayOutcome::MailRefused;
  if (!test.rcpt || !test.rcpt->answered()) return RelayOutcome::NotTested;
  if (test.rcpt->code() == 530) return RelayOutcome::AuthRequired;
  if (test.rcpt->code() == 250 || test.rcpt->code() == 251) return RelayOutcome::Relayed;
  return RelayOutcome::RcptRefused;
}

CheckResult relay_section(const RelayRun& run) {
  CheckResult check;
  check.id = "relay";
  check.title = "Open relay (nmap smtp-open-relay's 16 tests)";
  const RelayParameters& p = run.parameters;
  check.observations.push_back(
      fmt::format("test domain {}, sender {}, recipient {}, server address [{}], server name {}",
                  p.domain, p.from, p.to, p.ip, p.server_name.empty() ? "(none)" : p.server_name));
  std::vector<std::string> relayed;
  bool auth_required = false;
  int tested = 0;
  nlohmann::ordered_json tests = nlohmann::ordered_json::array();
  for (const RelayTest& test : run.tests) {
    RelayOutcome outcome = judge_relay_test(test);
    std::string form =
        fmt::format("MAIL FROM:<{}> -> RCPT TO:<{}>", test.form.mail_from, test.form.rcpt_to);
    const std::optional<ProbeReply>& last = test.rcpt   ? test.rcpt
                                            : test.mail ? test.mail
                                                        : test.reset;
    std::string reply = last ? last->summary() : "(not sent)";
    check.observations.push_back(
        fmt::format("  {}: {}: {}", form, relay_outcome_name(outcome), reply));
    if (outcome != RelayOutcome::NotTested) ++tested;
    if (outcome == RelayOutcome::Relayed) relayed.push_back(form);
    if (outcome == RelayOutcome::AuthRequired) auth_required = true;
    tests.push_back({{"mail_from", test.form.mail_from},
                     {"rcpt_to", test.form.rcpt_to},
                     {"mail_reply", test.mail ? test.mail->summary() : ""},
                     {"rcpt_reply", test.rcpt ? test.rcpt->summary() : ""},
                     {"outcome", relay_outcome_name(outcome)}});
  }
  if (!run.failure.empty()) {
    check.status = run.tests.empty() ? CheckStatus::Failed : CheckStatus::Incomplete;
    check.status_reason = run.failure;
  }
  if (auth_required) {
    check.observations.push_back("the server demands authentication (530): not an open relay");
  }
  std::string count = fmt::format("{}/16", relayed.size());
  if (!relayed.empty()) {
    std::string evidence;
    for (std::size_t i = 0; i < relayed.size() && i < 3; ++i) {
      evidence += (evidence.empty() ? "" : "; ") + relayed[i];
    }
    if (relayed.size() > 3) evidence += fmt::format("; and {} more", relayed.size() - 3);
    check.findings.push_back(
        {Severity::High, fmt::format("open relay: RCPT accepted for {} forms", count), evidence,
         "tern: smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination (the "
         "default) and mynetworks limited to your own hosts; Postfix: the same two parameters. "
         "If you audited from a host in mynetworks, relaying for you is expected: audit from "
         "outside"});
  } else if (run.failure.empty() || !run.tests.empty()) {
    check.observations.push_back(fmt::format("relayed: {} (no form accepted)", count));
  }
  check.details["domain"] = p.domain;
  check.details["from"] = p.from;
  check.details["to"] = p.to;
  check.details["ip"] = p.ip;
  check.details["server_name"] = p.server_name;
  check.details["relayed"] = relayed.size();
  check.details["tested"] = tested;
  check.details["auth_required"] = auth_required;
  check.details["tests"] = tests;
  return check;
}

}  // namespace tern::audit
