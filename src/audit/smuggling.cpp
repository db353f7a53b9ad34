// The smuggling probe's message and its verdicts.
#include "audit/smuggling.hpp"

#include <fmt/format.h>

namespace tern::audit {

const std::vector<SmugglingForm>& smuggling_forms() {
  static const std::vector<SmugglingForm> forms{
      {"\\n.\\n", "\n.\n"},
      {"\\n.\\r\\n", "\n.\r\n"},
      {"\\r.\\r\\n", "\r.\r\n"},
      {"\\r\\n.\\n", "\r\n.\n"},
  };
  return forms;
}

std::string smuggling_message(const SmugglingForm& form, std::string_view from,
                              std::string_view rcpt, std::string_view date,
                              std::string_view message_id) {
  std::string message = fmt::format(
      "From: <{}>\r\n"
      "To: <{}>\r\n"
      "Subject: tern audit: SMTP smuggling test, end of data form {}\r\n"
      "Date: {}\r\n"
      "Message-ID: <{}>\r\n"
      "\r\n"
      "This message was sent by tern audit --intrusive to test whether this server takes\r\n"
      "{} as the end of the message (SMTP smuggling). If the next line reached you\r\n"
      "as part of this message, the server kept it as data, as it should.\r\n"
      "before the form",
      from, rcpt, form.name, date, message_id, form.name);
  message += form.bytes;
  message += kSmuggledLine;
  message += "\r\nafter the smuggled line\r\n.\r\n";
  return message;
}

std::string_view smuggling_verdict_name(SmugglingVerdict verdict) {
  if (verdict == SmugglingVerdict::Vulnerable) return "vulnerable";
  if (verdict == SmugglingVerdict::Safe) return "safe";
  if (verdict == SmugglingVerdict::Rejected) return "rejected";
  if (verdict == SmugglingVerdict::Inconclusive) return "inconclusive";
  return "not-tested";
}

SmugglingVerdict judge_smuggling(const SmugglingRun& run) {
  if (!run.mail || !run.mail->positive() || !run.rcpt || !run.rcpt->positive() || !run.data ||
      run.data->code() != 354) {
    return SmugglingVerdict::NotTested;
  }
  if (!run.end || !run.end->answered()) return SmugglingVerdict::Inconclusive;
  // Any reply between the end-of-data reply and RSET's answers the smuggled line or the lone
  // "." after it: the form ended DATA.
  for (const ProbeReply& reply : run.extra) {
    if (reply.answered()) return SmugglingVerdict::Vulnerable;
  }
  if (!run.reset || !run.reset->answered()) return SmugglingVerdict::Inconclusive;
  return run.end->positive() ? SmugglingVerdict::Safe : SmugglingVerdict::Rejected;
}

CheckResult smuggling_section(const std::vector<SmugglingRun>& runs, std::string_view rcpt,
                              std::string_view skipped_reason, std::string_view failure) {
  CheckResult check;
  check.id = "smuggling";
  check.title = "SMTP smuggling (end-of-data forms)";
  if (!skipped_reason.empty()) {
    check.status = CheckStatus::Skipped;
    check.status_reason = std::string(skipped_reason);
    check.details["forms"] = nlohmann::ordered_json::array();
    return check;
  }
  check.observations.push_back(fmt::format("one test message per form to <{}>", rcpt));
  std::vector<std::string> vulnerable;
  std::string evidence;
  nlohmann::ordered_json forms = nlohmann::ordered_json::array();
  for (const SmugglingRun& run : runs) {
    SmugglingVerdict verdict = judge_smuggling(run);
    std::string seen;
    if (verdict == SmugglingVerdict::NotTested) {
      const std::optional<ProbeReply>& refused = !run.mail || !run.mail->positive()   ? run.mail
                                                 : !run.rcpt || !run.rcpt->positive() ? run.rcpt
                                                                                      : run.data;
      seen = refused ? refused->summary() : "(not sent)";
    } else {
      seen = run.end ? run.end->summary() : "(no reply)";
      for (const ProbeReply& reply : run.extra) seen += " then " + reply.summary();
    }
    check.observations.push_back(
        fmt::format("  {}: {}: {}", run.form_name, smuggling_verdict_name(verdict), seen));
    if (verdict == SmugglingVerdict::Vulnerable) {
      vulnerable.push_back(run.form_name);
      if (evidence.empty()) {
        evidence = fmt::format("after {}, the line \"{}\" was answered as a command: {}",
                               run.form_name, kSmuggledLine, seen);
      }
    }
    nlohmann::ordered_json extra = nlohmann::ordered_json::array();
    for (const ProbeReply& reply : run.extra) extra.push_back(reply.summary());
    forms.push_back({{"form", run.form_name},
                     {"verdict", smuggling_verdict_name(verdict)},
                     {"end_reply", run.end ? run.end->summary() : ""},
                     {"extra_replies", extra}});
  }
  if (!failure.empty()) {
    check.status = runs.empty() ? CheckStatus::Failed : CheckStatus::Incomplete;
    check.status_reason = std::string(failure);
  }
  if (!vulnerable.empty()) {
    std::string names;
    for (const std::string& name : vulnerable) names += (names.empty() ? "" : ", ") + name;
    check.findings.push_back(
        {Severity::High, fmt::format("SMTP smuggling: {} ends DATA", names), evidence,
         "accept only <CR><LF>.<CR><LF> as the end of data: tern always does "
         "(smtpd_forbid_bare_newline = normalize or reject); Postfix 3.5.23/3.6.13/3.7.9/3.8.4 or "
         "newer with smtpd_forbid_bare_newline = normalize (the default from 3.9)"});
  }
  check.details["rcpt"] = std::string(rcpt);
  check.details["forms"] = forms;
  return check;
}

}  // namespace tern::audit
