// Mail log set-up: one line per event in Postfix's shape ("ternd/smtpd[pid]: ID: to=<...>, status=sent"),
// to stderr or to maillog_file, so admins' grep habits and log tools keep working.
#pragma once

#include <string>

#include "base/result.hpp"

namespace tern {

// `program` is the syslog-style tag, e.g. "ternd". An empty `file` logs to stderr.
Status init_logging(const std::string& program, const std::string& file);

}  // namespace tern
