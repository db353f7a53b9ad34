// ProbeSession against a scripted server on loopback: whole replies, the transcript, STARTTLS in
// place, and the three ways a probe gets no reply (closed, timed out, not sent).
#include "audit/probe_session.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include "fake_smtp_server.hpp"

namespace tern::audit {
namespace {

using namespace std::chrono_literals;
using testing::FakeBehaviour;
using testing::FakeSmtpServer;

// Runs `body` with an open session to `port` on an io_context of its own.
void with_session(std::uint16_t port, std::chrono::milliseconds timeout,
                  std::vector<std::string>* transcript,
                  const std::function<asio::awaitable<void>(ProbeSession&)>& body) {
  asio::io_context io;
  ProbeSettings settings;
  settings.target = {"127.0.0.1", port};
  settings.timeout = timeout;
  if (transcript) {
    settings.transcript = [transcript](std::string_view line) { transcript->emplace_back(line); };
  }
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto session = co_await ProbeSession::open(settings);
        EXPECT_TRUE(session) << (session ? "" : session.error().message);
        if (session) co_await body(**session);
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  io.run();
}

TEST(ProbeSessionTest, ReadsWholeRepliesAndKeepsATranscript) {
  FakeSmtpServer server({});
  std::vector<std::string> transcript;
  with_session(server.port(), 2s, &transcript, [](ProbeSession& session) -> asio::awaitable<void> {
    EXPECT_TRUE(session.peer_address());
    EXPECT_EQ(session.peer_address()->to_string(), "127.0.0.1");
    ProbeReply greeting = co_await session.read_reply();
    EXPECT_EQ(greeting.summary(), "220 fake.example.test ESMTP fake");
    ProbeReply ehlo = co_await session.command("EHLO client.example");
    EXPECT_EQ(ehlo.code(), 250);
    EXPECT_EQ(ehlo.raw,
              "250-fake.example.test\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250 STARTTLS\r\n");
    bool sent = co_await session.send("NOOP\r\n", "(a labelled write)");
    EXPECT_TRUE(sent);
    ProbeReply noop = co_await session.read_reply();
    EXPECT_EQ(noop.code(), 250);
    ProbeReply quit = co_await session.command("QUIT");
    EXPECT_EQ(quit.code(), 221);
    ProbeReply after = co_await session.read_reply();
    EXPECT_EQ(after.kind, ProbeReply::Kind::Closed);
    EXPECT_FALSE(session.alive());
    ProbeReply unsent = co_await session.command("NOOP");
    EXPECT_EQ(unsent.kind, ProbeReply::Kind::NotSent);
  });
  ASSERT_GE(transcript.size(), 9u);
  EXPECT_EQ(transcript[0], "S: 220 fake.example.test ESMTP fake");
  EXPECT_EQ(transcript[1], "C: EHLO client.example");
  EXPECT_EQ(transcript[2], "S: 250-fake.example.test");
  EXPECT_EQ(transcript[6], "C: (a labelled write)");
  EXPECT_EQ(transcript.back(), "-- connection closed by the server");
}

TEST(ProbeSessionTest, StartsTlsInPlace) {
  FakeSmtpServer server({});
  with_session(server.port(), 5s, nullptr, [](ProbeSession& session) -> asio::awaitable<void> {
    ProbeReply greeting = co_await session.read_reply();
    ProbeReply ehlo_plain = co_await session.command("EHLO client.example");
    EXPECT_EQ(greeting.code() + ehlo_plain.code(), 470);
    ProbeReply ready = co_await session.command("STARTTLS");
    EXPECT_EQ(ready.code(), 220);
    auto context = net::make_client_tls_context();
    Status handshake = co_await session.handshake(**context, "fake.example.test");
    EXPECT_TRUE(handshake) << (handshake ? "" : handshake.error().message);
    EXPECT_NE(session.tls_session(), nullptr);
    ProbeReply ehlo = co_await session.command("EHLO client.example");
    EXPECT_NE(ehlo.raw.find("250 AUTH PLAIN"), std::string::npos) << ehlo.raw;
  });
}

TEST(ProbeSessionTest, AServerThatSaysNothingTimesOut) {
  FakeBehaviour silent;
  silent.respond = [](const std::string& line, bool) -> std::optional<std::string> {
    if (line == "NOOP") return std::string();
    return std::nullopt;
  };
  FakeSmtpServer server(silent);
  auto started = std::chrono::steady_clock::now();
  with_session(server.port(), 300ms, nullptr, [](ProbeSession& session) -> asio::awaitable<void> {
    ProbeReply greeting = co_await session.read_reply();
    EXPECT_EQ(greeting.code(), 220);
    ProbeReply reply = co_await session.command("NOOP");
    EXPECT_EQ(reply.kind, ProbeReply::Kind::TimedOut);
    EXPECT_FALSE(session.alive());
  });
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

TEST(ProbeSessionTest, ADroppedConnectionIsClosed) {
  FakeBehaviour dropping;
  dropping.respond = [](const std::string& line, bool) -> std::optional<std::string> {
    if (line.starts_with("GET")) return testing::kClose;
    return std::nullopt;
  };
  FakeSmtpServer server(dropping);
  with_session(server.port(), 2s, nullptr, [](ProbeSession& session) -> asio::awaitable<void> {
    ProbeReply greeting = co_await session.read_reply();
    EXPECT_EQ(greeting.code(), 220);
    ProbeReply reply = co_await session.command("GET / HTTP/1.0");
    EXPECT_EQ(reply.kind, ProbeReply::Kind::Closed);
  });
}

TEST(ProbeSessionTest, ConnectFailureIsAnError) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  ProbeSettings settings;
  settings.target = {"127.0.0.1", port};
  settings.timeout = 2s;
  std::optional<std::string> error;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto session = co_await ProbeSession::open(settings);
        if (!session) error = session.error().message;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("Connection refused"), std::string::npos) << *error;
}

}  // namespace
}  // namespace tern::audit
