// Each probe conversation against a scripted server: what is sent, in which order, on how many
// connections, and what is recorded for the verdicts.
#include "audit/probe_conversations.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <set>

#include "fake_smtp_server.hpp"
#include "net/tls_context.hpp"

namespace tern::audit {
namespace {

using namespace std::chrono_literals;
using testing::FakeBehaviour;
using testing::FakeSmtpServer;

// Runs `body` with a Prober aimed at `port`. The bodies are plain lambdas returning the awaitable:
// g++ 12 cannot compile braced lists or string literals as arguments inside a coroutine lambda.
template <class T>
T with_prober(std::uint16_t port, const std::function<asio::awaitable<T>(Prober&)>& body,
              bool* starttls_demanded = nullptr) {
  asio::io_context io;
  auto context = net::make_client_tls_context();
  EXPECT_TRUE(context);
  ConversationSettings settings;
  settings.probe.target = {"127.0.0.1", port};
  settings.probe.timeout = 5s;
  settings.helo_name = "auditor.example";
  Prober prober(settings, **context);
  std::optional<T> result;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { result.emplace(co_await body(prober)); },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  io.run();
  if (starttls_demanded) *starttls_demanded = prober.take_starttls_demand();
  return std::move(*result);
}

std::vector<std::string> starting_with(const std::vector<std::string>& lines, const char* prefix) {
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    if (line.starts_with(prefix)) out.push_back(line);
  }
  return out;
}

TEST(ProbeConversationsTest, FirstSessionSeesEverythingOnce) {
  FakeSmtpServer server({});
  FirstSession first =
      with_prober<FirstSession>(server.port(), [](Prober& p) { return p.first_session(); });
  EXPECT_TRUE(first.connect_error.empty());
  EXPECT_EQ(first.greeting.code(), 220);
  EXPECT_TRUE(first.features.starttls);
  EXPECT_EQ(first.help.code(), 502);
  EXPECT_TRUE(first.tls_done) << first.tls_error;
  ASSERT_TRUE(first.certificate);
  EXPECT_TRUE(first.certificate->self_signed);
  EXPECT_EQ(first.certificate->dns_names, std::vector<std::string>{"fake.example.test"});
  EXPECT_EQ(first.features_tls.auth_mechanisms, std::vector<std::string>{"PLAIN"});
  EXPECT_EQ(first.server_name, "fake.example.test");
  EXPECT_EQ(first.tls_name, "fake.example.test");  // an address was given: the server's name
  EXPECT_FALSE(first.tls_name_from_target);
  ASSERT_TRUE(first.quit);
  EXPECT_EQ(first.quit->code(), 221);
  EXPECT_EQ(server.lines(), (std::vector<std::string>{"EHLO auditor.example", "HELP", "STARTTLS",
                                                      "EHLO auditor.example", "QUIT"}));
  EXPECT_EQ(server.connections(), 1);
}

TEST(ProbeConversationsTest, OneHandshakePerVersion) {
  FakeSmtpServer server({});
  auto probes = with_prober<std::vector<VersionProbe>>(
      server.port(), [](Prober& p) { return p.tls_versions("fake.example.test"); });
  ASSERT_EQ(probes.size(), 4u);
  EXPECT_EQ(probes[0].version, "TLSv1.0");
  EXPECT_NE(probes[0].result, VersionResult::Accepted);  // refused, or this OpenSSL will not try
  EXPECT_NE(probes[1].result, VersionResult::Accepted);
  EXPECT_EQ(probes[2].result, VersionResult::Accepted) << probes[2].detail;
  EXPECT_TRUE(probes[2].detail.starts_with("TLSv1.2 with cipher")) << probes[2].detail;
  EXPECT_EQ(probes[3].result, VersionResult::Accepted) << probes[3].detail;
  EXPECT_EQ(server.connections(), 4);
}

TEST(ProbeConversationsTest, OldVersionsShowWhenTheServerTakesThem) {
  FakeBehaviour legacy;
  legacy.tls_minimum = TLS1_VERSION;
  FakeSmtpServer server(legacy);
  auto probes = with_prober<std::vector<VersionProbe>>(
      server.port(), [](Prober& p) { return p.tls_versions("fake.example.test"); });
  if (probes[0].result == VersionResult::Untested) {
    GTEST_SKIP() << "this OpenSSL will not offer TLS 1.0: " << probes[0].detail;
  }
  EXPECT_EQ(probes[0].result, VersionResult::Accepted) << probes[0].detail;
  EXPECT_EQ(probes[1].result, VersionResult::Accepted) << probes[1].detail;
}

FakeBehaviour vrfy_knows(std::set<std::string> users, int drop_every = 0) {
  FakeBehaviour behaviour;
  auto count = std::make_shared<int>(0);
  behaviour.respond = [users, drop_every, count](const std::string& line,
                                                 bool) -> std::optional<std::string> {
    if (!line.starts_with("VRFY ")) return std::nullopt;
    if (drop_every > 0 && ++*count % drop_every == 0) return testing::kClose;
    std::string name = line.substr(5);
    if (users.count(name)) return "252 2.0.0 " + name + "\r\n";
    return "550 5.1.1 <" + name + ">: Recipient address rejected\r\n";
  };
  return behaviour;
}

TEST(ProbeConversationsTest, EnumerationAsksTheImpossibleNameFirst) {
  FakeSmtpServer server(vrfy_knows({"root", "alice"}));
  MethodRun run = with_prober<MethodRun>(server.port(), [](Prober& p) {
    return p.enumerate(EnumerationMethod::Vrfy, {"root", "bob", "alice"}, "", "tern-audit-nobody-1",
                       false);
  });
  ASSERT_TRUE(run.control);
  EXPECT_EQ(run.control->reply.code(), 550);
  ASSERT_EQ(run.names.size(), 3u);
  EXPECT_EQ(run.names[0].reply.code(), 252);
  EXPECT_EQ(run.names[1].reply.code(), 550);
  EXPECT_TRUE(run.failure.empty());
  EXPECT_EQ(starting_with(server.lines(), "VRFY"),
            (std::vector<std::string>{"VRFY tern-audit-nobody-1", "VRFY root", "VRFY bob",
                                      "VRFY alice"}));
  EXPECT_EQ(judge_enumeration(run).found, (std::vector<std::string>{"root", "alice"}));
}

TEST(ProbeConversationsTest, EnumerationReconnectsAfterADrop) {
  FakeSmtpServer server(vrfy_knows({"alice"}, 3));  // every third VRFY: connection dropped
  MethodRun run = with_prober<MethodRun>(server.port(), [](Prober& p) {
    return p.enumerate(EnumerationMethod::Vrfy, {"a", "b", "c", "alice"}, "example.org", "nobody",
                       false);
  });
  EXPECT_TRUE(run.failure.empty()) << run.failure;
  ASSERT_EQ(run.names.size(), 4u);
  EXPECT_EQ(run.names[3].address, "alice@example.org");
  EXPECT_EQ(run.names[3].reply.code(), 550);  // "alice@example.org" is not "alice"
  EXPECT_GE(server.connections(), 2);
}

TEST(ProbeConversationsTest, EnumerationStopsWithoutABaseline) {
  FakeSmtpServer server({});  // VRFY: 502 here
  MethodRun run = with_prober<MethodRun>(server.port(), [](Prober& p) {
    return p.enumerate(EnumerationMethod::Vrfy, {"root"}, "", "nobody", false);
  });
  EXPECT_EQ(run.control->reply.code(), 502);
  EXPECT_TRUE(run.names.empty());
  EXPECT_EQ(starting_with(server.lines(), "VRFY").size(), 1u);
}

TEST(ProbeConversationsTest, RcptEnumerationOpensATransaction) {
  FakeSmtpServer server({});
  MethodRun run = with_prober<MethodRun>(server.port(), [](Prober& p) {
    return p.enumerate(EnumerationMethod::Rcpt, {"root"}, "example.org", "nobody", false);
  });
  EXPECT_EQ(starting_with(server.lines(), "MAIL"), std::vector<std::string>{"MAIL FROM:<>"});
  // 250 for the impossible name: no baseline, so no real name is asked about.
  EXPECT_EQ(starting_with(server.lines(), "RCPT"),
            std::vector<std::string>{"RCPT TO:<nobody@example.org>"});
  EXPECT_EQ(judge_enumeration(run).verdict, EnumerationVerdict::Inconclusive);
}

TEST(ProbeConversationsTest, StarttlsDemandsAreNoticed) {
  FakeBehaviour strict;
  strict.respond = [](const std::string& line, bool) -> std::optional<std::string> {
    if (line.starts_with("VRFY")) return "530 5.7.0 Must issue a STARTTLS command first\r\n";
    return std::nullopt;
  };
  FakeSmtpServer server(strict);
  bool demanded = false;
  MethodRun run = with_prober<MethodRun>(
      server.port(),
      [](Prober& p) { return p.enumerate(EnumerationMethod::Vrfy, {"root"}, "", "nobody", false); },
      &demanded);
  EXPECT_TRUE(demanded);
  EXPECT_EQ(judge_enumeration(run).verdict, EnumerationVerdict::Refused);
}

TEST(ProbeConversationsTest, RelaySendsNmapsSequence) {
  FakeSmtpServer server({});  // accepts every MAIL and RCPT
  RelayParameters parameters{"nmap.scanme.org", "antispam", "relaytest", "127.0.0.1",
                             "fake.example.test"};
  RelayRun run =
      with_prober<RelayRun>(server.port(), [&](Prober& p) { return p.relay(parameters, false); });
  ASSERT_EQ(run.tests.size(), 16u);
  for (const RelayTest& test : run.tests) EXPECT_EQ(judge_relay_test(test), RelayOutcome::Relayed);
  std::vector<std::string> lines = server.lines();
  EXPECT_EQ(lines[0], "EHLO nmap.scanme.org");
  EXPECT_EQ(lines[1], "RSET");
  EXPECT_EQ(lines[2], "MAIL FROM:<>");
  EXPECT_EQ(lines[3], "RCPT TO:<relaytest@nmap.scanme.org>");
  EXPECT_EQ(lines[4], "RSET");
  EXPECT_EQ(lines.size(), 1u + 16u * 3u + 1u);  // EHLO, 16 x (RSET MAIL RCPT), QUIT
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& line) { return line == "DATA"; }),
            0);
}

