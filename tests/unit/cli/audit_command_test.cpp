// tern audit's options: parsing with CLI11, the checks on them, and the exit status when the
// server cannot be reached.
#include "cli/audit_command.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "../audit/fake_smtp_server.hpp"

namespace tern::cli {
namespace {

AuditCommand parse(std::vector<std::string> arguments) {
  CLI::App app;
  AuditCommand command;
  add_audit_subcommand(app, command);
  arguments.insert(arguments.begin(), "audit");
  std::reverse(arguments.begin(), arguments.end());
  app.parse(arguments);
  return command;
}

TEST(AuditCommandTest, Defaults) {
  AuditCommand command = parse({"mx.example.org"});
  auto options = audit_options(command, "");
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->target.host, "mx.example.org");
  EXPECT_EQ(options->target.port, 25);
  EXPECT_EQ(options->target_text, "mx.example.org:25");
  EXPECT_EQ(options->timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(options->pause, std::chrono::milliseconds(0));
  EXPECT_EQ(options->relay.domain, "nmap.scanme.org");
  EXPECT_EQ(options->relay.from, "antispam");
  EXPECT_EQ(options->relay.to, "relaytest");
  EXPECT_EQ(options->checks.size(), 5u);
  EXPECT_FALSE(options->intrusive);
  EXPECT_FALSE(options->helo_name.empty());
}

TEST(AuditCommandTest, EveryOption) {
  AuditCommand command = parse({"[::1]:2525",
                                "--timeout",
                                "2.5",
                                "--rate",
                                "0.25",
                                "--proxy",
                                "http://127.0.0.1:3128",
                                "--tls-on-connect",
                                "--ehlo",
                                "me.example",
                                "--users",
                                "names.txt",
                                "--domain",
                                "example.test",
                                "--relay-domain",
                                "relay.test",
                                "--relay-from",
                                "a",
                                "--relay-to",
                                "b",
                                "--relay-ip",
                                "192.0.2.1",
                                "--intrusive",
                                "--rcpt",
                                "x@example.test",
                                "--from",
                                "y@example.test",
                                "--checks",
                                "relay,users",
                                "--json",
                                "-v"});
  auto options = audit_options(command, "root\nalice\n");
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->target_text, "[::1]:2525");
  EXPECT_EQ(options->timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(options->pause, std::chrono::milliseconds(250));
  ASSERT_TRUE(options->proxy);
  EXPECT_EQ(options->proxy->port, 3128);
  EXPECT_TRUE(options->tls_on_connect);
  EXPECT_EQ(options->helo_name, "me.example");
  EXPECT_EQ(options->users, (std::vector<std::string>{"root", "alice"}));
  EXPECT_EQ(options->domain, "example.test");
  EXPECT_EQ(options->relay.ip, "192.0.2.1");
  EXPECT_EQ(options->rcpt, "x@example.test");
  EXPECT_EQ(options->from, "y@example.test");
  EXPECT_EQ(options->checks, (std::set<std::string>{"relay", "users"}));
  EXPECT_TRUE(command.json);
  EXPECT_TRUE(command.verbose);
}

TEST(AuditCommandTest, UsageErrors) {
  auto error = [](std::vector<std::string> arguments, std::string users = "root") {
    auto options = audit_options(parse(std::move(arguments)), users);
    return options ? std::string("(accepted)") : options.error().message;
  };
  EXPECT_EQ(error({"mx", "--intrusive"}),
            "--intrusive needs --rcpt ADDRESS (where the test messages go)");
  EXPECT_EQ(error({"mx", "--rcpt", "a@b"}),
            "--rcpt is for --intrusive checks; add --intrusive to send test messages");
  EXPECT_EQ(error({"mx", "--checks", "relay,bogus"}),
            "unknown check \"bogus\" (known: tls, users, relay, smuggling, http)");
  EXPECT_EQ(error({"mx", "--timeout", "0"}),
            "--timeout must be more than 0 and at most 3600 seconds");
  EXPECT_EQ(error({"mx", "--rate", "-1"}), "--rate must be 0 to 3600 seconds");
  EXPECT_EQ(error({"mx:0"}), "bad port \"0\" in \"mx:0\"");
  EXPECT_EQ(error({"mx", "--users", "f"}, "# nothing\n\n"), "f: no user names in it");
  EXPECT_EQ(error({"mx", "--relay-domain", ""}),
            "--relay-domain, --relay-from and --relay-to must not be empty");
}

TEST(AuditCommandTest, UnreachableServerExitsTwo) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  AuditCommand command = parse({"127.0.0.1:" + std::to_string(port), "--timeout", "2"});
  std::ostringstream out;
  std::ostringstream errors;
  EXPECT_EQ(run_audit_command(command, out, errors), 2);
  EXPECT_NE(errors.str().find("tern: could not audit 127.0.0.1:"), std::string::npos)
      << errors.str();
  EXPECT_NE(out.str().find("(exit 2)"), std::string::npos) << out.str();
  command.json = true;
  std::ostringstream json;
  EXPECT_EQ(run_audit_command(command, json, errors), 2);
  EXPECT_NE(json.str().find("\"audited\": false"), std::string::npos) << json.str();
  AuditCommand missing = parse({"127.0.0.1", "--users", "/nonexistent/users"});
  EXPECT_EQ(run_audit_command(missing, out, errors), 2);
}

TEST(AuditCommandTest, JsonSurvivesNamesThatAreNotUtf8) {
  audit::testing::FakeBehaviour refusing;  // VRFY: 550 for everyone, so every name is asked
  refusing.respond = [](const std::string& line, bool) -> std::optional<std::string> {
    if (line.starts_with("VRFY")) return "550 5.1.1 unknown\r\n";
    return std::nullopt;
  };
  audit::testing::FakeSmtpServer server(refusing);
  char path[] = "/tmp/tern-audit-users-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << "caf\xe9\nroot\n";
  AuditCommand command = parse({"127.0.0.1:" + std::to_string(server.port()), "--checks", "users",
                                "--users", path, "--json", "--timeout", "5"});
  std::ostringstream out;
  std::ostringstream errors;
  int status = run_audit_command(command, out, errors);
  std::remove(path);
  EXPECT_EQ(status, 1) << errors.str();  // AUTH rides on the fake's self-signed certificate
  EXPECT_NE(out.str().find("caf\xef\xbf\xbd"), std::string::npos) << out.str().substr(0, 400);
  EXPECT_NE(out.str().find("\"exit_code\": 1"), std::string::npos);
}

}  // namespace
}  // namespace tern::cli
