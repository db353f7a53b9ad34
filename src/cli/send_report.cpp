// Failures are told in the words of the command that was refused, with the server's reply as it
// came; failures of this side (TLS not offered, a timeout, a message too large for the server's
// SIZE) keep the client protocol's Postfix-style text.
#include "cli/send_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "smtp/remote_reply.hpp"

namespace tern::cli {
namespace {

using smtp::ClientStage;
using smtp::Disposition;

struct StageExit {
  std::string_view name;
  int code;
};

// Indexed by ClientStage.
constexpr StageExit kStageExits[] = {
    {"banner", kSendBanner},   {"ehlo", kSendEhlo},       {"ehlo", kSendEhlo},
    {"tls", kSendTls},         {"auth", kSendAuth},       {"mail", kSendMail},
    {"rcpt", kSendRcpt},       {"data", kSendData},       {"message", kSendMessage},
    {"message", kSendMessage}, {"message", kSendMessage},
};
static_assert(std::size(kStageExits) == static_cast<std::size_t>(ClientStage::Quit) + 1);

const StageExit& stage_exit(ClientStage stage) {
  return kStageExits[static_cast<std::size_t>(stage)];
}

// The stage a recipient's failure belongs to. A server reply decided it at the stage recorded;
// this side's own refusals are recorded where the session was (after EHLO), so they are classed
// by their RFC 3463 status: X.7.4/X.7.5 (TLS not offered or broken) are TLS, 4.7.0 (AUTH
// impossible: no TLS, no mechanism, not offered) is AUTH, and 5.1.7 (sender syntax), 5.3.4 (SIZE),
// 5.6.3 (8BITMIME) and 5.6.7 (SMTPUTF8) mean the server cannot take this transaction: MAIL.
ClientStage failure_stage(const smtp::RecipientOutcome& outcome) {
  if (!outcome.diagnostic_code.empty()) return outcome.stage;
  const std::string& status = outcome.status;
  if (status.size() < 5) return outcome.stage;
  std::string_view detail = std::string_view(status).substr(1);
  if (detail == ".7.4" || detail == ".7.5") return std::max(outcome.stage, ClientStage::StartTls);
  bool before_mail = outcome.stage < ClientStage::Mail;
  if (status == "4.7.0" && before_mail) return ClientStage::Auth;
  if ((status == "5.1.7" || status == "5.3.4" || status == "5.6.3" || status == "5.6.7") &&
      before_mail) {
    return ClientStage::Mail;
  }
  return outcome.stage;
}

// What was refused, for "... refused: <reply>".
std::string refused_what(ClientStage stage, const SendFacts& facts, std::size_t recipient) {
  if (stage == ClientStage::Greeting) return "session";
  if (stage == ClientStage::Ehlo) return "EHLO";
  if (stage == ClientStage::Helo) return "HELO";
  if (stage == ClientStage::StartTls) return "STARTTLS";
  if (stage == ClientStage::Auth) return "AUTH";
  if (stage == ClientStage::Mail) return fmt::format("MAIL FROM <{}>", facts.sender);
  if (stage == ClientStage::Rcpt) return fmt::format("RCPT TO <{}>", facts.recipients[recipient]);
  if (stage == ClientStage::Data) return "DATA";
  return "message";
}

// The server's reply that decided the outcome, when a reply did (RFC 3464 Diagnostic-Code without
// its "smtp; " type).
std::optional<std::string> server_reply(const smtp::RecipientOutcome& outcome) {
  constexpr std::string_view kPrefix = "smtp; ";
  if (outcome.diagnostic_code.rfind(kPrefix, 0) != 0) return std::nullopt;
  return outcome.diagnostic_code.substr(kPrefix.size());
}

std::string failure_line(const smtp::RecipientOutcome& outcome, const SendFacts& facts,
                         std::size_t recipient) {
  std::optional<std::string> reply = server_reply(outcome);
  if (!reply) return outcome.text;
  return fmt::format("{} refused: {}", refused_what(outcome.stage, facts, recipient), *reply);
}

const ObservedReply* last_reply(const SendFacts& facts, ClientStage stage,
                                std::optional<std::size_t> recipient = std::nullopt) {
  const ObservedReply* found = nullptr;
  for (const ObservedReply& reply : facts.replies) {
    if (reply.stage == stage && (!recipient || reply.recipient == *recipient)) found = &reply;
  }
  return found;
}

bool positive(const ObservedReply* reply) {
  return reply != nullptr && !reply->text.empty() && reply->text[0] == '2';
}

std::string angle_list(const SendFacts& facts, const std::vector<std::size_t>& indices) {
  std::vector<std::string> out;
  for (std::size_t i : indices) out.push_back(fmt::format("<{}>", facts.recipients[i]));
  return fmt::format("{}", fmt::join(out, ", "));
}

void add_unique(std::vector<std::string>& lines, std::string line) {
  if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(std::move(line));
}

SendReport quit_report(const SendFacts& facts) {
  SendReport report;
  std::string asked(smtp::checkpoint_name(*facts.quit_after));
  std::vector<std::size_t> accepted, refused;
  for (std::size_t i = 0; i < facts.recipients.size(); ++i) {
    const ObservedReply* reply = last_reply(facts, ClientStage::Rcpt, i);
    if (reply == nullptr) continue;
    (positive(reply) ? accepted : refused).push_back(i);
  }
  for (std::size_t i : refused) {
    report.errors.push_back(failure_line(facts.attempt.recipients[i], facts, i));
  }
  if (!refused.empty()) {
    report.failed_stage = "rcpt";
    report.exit_code = accepted.empty() ? kSendRcpt : kSendPartial;
    report.result = accepted.empty() ? "failed" : "partial";
  } else {
    report.result = "quit";
  }
  if (accepted.empty() && !refused.empty()) return report;
  report.summary = fmt::format("quit after {} as asked; no message sent", asked);
  if (!accepted.empty()) report.summary += "; accepted " + angle_list(facts, accepted);
  if (!refused.empty()) report.summary += "; refused " + angle_list(facts, refused);
  return report;
}

SendReport make_outcome_report(const SendFacts& facts) {
  SendReport report;
  if (facts.connect_error) {
    report.exit_code = kSendConnect;
    report.result = "failed";
    report.failed_stage = "connect";
    report.errors.push_back(*facts.connect_error);
    return report;
  }
  if (facts.quit_as_asked) return quit_report(facts);
  const auto& outcomes = facts.attempt.recipients;
  std::vector<std::size_t> delivered, failed;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    (outcomes[i].disposition == Disposition::Delivered ? delivered : failed).push_back(i);
  }
  std::string final_reply;
  if (!delivered.empty()) {
    const auto& outcome = outcomes[delivered.front()];
    final_reply = server_reply(outcome).value_or(outcome.text);
  }
  if (failed.empty()) {
    report.result = "sent";
    report.summary = fmt::format("sent to {}: {}", angle_list(facts, delivered), final_reply);
    return report;
  }
  // The latest stage any recipient failed at is where the session as a whole stopped.
  ClientStage stage = ClientStage::Greeting;
  for (std::size_t i : failed) stage = std::max(stage, failure_stage(outcomes[i]));
  for (std::size_t i : failed) add_unique(report.errors, failure_line(outcomes[i], facts, i));
  if (delivered.empty()) {
    report.result = "failed";
    report.exit_code = stage_exit(stage).code;
    report.failed_stage = std::string(stage_exit(stage).name);
    if (report.errors.empty()) report.errors.push_back("the session failed");
    return report;
  }
  report.result = "partial";
  report.exit_code = kSendPartial;
  report.failed_stage = std::string(stage_exit(stage).name);
  report.errors.push_back(fmt::format("partial success: sent to {} of {} recipients",
                                      delivered.size(), outcomes.size()));
  report.summary = fmt::format("sent to {}: {}", angle_list(facts, delivered), final_reply);
  return report;
}

}  // namespace