TEST(ProbeConversationsTest, RelayStopsWhenAuthenticationIsRequired) {
  FakeBehaviour closed;
  closed.respond = [](const std::string& line, bool) -> std::optional<std::string> {
    if (line.starts_with("MAIL")) return "530 5.7.0 Authentication required\r\n";
    return std::nullopt;
  };
  FakeSmtpServer server(closed);
  RelayRun run = with_prober<RelayRun>(server.port(), [](Prober& p) {
    return p.relay({"nmap.scanme.org", "antispam", "relaytest", "127.0.0.1", "x"}, false);
  });
  ASSERT_EQ(run.tests.size(), 1u);
  EXPECT_EQ(judge_relay_test(run.tests[0]), RelayOutcome::AuthRequired);
  EXPECT_TRUE(starting_with(server.lines(), "RCPT").empty());
}

TEST(ProbeConversationsTest, SmugglingFindsTheFormsThatEndData) {
  FakeBehaviour vulnerable;
  vulnerable.bare_lf_ends_data = true;  // a line "." ends DATA, whatever ends the line
  FakeSmtpServer server(vulnerable);
  auto [runs, failure] = with_prober<std::pair<std::vector<SmugglingRun>, std::string>>(
      server.port(), [](Prober& p) { return p.smuggle("a@example.org", "b@example.org", false); });
  EXPECT_TRUE(failure.empty()) << failure;
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(judge_smuggling(runs[0]), SmugglingVerdict::Vulnerable);  // \n.\n
  EXPECT_EQ(judge_smuggling(runs[1]), SmugglingVerdict::Vulnerable);  // \n.\r\n
  EXPECT_EQ(judge_smuggling(runs[2]), SmugglingVerdict::Safe);        // \r.\r\n: no LF, one line
  EXPECT_EQ(judge_smuggling(runs[3]), SmugglingVerdict::Vulnerable);  // \r\n.\n
  // The smuggled line was read as a command, never as a second transaction.
  EXPECT_EQ(starting_with(server.lines(), "XTERNAUDIT").size(), 3u);
  EXPECT_EQ(starting_with(server.lines(), "MAIL").size(), 4u);
}

