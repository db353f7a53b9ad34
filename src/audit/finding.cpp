// Names, counts and the exit status of an audit report.
#include "audit/finding.hpp"

namespace tern::audit {

std::string_view severity_name(Severity severity) {
  if (severity == Severity::High) return "high";
  if (severity == Severity::Medium) return "medium";
  if (severity == Severity::Low) return "low";
  return "info";
}

std::string_view check_status_name(CheckStatus status) {
  if (status == CheckStatus::Incomplete) return "incomplete";
  if (status == CheckStatus::Skipped) return "skipped";
  if (status == CheckStatus::Failed) return "failed";
  return "done";
}

SeverityCounts count_findings(const AuditReport& report) {
  SeverityCounts counts;
  for (const CheckResult& check : report.checks) {
    for (const Finding& finding : check.findings) {
      if (finding.severity == Severity::High) ++counts.high;
      if (finding.severity == Severity::Medium) ++counts.medium;
      if (finding.severity == Severity::Low) ++counts.low;
      if (finding.severity == Severity::Info) ++counts.info;
    }
  }
  return counts;
}

int exit_code(const AuditReport& report) {
  if (!report.audited) return 2;
  return count_findings(report).problems() > 0 ? 1 : 0;
}

}  // namespace tern::audit
