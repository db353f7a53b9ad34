// Enumeration verdicts: each reply is classed (positive, negative, disabled, ...), and the class
// of the impossible name decides whether the classes of real names mean anything.
#include "audit/user_enumeration.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"

namespace tern::audit {

std::string_view enumeration_method_name(EnumerationMethod method) {
  if (method == EnumerationMethod::Expn) return "EXPN";
  if (method == EnumerationMethod::Rcpt) return "RCPT";
  return "VRFY";
}

const std::vector<std::string>& builtin_user_names() {
  static const std::vector<std::string> names{
      "root",  "admin", "administrator", "postmaster", "webmaster", "info",   "support",
      "sales", "test",  "user",          "guest",      "mail",      "backup", "operator",
  };
  return names;
}

std::vector<std::string> parse_user_list(std::string_view text) {
  std::vector<std::string> names;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    if (!line.empty() && line.front() != '#') names.emplace_back(line);
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return names;
}

std::string impossible_user_name(std::uint64_t seed) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string suffix;
  for (int i = 0; i < 12; ++i) {
    suffix += kDigits[seed % 36];
    seed /= 36;
  }
  return "tern-audit-nobody-" + suffix;
}

std::string enumeration_address(std::string_view name, std::string_view domain) {
  if (domain.empty()) return std::string(name);
  return fmt::format("{}@{}", name, domain);
}

std::string enumeration_command(EnumerationMethod method, std::string_view address) {
  if (method == EnumerationMethod::Rcpt) return fmt::format("RCPT TO:<{}>", address);
  return fmt::format("{} {}", enumeration_method_name(method), address);
}

ReplyClass classify_enumeration_reply(const ProbeReply& reply) {
  if (!reply.answered()) return ReplyClass::NoReply;
  int code = reply.code();
  if (code == 250 || code == 251 || code == 252) return ReplyClass::Positive;
  if (code == 550 || code == 551 || code == 553) return ReplyClass::Negative;
  if (code == 500 || code == 502 || code == 504) return ReplyClass::Disabled;
  if (code == 530) return ReplyClass::NeedsTls;
  if (code >= 400 && code < 500) return ReplyClass::Temporary;
  return ReplyClass::Other;
}

std::string_view reply_class_name(ReplyClass reply_class) {
  if (reply_class == ReplyClass::Positive) return "positive";
  if (reply_class == ReplyClass::Negative) return "negative";
  if (reply_class == ReplyClass::Disabled) return "disabled";
  if (reply_class == ReplyClass::NeedsTls) return "needs-tls";
  if (reply_class == ReplyClass::Temporary) return "temporary";
  if (reply_class == ReplyClass::Other) return "other";
  return "no-reply";
}

std::string_view enumeration_verdict_name(EnumerationVerdict verdict) {
  if (verdict == EnumerationVerdict::Enumerable) return "enumerable";
  if (verdict == EnumerationVerdict::NoneFound) return "none-found";
  if (verdict == EnumerationVerdict::Inconclusive) return "inconclusive";
  if (verdict == EnumerationVerdict::Disabled) return "disabled";
  if (verdict == EnumerationVerdict::Refused) return "refused";
  return "not-run";
}

MethodVerdict judge_enumeration(const MethodRun& run) {
  MethodVerdict result;
  if (!run.control) {
    result.verdict = EnumerationVerdict::NotRun;
    result.reason = run.failure.empty() ? "not probed" : run.failure;
    return result;
  }
  const NameProbe& control = *run.control;
  ReplyClass control_class = classify_enumeration_reply(control.reply);
  std::string control_text =
      fmt::format("the impossible name {} got {}", control.address, control.reply.summary());
  if (control_class == ReplyClass::NoReply) {
    result.verdict = EnumerationVerdict::NotRun;
    result.reason = control_text;
    return result;
  }
  if (control_class == ReplyClass::Disabled) {
    result.verdict = EnumerationVerdict::Disabled;
    result.reason = control_text;
    return result;
  }
  if (control_class == ReplyClass::NeedsTls) {
    result.verdict = EnumerationVerdict::Refused;
    result.reason = control_text;
    return result;
  }
  if (control_class != ReplyClass::Negative) {
    // Positive: everyone "exists" (252 for all, a catch-all). Temporary or other: no baseline.
    result.verdict = EnumerationVerdict::Inconclusive;
    result.reason = control_text + (control_class == ReplyClass::Positive
                                        ? ": the server answers every name alike, so its answers "
                                          "say nothing about real users"
                                        : ": no baseline to compare real names against");
    return result;
  }
  for (const NameProbe& probe : run.names) {
    if (classify_enumeration_reply(probe.reply) == ReplyClass::Positive) {
      result.found.push_back(probe.name);
    }
  }
  if (!result.found.empty()) {
    result.verdict = EnumerationVerdict::Enumerable;
    result.reason = fmt::format("{}, while {} of {} listed names were confirmed", control_text,
                                result.found.size(), run.names.size());
  } else {
    result.verdict = EnumerationVerdict::NoneFound;
    result.reason = fmt::format("{}, and none of the {} listed names was confirmed", control_text,
                                run.names.size());
  }
  return result;
}

