// The open-relay check exactly as nmap's smtp-open-relay script runs it: EHLO with the test
// domain, then for each of its 16 MAIL FROM / RCPT TO combinations RSET, MAIL FROM and, when MAIL
// was accepted (250), RCPT TO. A RCPT answered 250 or 251 means the server would relay that form;
// a 530 anywhere means it demands authentication and nothing more is tried. No DATA is ever sent,
// so nothing is relayed. Guarantees: the same 16 forms in nmap's order with nmap's defaults
// (nmap.scanme.org, antispam, relaytest, the server's address), so the count agrees with nmap's
// "Server is an open relay (N/16 tests)".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/finding.hpp"
#include "audit/probe_reply.hpp"

namespace tern::audit {

struct RelayParameters {
  std::string domain = "nmap.scanme.org";  // smtp-open-relay.domain: a domain not the server's
  std::string from = "antispam";           // smtp-open-relay.from: the sender's local part
  std::string to = "relaytest";            // smtp-open-relay.to: the recipient's local part
  std::string ip;                          // smtp-open-relay.ip: the server's address
  std::string server_name;                 // nmap's "srvname", from the banner or EHLO
};

struct RelayForm {
  std::string mail_from;  // inside the brackets: "" for <>
  std::string rcpt_to;
};

// The 16 combinations of smtp-open-relay.nse, in its order.
std::vector<RelayForm> relay_forms(const RelayParameters& parameters);

// nmap's srvname: the first word after a reply code and a blank in the banner (Lua pattern
// "%d+%s([%w]+[%w%.-]*)"), else after "250-" in the EHLO reply ("%d+%-([%w]+[%w%.-]*)"); empty
// when neither has one.
std::string nmap_server_name(std::string_view banner, std::string_view ehlo);

enum class RelayOutcome {
  Relayed,       // RCPT accepted (250/251)
  RcptRefused,   // MAIL accepted, RCPT not
  MailRefused,   // MAIL not accepted (not 250): nmap skips the RCPT
  AuthRequired,  // 530 to RSET, MAIL or RCPT
  NotTested,     // the connection broke before this form
};

std::string_view relay_outcome_name(RelayOutcome outcome);

struct RelayTest {
  RelayForm form;
  std::optional<ProbeReply> reset;  // the reply to RSET
  std::optional<ProbeReply> mail;
  std::optional<ProbeReply> rcpt;
};

// nmap's rules for one form: RSET or MAIL or RCPT answered 530 is AuthRequired; MAIL must be
// exactly 250; RCPT 250 or 251 relays.
RelayOutcome judge_relay_test(const RelayTest& test);

struct RelayRun {
  RelayParameters parameters;
  std::vector<RelayTest> tests;  // one per form tried, in order
  std::string failure;           // why the run stopped early, or could not start
};

// The relay count (high finding when any), each form with the server's replies.
CheckResult relay_section(const RelayRun& run);

}  // namespace tern::audit
