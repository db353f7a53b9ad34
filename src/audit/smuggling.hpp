// SMTP smuggling (SEC Consult, December 2023; CVE-2023-51764/51765/51766): a receiver that takes
// something other than <CR><LF>.<CR><LF> as the end of DATA (RFC 5321 §4.1.1.4) lets a sender hide
// a second message, with a forged sender, inside the first. The probe sends one test message per
// form, whose body carries the form followed by a line the server would read as a command if the
// form ended DATA, then the real end. After the reply it sends RSET: a safe server has exactly one
// reply before the RSET's 250; a vulnerable one has answered the smuggled line (and the real end's
// lone ".") as commands in between. Guarantees: nothing beyond the one test message per form is
// ever delivered (the smuggled line is an unknown command, not a second MAIL transaction).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/finding.hpp"
#include "audit/probe_reply.hpp"

namespace tern::audit {

struct SmugglingForm {
  std::string_view name;   // "\n.\n" spelled out with backslashes, for reports
  std::string_view bytes;  // the octets that might end DATA
};

// \n.\n, \n.\r\n, \r.\r\n, \r\n.\n: the four forms of the 2023 research.
const std::vector<SmugglingForm>& smuggling_forms();

// The line that follows the fake end: an unknown command, so a vulnerable server answers it (500
// or 502) and never starts a second transaction.
constexpr std::string_view kSmuggledLine = "XTERNAUDIT smuggled-line";

// The DATA octets for one form: a small RFC 5322 message from `from` to `rcpt` whose body holds
// the form, the smuggled line, and the real end of data (CRLF "." CRLF). `date` is an RFC 5322
// date, `message_id` without angle brackets.
std::string smuggling_message(const SmugglingForm& form, std::string_view from,
                              std::string_view rcpt, std::string_view date,
                              std::string_view message_id);

struct SmugglingRun {
  std::string form_name;
  std::optional<ProbeReply> mail;
  std::optional<ProbeReply> rcpt;
  std::optional<ProbeReply> data;
  std::optional<ProbeReply> end;    // the first reply after the message was sent
  std::vector<ProbeReply> extra;    // replies after it and before the RSET's reply
  std::optional<ProbeReply> reset;  // the RSET's reply (a 2xx), when it came
};

enum class SmugglingVerdict {
  Vulnerable,    // the form ended DATA: the smuggled line got a reply of its own
  Safe,          // one reply, positive: the form stayed inside the message
  Rejected,      // one reply, negative: the server refused the message (bare CR/LF refused)
  Inconclusive,  // no reply to the end of data, or the connection broke before RSET's reply
  NotTested,     // MAIL, RCPT or DATA was refused, so no message could be sent
};

std::string_view smuggling_verdict_name(SmugglingVerdict verdict);

SmugglingVerdict judge_smuggling(const SmugglingRun& run);

// `skipped_reason` non-empty: the check did not run (no --intrusive or no --rcpt).
CheckResult smuggling_section(const std::vector<SmugglingRun>& runs, std::string_view rcpt,
                              std::string_view skipped_reason, std::string_view failure);

}  // namespace tern::audit
