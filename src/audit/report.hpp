// Rendering an audit report: readable text grouped by check, each finding with its severity,
// evidence and fix, and a summary line; or one JSON document (--json) with the same content.
// Guarantees: both are functions of the report alone (the same report renders the same bytes);
// the summary line always ends the text and names the exit status.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "audit/finding.hpp"

namespace tern::audit {

// "summary: 1 high, 0 medium, 2 low, 3 info -> findings (exit 1)"
std::string summary_line(const AuditReport& report);

std::string render_text(const AuditReport& report);

nlohmann::ordered_json report_json(const AuditReport& report);

}  // namespace tern::audit
