// Text and JSON renderings of an audit report.
#include "audit/report.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"

namespace tern::audit {

std::string summary_line(const AuditReport& report) {
  if (!report.audited) {
    return fmt::format("summary: could not audit {}: {} (exit 2)", report.target, report.failure);
  }
  SeverityCounts counts = count_findings(report);
  return fmt::format("summary: {} high, {} medium, {} low, {} info -> {} (exit {})", counts.high,
                     counts.medium, counts.low, counts.info,
                     counts.problems() > 0 ? "findings" : "no findings", exit_code(report));
}

std::string render_text(const AuditReport& report) {
  std::string out = fmt::format("tern audit of {}", report.target);
  if (!report.peer.empty()) out += fmt::format(" ({})", report.peer);
  out += "\n";
  for (const CheckResult& check : report.checks) {
    out += "\n" + check.title;
    if (check.status != CheckStatus::Done) {
      out += fmt::format(" [{}{}{}]", check_status_name(check.status),
                         check.status_reason.empty() ? "" : ": ", check.status_reason);
    }
    out += "\n";
    for (const std::string& line : check.observations) out += "  " + line + "\n";
    for (const Finding& finding : check.findings) {
      out += fmt::format("  [{}] {}\n", to_upper_ascii(severity_name(finding.severity)),
                         finding.title);
      if (!finding.evidence.empty()) out += "      evidence: " + finding.evidence + "\n";
      if (!finding.fix.empty()) out += "      fix: " + finding.fix + "\n";
    }
  }
  out += "\n" + summary_line(report) + "\n";
  return out;
}

nlohmann::ordered_json report_json(const AuditReport& report) {
  nlohmann::ordered_json root;
  root["target"] = report.target;
  root["peer"] = report.peer;
  root["audited"] = report.audited;
  root["failure"] = report.failure;
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const CheckResult& check : report.checks) {
    nlohmann::ordered_json entry;
    entry["id"] = check.id;
    entry["title"] = check.title;
    entry["status"] = check_status_name(check.status);
    entry["status_reason"] = check.status_reason;
    entry["observations"] = check.observations;
    nlohmann::ordered_json findings = nlohmann::ordered_json::array();
    for (const Finding& finding : check.findings) {
      findings.push_back({{"severity", severity_name(finding.severity)},
                          {"title", finding.title},
                          {"evidence", finding.evidence},
                          {"fix", finding.fix}});
    }
    entry["findings"] = findings;
    entry["details"] = check.details;
    checks.push_back(entry);
  }
  root["checks"] = checks;
  SeverityCounts counts = count_findings(report);
  root["summary"] = {{"high", counts.high},
                     {"medium", counts.medium},
                     {"low", counts.low},
                     {"info", counts.info},
                     {"exit_code", exit_code(report)}};
  return root;
}

}  // namespace tern::audit
