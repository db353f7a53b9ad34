// Dropping root after the listeners are bound (Principle 3: "drops root after binding"): ternd
// gives the spool and mail directories to mail_owner, then switches user and group for good.
#pragma once

#include "base/result.hpp"
#include "config/config.hpp"

namespace tern::server {

// No-op (with a log line) when not root. As root: mail_owner must exist and must not be root.
Status drop_privileges(const config::Config& config);

}  // namespace tern::server
