// The text report (grouped by check, findings with severity, evidence and fix, the summary line
// last) and the JSON document, from a fixed report.
#include "audit/report.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

AuditReport sample() {
  AuditReport report;
  report.target = "127.0.0.1:25";
  report.peer = "127.0.0.1[127.0.0.1]:25";
  report.audited = true;
  CheckResult banner;
  banner.id = "banner";
  banner.title = "Banner and fingerprint";
  banner.observations = {"banner: 220 mx ESMTP"};
  banner.details["software"] = nlohmann::ordered_json::array();
  CheckResult relay;
  relay.id = "relay";
  relay.title = "Open relay";
  relay.status = CheckStatus::Incomplete;
  relay.status_reason = "the connection broke";
  relay.findings.push_back({Severity::High, "open relay: RCPT accepted for 1/16 forms",
                            "MAIL FROM:<> -> RCPT TO:<relaytest@nmap.scanme.org>", "fix it"});
  relay.findings.push_back({Severity::Info, "a note", "", ""});
  report.checks = {banner, relay};
  return report;
}

TEST(ReportTest, Text) {
  EXPECT_EQ(render_text(sample()),
            "tern audit of 127.0.0.1:25 (127.0.0.1[127.0.0.1]:25)\n"
            "\n"
            "Banner and fingerprint\n"
            "  banner: 220 mx ESMTP\n"
            "\n"
            "Open relay [incomplete: the connection broke]\n"
            "  [HIGH] open relay: RCPT accepted for 1/16 forms\n"
            "      evidence: MAIL FROM:<> -> RCPT TO:<relaytest@nmap.scanme.org>\n"
            "      fix: fix it\n"
            "  [INFO] a note\n"
            "\n"
            "summary: 1 high, 0 medium, 0 low, 1 info -> findings (exit 1)\n");
}

TEST(ReportTest, SummaryLines) {
  AuditReport clean;
  clean.target = "x:25";
  clean.audited = true;
  EXPECT_EQ(summary_line(clean),
            "summary: 0 high, 0 medium, 0 low, 0 info -> no findings (exit 0)");
  AuditReport failed;
  failed.target = "x:25";
  failed.failure = "connect to x[192.0.2.1]:25: Connection refused";
  EXPECT_EQ(summary_line(failed),
            "summary: could not audit x:25: connect to x[192.0.2.1]:25: Connection refused "
            "(exit 2)");
}

TEST(ReportTest, Json) {
  nlohmann::ordered_json json = report_json(sample());
  EXPECT_EQ(json["target"], "127.0.0.1:25");
  EXPECT_EQ(json["audited"], true);
  EXPECT_EQ(json["checks"].size(), 2u);
  EXPECT_EQ(json["checks"][1]["id"], "relay");
  EXPECT_EQ(json["checks"][1]["status"], "incomplete");
  EXPECT_EQ(json["checks"][1]["findings"][0]["severity"], "high");
  EXPECT_EQ(json["checks"][0]["details"]["software"], nlohmann::ordered_json::array());
  EXPECT_EQ(json["summary"]["high"], 1);
  EXPECT_EQ(json["summary"]["info"], 1);
  EXPECT_EQ(json["summary"]["exit_code"], 1);
  // Keys keep their order, so the output is stable.
  EXPECT_EQ(json.begin().key(), "target");
}

}  // namespace
}  // namespace tern::audit
