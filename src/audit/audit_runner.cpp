// The audit's sequence. Each check runs to its end before the next starts, so the server sees one
// connection at a time.
#include "audit/audit_runner.hpp"

#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <exception>

#include "audit/auth_exposure.hpp"
#include "audit/capabilities.hpp"
#include "audit/fingerprint.hpp"
#include "audit/http_probe.hpp"
#include "audit/probe_conversations.hpp"
#include "audit/smuggling.hpp"
#include "audit/tls_audit.hpp"
#include "audit/user_enumeration.hpp"
#include "net/tls_context.hpp"

namespace tern::audit {
namespace {

CheckResult skipped(std::string id, std::string title, std::string reason) {
  CheckResult check;
  check.id = std::move(id);
  check.title = std::move(title);
  check.status = CheckStatus::Skipped;
  check.status_reason = reason;
  return check;
}

bool is_address(const std::string& host) {
  asio::error_code bad;
  asio::ip::make_address(host, bad);
  return !bad;
}

}  // namespace

const std::vector<std::string>& selectable_checks() {
  static const std::vector<std::string> checks{"tls", "users", "relay", "smuggling", "http"};
  return checks;
}

asio::awaitable<AuditReport> run_audit(const AuditOptions& options) {
  AuditReport report;
  report.target = options.target_text;
  auto tls_context = net::make_client_tls_context();
  if (!tls_context) {
    report.failure = tls_context.error().message;
    co_return report;
  }
  ConversationSettings settings;
  settings.probe.target = options.target;
  settings.probe.proxy = options.proxy;
  settings.probe.timeout = options.timeout;
  settings.probe.transcript = options.transcript;
  settings.tls_on_connect = options.tls_on_connect;
  settings.helo_name = options.helo_name;
  settings.pause = options.pause;
  Prober prober(settings, **tls_context);
  auto wanted = [&](const char* check) { return options.checks.count(check) > 0; };

  FirstSession first = co_await prober.first_session();
  report.peer = first.peer;
  if (!first.connect_error.empty()) {
    report.failure = first.connect_error;
    co_return report;
  }
  ServerReplies replies;
  replies.banner = first.greeting.raw;
  if (first.ehlo.answered()) replies.ehlo = first.ehlo.raw;
  if (first.help.answered()) replies.help = first.help.raw;
  if (first.quit && first.quit->answered()) replies.quit = first.quit->raw;
  if (!first.greeting.positive()) {
    report.failure = "no SMTP greeting: " + first.greeting.summary();
    if (first.greeting.answered()) {
      report.checks.push_back(banner_section(replies, guess_software(replies)));
    }
    co_return report;
  }
  report.audited = true;
  report.checks.push_back(banner_section(replies, guess_software(replies)));
  report.checks.push_back(
      capabilities_section({first.ehlo, first.helo, first.help, first.features}));

  AuthFacts auth;
  auth.tls_on_connect = options.tls_on_connect;
  auth.starttls_offered = first.features.starttls;
  auth.tls_established = first.tls_done;
  if (!options.tls_on_connect) auth.before_tls = first.features.auth_mechanisms;
  auth.after_tls = first.features_tls.auth_mechanisms;

  TlsFacts tls;
  tls.tls_on_connect = options.tls_on_connect;
  tls.starttls_offered = first.features.starttls;
  tls.starttls_reply = first.starttls;
  tls.handshake_done = first.tls_done;
  tls.handshake_error = first.tls_error;
  tls.session = first.tls_session;
  tls.certificate = first.certificate;
  tls.certificate_error = first.certificate_error;
  tls.checked_name = first.tls_name;
  tls.name_from_target = first.tls_name_from_target;
  tls.auth_offered = auth_offered(auth);
  tls.now = options.now;
  bool tls_available = options.tls_on_connect || first.features.starttls;
  if (wanted("tls") && tls_available) tls.versions = co_await prober.tls_versions(first.tls_name);
  CheckResult tls_check = tls_section(tls);
  if (!wanted("tls") && tls_available) {
    tls_check.observations.push_back("protocol versions: not probed (tls not in --checks)");
  }
  report.checks.push_back(std::move(tls_check));
  report.checks.push_back(auth_section(auth));
  // A server that demands STARTTLS (530) for a check's commands gets that check again over TLS.
  bool can_upgrade = first.features.starttls && !options.tls_on_connect;
  prober.take_starttls_demand();

  if (wanted("users")) {
    const std::vector<std::string>& names =
        options.users.empty() ? builtin_user_names() : options.users;
    std::string control = impossible_user_name(options.seed);
    std::vector<MethodRun> runs;
    for (EnumerationMethod method :
         {EnumerationMethod::Vrfy, EnumerationMethod::Expn, EnumerationMethod::Rcpt}) {
      std::string domain = options.domain;
      if (method == EnumerationMethod::Rcpt && domain.empty()) domain = first.server_name;
      if (method == EnumerationMethod::Rcpt && domain.empty()) {
        MethodRun run;
        run.method = method;
        run.failure = "no domain for RCPT TO: the server gave no name; give --domain";
        runs.push_back(run);
        continue;
      }
      MethodRun run = co_await prober.enumerate(method, names, domain, control, false);
      if (prober.take_starttls_demand() && can_upgrade) {
        run = co_await prober.enumerate(method, names, domain, control, true);
      }
      runs.push_back(run);
    }
    report.checks.push_back(enumeration_section(runs));
  } else {
    report.checks.push_back(skipped("users", "User enumeration", "not in --checks"));
  }

  if (wanted("relay")) {
    RelayParameters parameters = options.relay;
    if (parameters.ip.empty() && first.peer_address)
      parameters.ip = first.peer_address->to_string();
    if (parameters.ip.empty() && is_address(options.target.host))
      parameters.ip = options.target.host;
    if (parameters.server_name.empty()) {
      parameters.server_name = nmap_server_name(first.greeting.raw, replies.ehlo);
    }
    if (parameters.ip.empty()) {
      RelayRun run;
      run.parameters = parameters;
      run.failure = "the server's address is unknown through a proxy: give --relay-ip";
      report.checks.push_back(relay_section(run));
    } else {
      RelayRun run = co_await prober.relay(parameters, false);
      bool upgraded = false;
      if (prober.take_starttls_demand() && can_upgrade) {
        run = co_await prober.relay(parameters, true);
        upgraded = true;
      }
      CheckResult check = relay_section(run);
      if (upgraded)
        check.observations.insert(check.observations.begin(),
                                  "the server demanded STARTTLS: tested inside TLS");
      report.checks.push_back(std::move(check));
    }
  } else {
    report.checks.push_back(
        skipped("relay", "Open relay (nmap smtp-open-relay's 16 tests)", "not in --checks"));
  }

  std::string smuggling_title = "SMTP smuggling (end-of-data forms)";
  if (!wanted("smuggling")) {
    report.checks.push_back(skipped("smuggling", smuggling_title, "not in --checks"));
  } else if (!options.intrusive || options.rcpt.empty()) {
    report.checks.push_back(smuggling_section(
        {}, "", "it sends test messages: run with --intrusive --rcpt ADDRESS", ""));
  } else {
    std::string from = options.from.empty() ? options.rcpt : options.from;
    std::pair<std::vector<SmugglingRun>, std::string> runs =
        co_await prober.smuggle(from, options.rcpt, false);
    if (prober.take_starttls_demand() && can_upgrade) {
      runs = co_await prober.smuggle(from, options.rcpt, true);
    }
    report.checks.push_back(smuggling_section(runs.first, options.rcpt, "", runs.second));
  }

  if (wanted("http")) {
    std::pair<std::vector<HttpProbeRun>, std::string> runs = co_await prober.http_probes();
    report.checks.push_back(http_section(runs.first, runs.second));
  } else {
    report.checks.push_back(
        skipped("http", "HTTP commands (CONNECT, GET, POST)", "not in --checks"));
  }
  co_return report;
}

AuditReport run_audit_blocking(const AuditOptions& options) {
  asio::io_context io;
  std::optional<AuditReport> report;
  std::exception_ptr failure;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { report.emplace(co_await run_audit(options)); },
      [&](std::exception_ptr error) { failure = error; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*report);
}

}  // namespace tern::audit
