// `tern audit HOST[:PORT]`: footprint an SMTP server as nmap's smtp-commands/smtp-open-relay and
// smtp-user-enum do, and say what is wrong with it (docs/audit.md lists every check). Options are
// parsed with CLI11 into AuditCommand, checked and turned into audit::AuditOptions by a pure
// function; the report goes to standard output as text or JSON. Exit status: 0 no findings, 1
// findings, 2 could not audit or a usage error (one "tern: ..." line on stderr).
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_runner.hpp"
#include "base/result.hpp"

namespace CLI {
class App;
}

namespace tern::cli {

struct AuditCommand {
  std::string target;           // HOST[:PORT], port 25 by default
  double timeout_seconds = 10;  // --timeout, every probe
  double rate_seconds = 0;      // --rate, pause between probes
  std::string proxy;            // --proxy http://host:port
  bool tls_on_connect = false;  // --tls-on-connect
  std::string ehlo;             // --ehlo NAME; empty: this machine's name
  std::string users_file;       // --users FILE
  std::string domain;           // --domain
  std::string relay_domain = "nmap.scanme.org";
  std::string relay_from = "antispam";
  std::string relay_to = "relaytest";
  std::string relay_ip;
  bool intrusive = false;
  std::string rcpt;                 // --rcpt
  std::string from;                 // --from
  std::vector<std::string> checks;  // --checks; empty: all
  bool json = false;
  bool verbose = false;
};

CLI::App* add_audit_subcommand(CLI::App& app, AuditCommand& command);

// Checks the command and builds the audit's options; `users_text` is the --users file's content.
// Errors are usage errors ("--intrusive needs --rcpt ADDRESS").
Result<audit::AuditOptions> audit_options(const AuditCommand& command, std::string_view users_text);

int run_audit_command(const AuditCommand& command, std::ostream& out, std::ostream& errors);

}  // namespace tern::cli