TEST(ProbeConversationsTest, SmugglingAgainstASafeServer) {
  FakeSmtpServer server({});
  auto [runs, failure] = with_prober<std::pair<std::vector<SmugglingRun>, std::string>>(
      server.port(), [](Prober& p) { return p.smuggle("a@example.org", "b@example.org", false); });
  ASSERT_EQ(runs.size(), 4u);
  for (const SmugglingRun& run : runs) EXPECT_EQ(judge_smuggling(run), SmugglingVerdict::Safe);
  EXPECT_EQ(server.messages(), 4);
  EXPECT_TRUE(starting_with(server.lines(), "XTERNAUDIT").empty());
}

TEST(ProbeConversationsTest, HttpProbesOnePerConnection) {
  FakeBehaviour mixed;
  mixed.respond = [](const std::string& line, bool) -> std::optional<std::string> {
    if (line.starts_with("CONNECT")) return testing::kClose;
    if (line.starts_with("POST")) return "HTTP/1.0 400 Bad Request\r\n";
    return std::nullopt;  // GET: 502, and the session goes on
  };
  FakeSmtpServer server(mixed);
  auto [runs, failure] = with_prober<std::pair<std::vector<HttpProbeRun>, std::string>>(
      server.port(), [](Prober& p) { return p.http_probes(); });
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(judge_http_probe(runs[0]), HttpVerdict::Dropped);
  EXPECT_EQ(judge_http_probe(runs[1]), HttpVerdict::KeptSession);
  EXPECT_EQ(judge_http_probe(runs[2]), HttpVerdict::SpokeHttp);
  EXPECT_EQ(server.connections(), 3);
  std::vector<std::string> lines = server.lines();
  EXPECT_EQ(lines[0], "CONNECT 127.0.0.1:" + std::to_string(server.port()) + " HTTP/1.0");
}

TEST(ProbeConversationsTest, PinnedContexts) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto context = pinned_tls_context(version);
    ASSERT_TRUE(context);
    EXPECT_EQ(SSL_CTX_get_min_proto_version((*context)->native_handle()), version);
    EXPECT_EQ(SSL_CTX_get_max_proto_version((*context)->native_handle()), version);
  }
  auto legacy = pinned_tls_context(TLS1_VERSION);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(SSL_CTX_get_security_level((*legacy)->native_handle()), 0);
}

}  // namespace
}  // namespace tern::audit