CheckResult enumeration_section(const std::vector<MethodRun>& runs) {
  CheckResult check;
  check.id = "users";
  check.title = "User enumeration";
  nlohmann::ordered_json methods = nlohmann::ordered_json::array();
  for (const MethodRun& run : runs) {
    MethodVerdict verdict = judge_enumeration(run);
    std::string_view method = enumeration_method_name(run.method);
    std::string line = fmt::format("{}: {} ({})", method, enumeration_verdict_name(verdict.verdict),
                                   verdict.reason);
    check.observations.push_back(line);
    if (!verdict.found.empty()) {
      std::string names;
      for (const std::string& name : verdict.found) names += (names.empty() ? "" : ", ") + name;
      check.observations.push_back(fmt::format("  {} confirmed: {}", method, names));
    }
    if (!run.failure.empty() && run.control) {
      check.observations.push_back(fmt::format("  {} stopped early: {}", method, run.failure));
      check.status = CheckStatus::Incomplete;
      check.status_reason = run.failure;
    }
    if (verdict.verdict == EnumerationVerdict::Enumerable) {
      std::string evidence;
      for (const NameProbe& probe : run.names) {
        if (classify_enumeration_reply(probe.reply) != ReplyClass::Positive) continue;
        evidence = fmt::format("{} got {}; {} got {}", probe.address, probe.reply.summary(),
                               run.control->address, run.control->reply.summary());
        break;
      }
      if (run.method == EnumerationMethod::Rcpt) {
        check.findings.push_back(
            {Severity::Info,
             fmt::format("RCPT TO tells existing recipients apart ({} confirmed)",
                         verdict.found.size()),
             evidence + "; refusing unknown recipients during the session is correct (the "
                        "alternative is backscatter), so this is how any well-run server behaves",
             "keep it; slow down probing instead: tern smtpd_hard_error_limit, Postfix "
             "smtpd_soft_error_limit/smtpd_hard_error_limit and smtpd_error_sleep_time"});
      } else {
        check.findings.push_back(
            {Severity::Medium,
             fmt::format("{} reveals which users exist ({} confirmed)", method,
                         verdict.found.size()),
             evidence,
             "tern: disable_vrfy_command = ambiguous (the default) or yes; Postfix: "
             "disable_vrfy_command = yes"});
      }
    }
    nlohmann::ordered_json entry;
    entry["method"] = method;
    entry["verdict"] = enumeration_verdict_name(verdict.verdict);
    entry["reason"] = verdict.reason;
    entry["domain"] = run.domain;
    if (run.control) {
      entry["control"] = {
          {"address", run.control->address},
          {"reply", run.control->reply.summary()},
          {"class", reply_class_name(classify_enumeration_reply(run.control->reply))}};
    } else {
      entry["control"] = nullptr;
    }
    nlohmann::ordered_json names = nlohmann::ordered_json::array();
    for (const NameProbe& probe : run.names) {
      names.push_back({{"name", probe.name},
                       {"address", probe.address},
                       {"reply", probe.reply.summary()},
                       {"class", reply_class_name(classify_enumeration_reply(probe.reply))}});
    }
    entry["names"] = names;
    entry["found"] = verdict.found;
    entry["failure"] = run.failure;
    methods.push_back(entry);
  }
  check.details["methods"] = methods;
  return check;
}

}  // namespace tern::audit
