// Severity names, counts and the exit status: info notes never make the exit status 1.
#include "audit/finding.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

AuditReport report_with(std::vector<Severity> severities) {
  AuditReport report;
  report.audited = true;
  CheckResult check;
  for (Severity severity : severities) check.findings.push_back({severity, "t", "e", "f"});
  report.checks.push_back(check);
  return report;
}

TEST(FindingTest, NamesSeveritiesAndStatuses) {
  EXPECT_EQ(severity_name(Severity::Info), "info");
  EXPECT_EQ(severity_name(Severity::Low), "low");
  EXPECT_EQ(severity_name(Severity::Medium), "medium");
  EXPECT_EQ(severity_name(Severity::High), "high");
  EXPECT_EQ(check_status_name(CheckStatus::Done), "done");
  EXPECT_EQ(check_status_name(CheckStatus::Incomplete), "incomplete");
  EXPECT_EQ(check_status_name(CheckStatus::Skipped), "skipped");
  EXPECT_EQ(check_status_name(CheckStatus::Failed), "failed");
}

TEST(FindingTest, CountsEverySeverity) {
  SeverityCounts counts = count_findings(report_with(
      {Severity::High, Severity::Info, Severity::Low, Severity::Info, Severity::Medium}));
  EXPECT_EQ(counts.high, 1);
  EXPECT_EQ(counts.medium, 1);
  EXPECT_EQ(counts.low, 1);
  EXPECT_EQ(counts.info, 2);
  EXPECT_EQ(counts.problems(), 3);
}

TEST(FindingTest, ExitCodes) {
  EXPECT_EQ(exit_code(report_with({})), 0);
  EXPECT_EQ(exit_code(report_with({Severity::Info, Severity::Info})), 0);
  EXPECT_EQ(exit_code(report_with({Severity::Low})), 1);
  EXPECT_EQ(exit_code(report_with({Severity::Info, Severity::High})), 1);
  AuditReport not_audited = report_with({Severity::High});
  not_audited.audited = false;
  EXPECT_EQ(exit_code(not_audited), 2);
}

}  // namespace
}  // namespace tern::audit
