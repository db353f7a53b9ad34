// tern audit: options, then the audit, then the report.
#include "cli/audit_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <ctime>
#include <exception>
#include <fstream>
#include <random>
#include <sstream>

#include "audit/report.hpp"
#include "audit/user_enumeration.hpp"
#include "net/http_connect.hpp"

namespace tern::cli {
namespace {

std::string this_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

}  // namespace

CLI::App* add_audit_subcommand(CLI::App& app, AuditCommand& command) {
  CLI::App* audit = app.add_subcommand(
      "audit", "footprint an SMTP server and report what is wrong with it (see docs/audit.md)");
  audit->add_option("target", command.target, "HOST[:PORT] (port 25 by default)")->required();
  audit->add_option("--timeout", command.timeout_seconds,
                    "seconds each probe may take (connect, reply, handshake); default 10");
  audit->add_option("--rate", command.rate_seconds,
                    "seconds to wait between probes, to be gentle; default 0");
  audit->add_option("--proxy", command.proxy, "reach the server through an HTTP CONNECT proxy");
  audit->add_flag("--tls-on-connect", command.tls_on_connect, "TLS from the first byte (port 465)");
  audit->add_option("--ehlo", command.ehlo, "name to give in EHLO (default: this host's name)");
  audit->add_option("--users", command.users_file,
                    "file of user names to try (one a line) instead of the built-in list");
  audit->add_option("--domain", command.domain,
                    "domain appended to user names (RCPT TO defaults to the server's own name)");
  audit->add_option("--relay-domain", command.relay_domain,
                    "outside domain for the relay tests (nmap's smtp-open-relay.domain)");
  audit->add_option("--relay-from", command.relay_from,
                    "sender local part for the relay tests (smtp-open-relay.from)");
  audit->add_option("--relay-to", command.relay_to,
                    "recipient local part for the relay tests (smtp-open-relay.to)");
  audit->add_option("--relay-ip", command.relay_ip,
                    "server address for the relay tests (smtp-open-relay.ip; default: the one "
                    "connected to)");
  audit->add_flag("--intrusive", command.intrusive,
                  "allow checks that send mail (SMTP smuggling: one message per form to --rcpt)");
  audit->add_option("--rcpt", command.rcpt, "where --intrusive test messages go");
  audit->add_option("--from", command.from, "sender of --intrusive test messages (default --rcpt)");
  audit
      ->add_option("--checks", command.checks,
                   "only these checks: tls, users, relay, smuggling, http (default all)")
      ->delimiter(',');
  audit->add_flag("--json", command.json, "print the report as JSON");
  audit->add_flag("-v,--verbose", command.verbose, "print the conversation on standard error");
  return audit;
}

Result<audit::AuditOptions> audit_options(const AuditCommand& command,
                                          std::string_view users_text) {
  audit::AuditOptions options;
  auto target = net::parse_connect_target(command.target, 25);
  if (!target) return target.error();
  options.target = *target;
  options.target_text = fmt::format(
      "{}:{}",
      target->host.find(':') != std::string::npos ? "[" + target->host + "]" : target->host,
      target->port);
  if (!command.proxy.empty()) {
    auto proxy = net::parse_proxy_url(command.proxy);
    if (!proxy) return proxy.error();
    options.proxy = *proxy;
  }
  if (!(command.timeout_seconds > 0) || command.timeout_seconds > 3600) {
    return Error{"--timeout must be more than 0 and at most 3600 seconds"};
  }
  if (!(command.rate_seconds >= 0) || command.rate_seconds > 3600) {
    return Error{"--rate must be 0 to 3600 seconds"};
  }
  options.timeout = milliseconds(command.timeout_seconds);
  options.pause = milliseconds(command.rate_seconds);
  options.tls_on_connect = command.tls_on_connect;
  options.helo_name = command.ehlo.empty() ? this_host_name() : command.ehlo;
  if (!command.users_file.empty()) {
    options.users = audit::parse_user_list(users_text);
    if (options.users.empty()) {
      return Error{fmt::format("{}: no user names in it", command.users_file)};
    }
  }
  options.domain = command.domain;
  options.relay.domain = command.relay_domain;
  options.relay.from = command.relay_from;
  options.relay.to = command.relay_to;
  options.relay.ip = command.relay_ip;
  if (options.relay.domain.empty() || options.relay.from.empty() || options.relay.to.empty()) {
    return Error{"--relay-domain, --relay-from and --relay-to must not be empty"};
  }
  if (command.intrusive && command.rcpt.empty()) {
    return Error{"--intrusive needs --rcpt ADDRESS (where the test messages go)"};
  }
  if (!command.rcpt.empty() && !command.intrusive) {
    return Error{"--rcpt is for --intrusive checks; add --intrusive to send test messages"};
  }
  options.intrusive = command.intrusive;
  options.rcpt = command.rcpt;
  options.from = command.from;
  const std::vector<std::string>& known = audit::selectable_checks();
  if (command.checks.empty()) {
    options.checks.insert(known.begin(), known.end());
  }
  for (const std::string& check : command.checks) {
    if (std::find(known.begin(), known.end(), check) == known.end()) {
      return Error{
          fmt::format("unknown check \"{}\" (known: tls, users, relay, smuggling, http)", check)};
    }
    options.checks.insert(check);
  }
  return options;
}

int run_audit_command(const AuditCommand& command, std::ostream& out, std::ostream& errors) {
  std::string users_text;
  if (!command.users_file.empty()) {
    std::ifstream file(command.users_file);
    if (!file) {
      errors << "tern: cannot read " << command.users_file << "\n";
      return 2;
    }
    std::ostringstream text;
    text << file.rdbuf();
    users_text = text.str();
  }
  auto options = audit_options(command, users_text);
  if (!options) {
    errors << "tern: " << options.error().message << "\n";
    return 2;
  }
  std::random_device random;
  options->seed = (static_cast<std::uint64_t>(random()) << 32) ^ random();
  options->now = static_cast<std::int64_t>(std::time(nullptr));
  if (command.verbose) {
    options->transcript = [&errors](std::string_view line) {
      errors << line << "\n";
      errors.flush();
    };
  }
  audit::AuditReport report;
  try {
    report = audit::run_audit_blocking(*options);
  } catch (const std::exception& error) {
    errors << "tern: audit of " << options->target_text << " failed: " << error.what() << "\n";
    return 2;
  }
  if (command.json) {
    // A --users name or a server's keyword may hold bytes that are not UTF-8: replaced, not fatal.
    out << audit::report_json(report).dump(2, ' ', false,
                                           nlohmann::ordered_json::error_handler_t::replace)
        << "\n";
  } else {
    out << audit::render_text(report);
  }
  if (!report.audited)
    errors << "tern: could not audit " << report.target << ": " << report.failure << "\n";
  return audit::exit_code(report);
}

}  // namespace tern::cli