SendReport make_send_report(const SendFacts& facts) {
  SendReport report = make_outcome_report(facts);
  report.warnings = facts.attempt.notes;
  if (facts.dsn_requested && facts.attempt.established && !facts.attempt.features.dsn) {
    report.warnings.push_back(
        "the server does not offer DSN: NOTIFY, ORCPT, RET and ENVID were not sent");
  }
  return report;
}

nlohmann::ordered_json send_report_json(const SendFacts& facts, const SendReport& report,
                                bool with_transcript) {
  using json = nlohmann::ordered_json;
  auto reply_text = [](const ObservedReply* reply) -> json {
    return reply ? json(reply->text) : json(nullptr);
  };
  json out;
  out["server"] = facts.server;
  out["proxy"] = facts.proxy.empty() ? json(nullptr) : json(facts.proxy);
  out["peer"] = facts.peer.empty() ? json(nullptr) : json(facts.peer);
  out["result"] = report.result;
  out["exit_code"] = report.exit_code;
  out["failed_stage"] = report.failed_stage.empty() ? json(nullptr) : json(report.failed_stage);
  out["errors"] = report.errors;
  out["quit_after"] = facts.quit_after ? json(std::string(smtp::checkpoint_name(*facts.quit_after)))
                                       : json(nullptr);
  const delivery::SmtpAttempt& attempt = facts.attempt;
  out["banner"] = reply_text(last_reply(facts, ClientStage::Greeting));
  const ObservedReply* ehlo = last_reply(facts, ClientStage::Ehlo);
  out["esmtp"] = attempt.established ? json(attempt.features.esmtp) : json(nullptr);
  out["extensions"] = attempt.established ? json(attempt.features.keywords) : json(nullptr);
  out["ehlo_reply"] = reply_text(ehlo);
  out["tls"] = {{"mode", facts.tls_mode},
                {"active", !attempt.tls.empty()},
                {"session", attempt.tls.empty() ? json(nullptr) : json(attempt.tls)},
                {"verified", attempt.tls_verified}};
  if (facts.auth_user.empty()) {
    out["auth"] = nullptr;
  } else {
    out["auth"] = {
        {"user", facts.auth_user},
        {"mechanism", facts.auth_mechanism.empty() ? json(nullptr) : json(facts.auth_mechanism)},
        {"authenticated", attempt.authenticated},
        {"reply", reply_text(last_reply(facts, ClientStage::Auth))}};
  }
  out["mail"] = {{"from", facts.sender},
                 {"reply", reply_text(last_reply(facts, ClientStage::Mail))},
                 {"size", facts.size},
                 {"body", facts.eight_bit ? "8BITMIME" : "7BIT"},
                 {"smtputf8", facts.smtputf8}};
  json recipients = json::array();
  for (std::size_t i = 0; i < facts.recipients.size(); ++i) {
    json entry;
    entry["address"] = facts.recipients[i];
    const ObservedReply* rcpt = last_reply(facts, ClientStage::Rcpt, i);
    entry["rcpt_reply"] = reply_text(rcpt);
    entry["accepted"] = positive(rcpt);
    if (i < attempt.recipients.size()) {
      const smtp::RecipientOutcome& outcome = attempt.recipients[i];
      std::optional<std::string> decided_by = server_reply(outcome);
      std::string status = outcome.disposition == Disposition::Delivered ? "sent"
                           : facts.quit_as_asked && !decided_by          ? "not sent"
                           : decided_by                                  ? "refused"
                                                                         : "failed";
      entry["status"] = status;
      entry["status_code"] = outcome.status;
      entry["reply"] = decided_by ? json(*decided_by) : json(nullptr);
      entry["text"] = outcome.text;
    } else {
      entry["status"] = "not sent";
    }
    recipients.push_back(std::move(entry));
  }
  out["recipients"] = std::move(recipients);
  const ObservedReply* data = last_reply(facts, ClientStage::Data);
  const ObservedReply* end = last_reply(facts, ClientStage::EndOfData);
  std::optional<std::string> queue_id = end ? queue_id_from_reply(end->text) : std::nullopt;
  out["data"] = {{"reply", reply_text(data)},
                 {"end_of_data_reply", reply_text(end)},
                 {"queue_id", queue_id ? json(*queue_id) : json(nullptr)}};
  if (with_transcript) out["transcript"] = attempt.transcript;
  return out;
}

std::string format_transcript_line(std::string_view line, bool colour) {
  if (!colour) return std::string(line);
  std::string_view code = line.rfind("C:", 0) == 0 ? "36" : line.rfind("S:", 0) == 0 ? "32" : "2";
  return fmt::format("\x1b[{}m{}\x1b[0m", code, line);
}

std::optional<std::string> queue_id_from_reply(std::string_view reply) {
  static const std::regex kPatterns[] = {
      std::regex(R"(queued as ([0-9A-Za-z._-]+))", std::regex::icase),
      std::regex(R"(\bid=([0-9A-Za-z._-]+))", std::regex::icase),
      std::regex(R"(^250[ -](?:\d\.\d{1,3}\.\d{1,3} )?([0-9A-Za-z]+) Message accepted)",
                 std::regex::icase),
  };
  std::string text(reply);
  std::smatch match;
  for (const std::regex& pattern : kPatterns) {
    if (std::regex_search(text, match, pattern)) return match[1].str();
  }
  return std::nullopt;
}

}  // namespace tern::cli
