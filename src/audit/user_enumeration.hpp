// User enumeration as smtp-user-enum does it (VRFY, EXPN, RCPT TO; RFC 5321 §3.5, §4.1.1.3), with
// one rule it lacks: a random name that cannot exist is asked first, and when it gets a positive
// answer (Postfix's 252 to every VRFY, a catch-all domain) the method is "inconclusive", never a
// list of users. Guarantees: a name is reported as existing only when the server answered it
// positively and answered the impossible name negatively, in the same run. VRFY/EXPN that reveal
// users are a medium finding; RCPT that refuses unknown recipients is info, because refusing them
// during the session is what RFC 5321 and every well-run server do (accepting and bouncing later
// sends backscatter to forged senders), so it is not something to switch off.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/finding.hpp"
#include "audit/probe_reply.hpp"

namespace tern::audit {

enum class EnumerationMethod { Vrfy, Expn, Rcpt };

std::string_view enumeration_method_name(EnumerationMethod method);  // "VRFY", "EXPN", "RCPT"

// A short list of names that exist on many systems (smtp-user-enum's habit): role accounts and
// common Unix users.
const std::vector<std::string>& builtin_user_names();

// The names of a --users file: one per line, blanks around them and empty lines dropped, '#'
// starting a comment line.
std::vector<std::string> parse_user_list(std::string_view text);

// A name no real system has, from `seed`: "tern-audit-nobody-" and 12 base-36 digits.
std::string impossible_user_name(std::uint64_t seed);

// What is sent for `name`: "user@domain" when a domain is given, else the bare name (VRFY and
// EXPN accept bare names; RCPT needs a domain, the caller always gives one).
std::string enumeration_address(std::string_view name, std::string_view domain);

// The command line for one probe, without CRLF: "VRFY root", "EXPN root", "RCPT TO:<root@dom>".
std::string enumeration_command(EnumerationMethod method, std::string_view address);

enum class ReplyClass {
  Positive,   // 250, 251, 252: exists (or the server will not say)
  Negative,   // 550, 551, 553: no such user
  Disabled,   // 500, 502, 504: the command is switched off
  NeedsTls,   // 530: must STARTTLS or AUTH first
  Temporary,  // 4xx, including 421
  Other,      // any other reply (501 syntax, 554 relay denied, ...)
  NoReply,    // closed, timed out, not SMTP
};

ReplyClass classify_enumeration_reply(const ProbeReply& reply);
std::string_view reply_class_name(ReplyClass reply_class);

struct NameProbe {
  std::string name;
  std::string address;  // what was sent
  ProbeReply reply;
};

struct MethodRun {
  EnumerationMethod method = EnumerationMethod::Vrfy;
  std::string domain;
  std::optional<NameProbe> control;  // the impossible name; unset when the run never got that far
  std::vector<NameProbe> names;      // in the order sent
  std::string failure;               // why the run stopped early (empty: it did not)
};

enum class EnumerationVerdict {
  Enumerable,    // the impossible name was refused and some names were confirmed
  NoneFound,     // the impossible name was refused and so was every listed name
  Inconclusive,  // the impossible name got a positive or unclear answer
  Disabled,      // the command is switched off
  Refused,       // needs TLS or AUTH first, or MAIL FROM was refused (RCPT)
  NotRun,        // no answer to the impossible name at all
};

std::string_view enumeration_verdict_name(EnumerationVerdict verdict);

struct MethodVerdict {
  EnumerationVerdict verdict = EnumerationVerdict::NotRun;
  std::vector<std::string> found;  // names confirmed (Enumerable only)
  std::string reason;              // one line: why this verdict
};

MethodVerdict judge_enumeration(const MethodRun& run);

CheckResult enumeration_section(const std::vector<MethodRun>& runs);

}  // namespace tern::audit
