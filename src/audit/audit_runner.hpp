// `tern audit`'s order of work: the first session, then the checks asked for, one connection at a
// time, each check's records turned into its report section by that check's pure functions.
// Guarantees: read-only unless `intrusive` (then only the smuggling test messages to `rcpt`); a
// check that the server's 530 shows needs TLS is run again over STARTTLS; the report says
// "could not audit" only when no SMTP greeting was had at all.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "audit/finding.hpp"
#include "audit/open_relay.hpp"
#include "net/http_connect.hpp"
#include "net/tcp_connect.hpp"

namespace tern::audit {

// The checks that can be chosen (--checks); banner, capabilities, STARTTLS and AUTH come from the
// first session and always run.
const std::vector<std::string>& selectable_checks();  // tls, users, relay, smuggling, http

struct AuditOptions {
  std::string target_text;  // as the user gave it, for the report
  net::ConnectTarget target;
  std::optional<net::ProxyAddress> proxy;
  std::chrono::milliseconds timeout{10000};  // each connect, write, read, handshake
  std::chrono::milliseconds pause{0};        // --rate: between any two probes
  bool tls_on_connect = false;
  std::string helo_name = "localhost";
  std::vector<std::string> users;  // empty: builtin_user_names()
  std::string domain;     // appended to names for enumeration; RCPT defaults to the server's name
  RelayParameters relay;  // empty ip/server_name: taken from the connection
  bool intrusive = false;
  std::string rcpt;              // --rcpt: where smuggling test messages go
  std::string from;              // their sender; empty: rcpt
  std::set<std::string> checks;  // from selectable_checks()
  std::function<void(std::string_view)> transcript;
  std::uint64_t seed = 0;  // for the impossible user name
  std::int64_t now = 0;    // seconds since the epoch, for certificate validity
};

asio::awaitable<AuditReport> run_audit(const AuditOptions& options);

// run_audit() on an io_context of its own; returns when the audit is over.
AuditReport run_audit_blocking(const AuditOptions& options);

}  // namespace tern::audit
