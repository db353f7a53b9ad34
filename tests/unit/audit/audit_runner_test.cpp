// The whole audit against scripted servers: every section in order, the exit status, checks
// that are not chosen, STARTTLS demanded for a check, and servers that cannot be audited.
#include "audit/audit_runner.hpp"

#include <gtest/gtest.h>

#include "audit/report.hpp"
#include "fake_smtp_server.hpp"

namespace tern::audit {
namespace {

using namespace std::chrono_literals;
using testing::FakeBehaviour;
using testing::FakeSmtpServer;

AuditOptions options_for(std::uint16_t port) {
  AuditOptions options;
  options.target = {"127.0.0.1", port};
  options.target_text = "127.0.0.1:" + std::to_string(port);
  options.timeout = 5s;
  options.helo_name = "auditor.example";
  options.checks = {"tls", "users", "relay", "smuggling", "http"};
  options.users = {"root", "alice"};
  options.now = 1'750'000'000;
  return options;
}

const CheckResult& section(const AuditReport& report, const std::string& id) {
  for (const CheckResult& check : report.checks) {
    if (check.id == id) return check;
  }
  throw std::runtime_error("no section " + id);
}

TEST(AuditRunnerTest, AuditsAPermissiveServer) {
  // The fake accepts every RCPT (an open relay), keeps talking after GET, offers AUTH PLAIN
  // inside TLS with a self-signed certificate.
  FakeSmtpServer server({});
  AuditReport report = run_audit_blocking(options_for(server.port()));
  ASSERT_TRUE(report.audited) << report.failure;
  std::vector<std::string> ids;
  for (const CheckResult& check : report.checks) ids.push_back(check.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"banner", "capabilities", "tls", "auth", "users",
                                           "relay", "smuggling", "http"}));
  EXPECT_EQ(section(report, "relay").details["relayed"], 16);
  EXPECT_EQ(section(report, "smuggling").status, CheckStatus::Skipped);
  EXPECT_EQ(section(report, "users").details["methods"][2]["verdict"], "inconclusive");
  // AUTH rides on a self-signed certificate: medium.
  const CheckResult& tls = section(report, "tls");
  ASSERT_FALSE(tls.findings.empty());
  EXPECT_EQ(tls.findings[0].severity, Severity::Medium);
  EXPECT_EQ(exit_code(report), 1);
  EXPECT_NE(render_text(report).find("[HIGH] open relay: RCPT accepted for 16/16 forms"),
            std::string::npos);
}

TEST(AuditRunnerTest, ChecksNotChosenAreSkipped) {
  FakeSmtpServer server({});
  AuditOptions options = options_for(server.port());
  options.checks = {};
  AuditReport report = run_audit_blocking(options);
  for (const char* id : {"users", "relay", "smuggling", "http"}) {
    EXPECT_EQ(section(report, id).status, CheckStatus::Skipped) << id;
  }
  EXPECT_EQ(section(report, "tls").details["versions"], nlohmann::ordered_json::object());
  EXPECT_EQ(server.connections(), 1);  // the first session alone
}

TEST(AuditRunnerTest, RatePausesBetweenProbes) {
  FakeSmtpServer server({});
  AuditOptions options = options_for(server.port());
  options.checks = {};
  options.pause = 100ms;
  auto started = std::chrono::steady_clock::now();
  AuditReport report = run_audit_blocking(options);
  // The first session: EHLO, HELP, STARTTLS and QUIT each come after a pause.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 400ms);
  EXPECT_TRUE(report.audited);
}

TEST(AuditRunnerTest, RerunsAChecksOverStarttlsWhenDemanded) {
  FakeBehaviour strict;
  strict.respond = [](const std::string& line, bool tls) -> std::optional<std::string> {
    if (!line.starts_with("VRFY")) return std::nullopt;
    if (!tls) return "530 5.7.0 Must issue a STARTTLS command first\r\n";
    return "502 5.5.1 VRFY command is disabled\r\n";
  };
  FakeSmtpServer server(strict);
  AuditOptions options = options_for(server.port());
  options.checks = {"users"};
  AuditReport report = run_audit_blocking(options);
  EXPECT_EQ(section(report, "users").details["methods"][0]["verdict"], "disabled");
}

TEST(AuditRunnerTest, IntrusiveSmuggling) {
  FakeBehaviour vulnerable;
  vulnerable.bare_lf_ends_data = true;
  FakeSmtpServer server(vulnerable);
  AuditOptions options = options_for(server.port());
  options.checks = {"smuggling"};
  options.intrusive = true;
  options.rcpt = "b@example.org";
  AuditReport report = run_audit_blocking(options);
  const CheckResult& smuggling = section(report, "smuggling");
  ASSERT_EQ(smuggling.findings.size(), 1u);
  EXPECT_EQ(smuggling.findings[0].title,
            "SMTP smuggling: \\n.\\n, \\n.\\r\\n, \\r\\n.\\n ends DATA");
}

TEST(AuditRunnerTest, CannotAuditWhatDoesNotGreet) {
  FakeBehaviour refusing;
  refusing.greeting = "554 5.3.2 no SMTP service here\r\n";
  FakeSmtpServer server(refusing);
  AuditReport report = run_audit_blocking(options_for(server.port()));
  EXPECT_FALSE(report.audited);
  EXPECT_EQ(exit_code(report), 2);
  EXPECT_EQ(report.failure, "no SMTP greeting: 554 5.3.2 no SMTP service here");
  ASSERT_EQ(report.checks.size(), 1u);  // the banner, for the record

  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  AuditReport nobody = run_audit_blocking(options_for(port));
  EXPECT_FALSE(nobody.audited);
  EXPECT_NE(nobody.failure.find("Connection refused"), std::string::npos) << nobody.failure;
}

}  // namespace
}  // namespace tern::audit
