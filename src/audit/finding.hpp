// What `tern audit` concludes, as plain values: each check's section of the report (what was
// observed, findings with a severity, details for --json) and the exit status. Severities: info (a
// fact worth knowing, not a problem), low, medium, high. Guarantees: exit_code() is 2 when the
// server could not be audited at all, 1 when any finding of severity low or above exists, 0
// otherwise, so info notes never fail a script.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tern::audit {

enum class Severity { Info, Low, Medium, High };

std::string_view severity_name(Severity severity);  // "info", "low", "medium", "high"

struct Finding {
  Severity severity = Severity::Info;
  std::string title;     // one line: "AUTH PLAIN LOGIN offered before TLS"
  std::string evidence;  // what the server said that shows it
  std::string fix;       // what to change, on tern and on Postfix
};

enum class CheckStatus {
  Done,        // ran to the end
  Incomplete,  // ran in part (a connection broke); what it saw is reported
  Skipped,     // not run: not asked for, or not applicable (no TLS, no --intrusive)
  Failed,      // could not run
};

std::string_view check_status_name(CheckStatus status);  // "done", "incomplete", ...

struct CheckResult {
  std::string id;     // "banner", "capabilities", "tls", "auth", "users", "relay", ...
  std::string title;  // "Banner and fingerprint"
  CheckStatus status = CheckStatus::Done;
  std::string status_reason;              // why skipped, failed or incomplete
  std::vector<std::string> observations;  // facts, one line each
  std::vector<Finding> findings;
  nlohmann::ordered_json details = nlohmann::ordered_json::object();  // for --json
};

struct AuditReport {
  std::string target;    // as given: "mx.example.org:25"
  std::string peer;      // "mx.example.org[192.0.2.1]:25"
  bool audited = false;  // false: no SMTP session could be had (exit 2)
  std::string failure;   // why not, when !audited
  std::vector<CheckResult> checks;
};

struct SeverityCounts {
  int info = 0;
  int low = 0;
  int medium = 0;
  int high = 0;
  int problems() const { return low + medium + high; }
};

SeverityCounts count_findings(const AuditReport& report);

// 0 no findings (info notes do not count), 1 findings, 2 could not audit.
int exit_code(const AuditReport& report);

}  // namespace tern::audit
