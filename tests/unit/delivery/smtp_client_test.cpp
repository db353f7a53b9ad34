// The SMTP client against real sockets on 127.0.0.1: tiny servers scripted in the test with Asio
// (each a coroutine that says and expects exactly what a test needs, TLS with a self-signed
// certificate included) and one real server, Python's aiosmtpd. Checks what reaches the wire
// (pipelined batches, SNI, dot-stuffing undone by the server's own decoder to the original bytes)
// and what the client reports (outcomes, next-MX, plain-text retry, timeouts, connect errors).
#include "delivery/smtp_client.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include "auth/sasl_client.hpp"
#include "net/self_signed.hpp"
#include "net/smtp_stream.hpp"
#include "net/tls_context.hpp"
#include "smtp/data_decoder.hpp"

extern char** environ;

namespace tern::delivery {
namespace {

using namespace std::chrono_literals;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// The server end of one connection, for scripts.
struct Peer {
  net::SmtpStream stream;
  std::shared_ptr<asio::ssl::context> tls;
  std::string input;

  asio::awaitable<void> send(std::string_view text) {
    co_await stream.write_all(asio::buffer(text.data(), text.size()));
  }
  // One line without its CRLF; "<EOF>" when the client has gone.
  asio::awaitable<std::string> line() {
    while (true) {
      std::size_t end = input.find("\r\n");
      if (end != std::string::npos) {
        std::string line = input.substr(0, end);
        input.erase(0, end + 2);
        co_return line;
      }
      if (!co_await fill()) co_return "<EOF>";
    }
  }
  // The message after "354", un-stuffed by the server's own decoder; "<EOF>" when the client went
  // away before the end of data.
  asio::awaitable<std::string> data() {
    smtp::DataDecoder decoder(smtp::BareNewlinePolicy::Normalize, UINT64_MAX);
    std::string message;
    while (true) {
      std::size_t used = decoder.feed(input, message);
      input.erase(0, used);
      if (decoder.finished()) co_return message;
      if (!co_await fill()) co_return "<EOF>";
    }
  }
  asio::awaitable<bool> fill() {
    char buffer[16384];
    auto [error, count] = co_await stream.read_some(asio::buffer(buffer));
    if (error || count == 0) co_return false;
    input.append(buffer, count);
    co_return true;
  }
  asio::awaitable<bool> start_tls() {
    input.clear();
    co_return !co_await stream.start_tls(*tls);
  }
};

// Reads EHLO, answers it with `extensions` (separated by '|': one string rather than a braced
// list, whose array g++ 12 cannot keep alive across a co_await) and returns the EHLO line.
asio::awaitable<std::string> ehlo(Peer& peer, std::string_view extensions) {
  std::string line = co_await peer.line();
  std::string reply = "250-mx.example.test\r\n";
  while (!extensions.empty()) {
    std::size_t bar = extensions.find('|');
    reply += fmt::format("250-{}\r\n", extensions.substr(0, bar));
    extensions.remove_prefix(bar == std::string_view::npos ? extensions.size() : bar + 1);
  }
  reply += "250 ENHANCEDSTATUSCODES\r\n";
  co_await peer.send(reply);
  co_return line;
}

// The greeting, then ehlo().
asio::awaitable<std::string> greet(Peer& peer, std::string_view extensions) {
  co_await peer.send("220 mx.example.test ESMTP scripted\r\n");
  co_return co_await ehlo(peer, extensions);
}

// Accepts `connections` connections one after the other and runs the script on each. A guard
// stops everything after 30 s, so a broken test fails instead of hanging.
class ScriptedServer {
 public:
  using Script = std::function<asio::awaitable<void>(Peer&, int)>;

  explicit ScriptedServer(Script script, int connections = 1,
                          std::shared_ptr<asio::ssl::context> tls = nullptr)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        guard_(io_),
        script_(std::move(script)),
        tls_(std::move(tls)) {
    guard_.expires_after(30s);
    guard_.async_wait([this](asio::error_code error) {
      if (!error) io_.stop();
    });
    asio::co_spawn(io_, serve(connections), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedServer() { join(); }

  void join() {
    if (thread_.joinable()) thread_.join();
  }
  SmtpServerAddress address(std::string host = "mail.example.test") const {
    return SmtpServerAddress{host, asio::ip::make_address("127.0.0.1"),
                             acceptor_.local_endpoint().port()};
  }

 private:
  asio::awaitable<void> serve(int connections) {
    for (int i = 0; i < connections; ++i) {
      auto [error, socket] = co_await acceptor_.async_accept(use_tuple);
      if (error) break;
      Peer peer{net::SmtpStream(std::move(socket)), tls_, {}};
      co_await script_(peer, i);
      peer.stream.close();
    }
    guard_.cancel();
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer guard_;
  Script script_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::thread thread_;
};

// A spool file: an envelope-like prefix, then the message at `offset`.
class SpoolFile {
 public:
  explicit SpoolFile(const std::string& message, const std::string& prefix = "ENVELOPE 42\n") {
    char pattern[] = "/tmp/tern-smtp-client-XXXXXX";
    fd_ = ::mkstemp(pattern);
    path_ = pattern;
    std::string all = prefix + message;
    EXPECT_EQ(::write(fd_, all.data(), all.size()), static_cast<ssize_t>(all.size()));
    data_ = MessageData{fd_, prefix.size(), message.size()};
  }
  ~SpoolFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  const MessageData& data() const { return data_; }

 private:
  int fd_ = -1;
  std::string path_;
  MessageData data_;
};

smtp::OutboundMessage message_for(std::vector<std::string> recipients, std::uint64_t size) {
  smtp::OutboundMessage message;
  message.sender = "alice@example.test";
  for (std::string& address : recipients) message.recipients.push_back({std::move(address)});
  message.size = size;
  return message;
}

SmtpClientOptions test_options() {
  SmtpClientOptions options;
  options.helo_name = "client.example.test";
  options.tls_policy = smtp::TlsPolicy::May;
  options.keep_transcript = true;
  // Scripted servers answer at once: a broken test then fails in seconds, not in Postfix's minutes.
  options.timeouts.helo = options.timeouts.mail = options.timeouts.rcpt = 5s;
  options.timeouts.data_init = options.timeouts.data_done = options.timeouts.quit = 5s;
  return options;
}

// Dots where dot-stuffing matters: a lone "." line, lines that start with dots, CRLF "." CRLF
// inside the text, 8-bit octets, and a line start exactly at the client's 64 KiB read boundary.
std::string tricky_message() {
  std::string message =
      "From: Alice <alice@example.test>\r\nSubject: dots\r\n\r\n"
      ".\r\n..\r\n...x\r\nline with . inside\r\n.\r\n\r\n.\r\n\xC3\xA9t\xC3\xA9\r\n";
  const std::string line = "0123456789abcdef0123456789abcdef0123456789\r\n";
  while (message.size() + line.size() + 3 <= 65534) message += line;
  // The client reads 64 KiB at a time from the message's start: this CRLF ends the first read,
  // so the next read starts with a line that starts with a dot.
  message += std::string(65534 - message.size() - 2, 'y') + "\r\n";
  message += ".boundary\r\n";
  for (int i = 0; i < 3000; ++i) message += ".dot line " + std::to_string(i) + "\r\n";
  return message + "end\r\n";
}

TEST(SmtpClientTest, PipelinedDeliveryKeepsTheMessageByteExact) {
  std::string message = tricky_message();
  SpoolFile spool(message);
  std::vector<std::string> commands;
  std::string received;
  std::string raw_tail;
  ScriptedServer server([&](Peer& peer, int) -> asio::awaitable<void> {
    commands.push_back(co_await greet(peer, "PIPELINING|SIZE 10240000|8BITMIME"));
    // All four commands arrive before any reply: a client waiting for the MAIL reply would hang.
    for (int i = 0; i < 4; ++i) commands.push_back(co_await peer.line());
    co_await peer.send(
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <nobody@example.org>: User unknown\r\n"
        "354 End data with <CR><LF>.<CR><LF>\r\n");
    received = co_await peer.data();
    co_await peer.send("250 2.0.0 Ok: queued as 4A1B2C\r\n");
    commands.push_back(co_await peer.line());
    co_await peer.send("221 2.0.0 Bye\r\n");
  });
  smtp::OutboundMessage outbound =
      message_for({"bob@example.org", "nobody@example.org"}, message.size());
  SmtpDelivery delivery =
      deliver_to_servers_blocking({server.address()}, outbound, spool.data(), test_options());
  server.join();

  EXPECT_EQ(commands,
            (std::vector<std::string>{
                "EHLO client.example.test",
                fmt::format("MAIL FROM:<alice@example.test> SIZE={}", message.size()),
                "RCPT TO:<bob@example.org>", "RCPT TO:<nobody@example.org>", "DATA", "QUIT"}));
  EXPECT_TRUE(received == message)
      << "received " << received.size() << " octets, sent " << message.size();
  ASSERT_EQ(delivery.recipients.size(), 2u);
  EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Delivered);
  EXPECT_EQ(delivery.recipients[0].text, "250 2.0.0 Ok: queued as 4A1B2C");
  EXPECT_EQ(delivery.recipients[0].relay, server.address().relay());
  EXPECT_EQ(delivery.recipients[1].disposition, smtp::Disposition::Bounced);
  EXPECT_EQ(delivery.recipients[1].text,
            fmt::format("host mail.example.test[127.0.0.1] said: 550 5.1.1 <nobody@example.org>: "
                        "User unknown (in reply to RCPT TO command)"));
  ASSERT_EQ(delivery.attempts.size(), 1u);
  EXPECT_TRUE(delivery.attempts[0].tls.empty());
  EXPECT_EQ(delivery.attempts[0].transcript.front(), "S: 220 mx.example.test ESMTP scripted");
  EXPECT_EQ(delivery.attempts[0].transcript.back(), "S: 221 2.0.0 Bye");
}

TEST(SmtpClientTest, MessageWithoutFinalLineEndGetsOne) {
  std::string message = "Subject: x\r\n\r\nno newline at the end";
  SpoolFile spool(message);
  std::string received;
  ScriptedServer server([&](Peer& peer, int) -> asio::awaitable<void> {
    co_await greet(peer, "");
    const char* const replies[] = {"250 ok\r\n", "250 ok\r\n", "354 go\r\n"};
    for (const char* reply : replies) {
      co_await peer.line();
      co_await peer.send(reply);
    }
    received = co_await peer.data();
    co_await peer.send("250 ok\r\n");
    co_await peer.line();
    co_await peer.send("221 bye\r\n");
  });
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {server.address()}, message_for({"bob@example.org"}, message.size()), spool.data(),
      test_options());
  server.join();
  EXPECT_EQ(received, message + "\r\n");
  EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Delivered);
}

class SmtpClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-smtp-client-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    auto files = net::ensure_self_signed_certificate(root_, "mail.example.test");
    ASSERT_TRUE(files) << files.error().message;
    certificate_ = files->certificate;
    net::TlsServerSettings settings;
    settings.certificate_file = files->certificate;
    settings.key_file = files->key;
    auto context = net::make_server_tls_context(settings);
    ASSERT_TRUE(context) << context.error().message;
    server_tls_ = *context;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // STARTTLS, then a one-recipient delivery; records the SNI and the second EHLO.
  ScriptedServer::Script tls_session() {
    return [this](Peer& peer, int) -> asio::awaitable<void> {
      co_await greet(peer, "STARTTLS|PIPELINING");
      if (co_await peer.line() != "STARTTLS") co_return;
      co_await peer.send("220 2.0.0 Ready to start TLS\r\n");
      if (!co_await peer.start_tls()) co_return;
      const char* name = SSL_get_servername(peer.stream.tls_session(), TLSEXT_NAMETYPE_host_name);
      sni_ = name ? name : "(none)";
      second_ehlo_ = co_await ehlo(peer, "PIPELINING");
      for (int i = 0; i < 3; ++i) co_await peer.line();
      co_await peer.send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n");
      received_ = co_await peer.data();
      co_await peer.send("250 2.0.0 Ok: queued as TLS1\r\n");
      co_await peer.line();
      co_await peer.send("221 2.0.0 Bye\r\n");
    };
  }

  std::string root_;
  std::string certificate_;
  std::shared_ptr<asio::ssl::context> server_tls_;
  std::string sni_;
  std::string second_ehlo_;
  std::string received_;
};

TEST_F(SmtpClientTlsTest, OpportunisticStartTls) {
  std::string message = "Subject: secret\r\n\r\n.hidden\r\n";
  SpoolFile spool(message);
  ScriptedServer server(tls_session(), 1, server_tls_);
  SmtpClientOptions options = test_options();
  auto context = net::make_client_tls_context();
  ASSERT_TRUE(context) << context.error().message;
  options.tls_context = *context;
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {server.address()}, message_for({"bob@example.org"}, message.size()), spool.data(), options);
  server.join();
  EXPECT_EQ(sni_, "mail.example.test");
  EXPECT_EQ(second_ehlo_, "EHLO client.example.test");
  EXPECT_EQ(received_, message);
  EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Delivered);
  const SmtpAttempt& attempt = delivery.attempts.at(0);
  EXPECT_EQ(attempt.tls.rfind("TLSv1.3 with cipher ", 0), 0u) << attempt.tls;
  EXPECT_FALSE(attempt.tls_verified);  // self-signed, not in the system store
}

TEST_F(SmtpClientTlsTest, VerifiedTlsWithTheRightCertificateAuthority) {
  std::string message = "Subject: verified\r\n\r\nbody\r\n";
  SpoolFile spool(message);
  ScriptedServer server(tls_session(), 1, server_tls_);
  SmtpClientOptions options = test_options();
  options.tls_policy = smtp::TlsPolicy::Verify;
  net::TlsClientSettings settings;
  settings.ca_file = certificate_;
  options.tls_context = *net::make_client_tls_context(settings);
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {server.address()}, message_for({"bob@example.org"}, message.size()), spool.data(), options);
  server.join();
  EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Delivered);
  EXPECT_TRUE(delivery.attempts.at(0).tls_verified);
}

TEST_F(SmtpClientTlsTest, VerifyRefusesACertificateForAnotherName) {
  std::string message = "Subject: x\r\n\r\nbody\r\n";
  SpoolFile spool(message);
  ScriptedServer server(tls_session(), 1, server_tls_);
  SmtpClientOptions options = test_options();
  options.tls_policy = smtp::TlsPolicy::Verify;
  net::TlsClientSettings settings;
  settings.ca_file = certificate_;
  options.tls_context = *net::make_client_tls_context(settings);
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {server.address("other.example.test")}, message_for({"bob@example.org"}, message.size()),
      spool.data(), options);
  server.join();
  const smtp::RecipientOutcome& outcome = delivery.recipients[0];
  EXPECT_EQ(outcome.disposition, smtp::Disposition::Deferred);
  EXPECT_EQ(outcome.status, "4.7.5");
  EXPECT_NE(outcome.text.find("Cannot start TLS: handshake failure with "
                              "other.example.test[127.0.0.1]: certificate verify failed"),
            std::string::npos)
      << outcome.text;
  EXPECT_EQ(delivery.attempts.size(), 1u);  // no plain-text retry when TLS is required
  EXPECT_TRUE(received_.empty());
}

TEST_F(SmtpClientTlsTest, FailedOpportunisticHandshakeIsRetriedInPlainText) {
  std::string message = "Subject: x\r\n\r\nbody\r\n";
  SpoolFile spool(message);
  std::string plain_received;
  ScriptedServer server(
      [&](Peer& peer, int connection) -> asio::awaitable<void> {
        if (connection == 0) {
          co_await greet(peer, "STARTTLS");
          co_await peer.line();
          co_await peer.send("220 2.0.0 Ready to start TLS\r\n");
          co_await peer.send("this is not a TLS server hello\r\n");
          co_await peer.line();
          co_return;
        }
        co_await greet(peer, "STARTTLS|PIPELINING");
        for (int i = 0; i < 3; ++i) co_await peer.line();
        co_await peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        plain_received = co_await peer.data();
        co_await peer.send("250 2.0.0 Ok: queued as PLAIN\r\n");
        co_await peer.line();
        co_await peer.send("221 bye\r\n");
      },
      2);
  SmtpClientOptions options = test_options();
  options.tls_context = *net::make_client_tls_context();
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {server.address()}, message_for({"bob@example.org"}, message.size()), spool.data(), options);
  server.join();
  ASSERT_EQ(delivery.attempts.size(), 2u);
  EXPECT_TRUE(delivery.attempts[0].retry_without_tls);
  EXPECT_EQ(delivery.attempts[0].recipients[0].status, "4.7.5");
  EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Delivered);
  EXPECT_EQ(delivery.recipients[0].text, "250 2.0.0 Ok: queued as PLAIN");
  EXPECT_EQ(plain_received, message);
}

// deliver_over_connection on a socket the test connects itself, as tern send does with
// net::connect_tcp.
SmtpAttempt deliver_over_own_connection(const SmtpServerAddress& server,
                                        const smtp::OutboundMessage& message,
                                        const MessageData& data, const SmtpClientOptions& options) {
  asio::io_context io;
  std::optional<SmtpAttempt> attempt;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
        co_await socket.async_connect({server.address, server.port}, asio::use_awaitable);
        attempt =
            co_await deliver_over_connection(std::move(socket), server, message, data, options);
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(attempt.has_value());
  return attempt.value_or(SmtpAttempt{});
}

TEST_F(SmtpClientTlsTest, TlsFromTheFirstByteOverTheCallersConnection) {
  std::string message = "Subject: implicit\r\n\r\n.dot\r\n";
  SpoolFile spool(message);
  std::string sni, received;
  std::vector<std::string> commands;
  ScriptedServer server(
      [&](Peer& peer, int) -> asio::awaitable<void> {
        if (!co_await peer.start_tls()) co_return;  // TLS before the greeting (RFC 8314)
        const char* name = SSL_get_servername(peer.stream.tls_session(), TLSEXT_NAMETYPE_host_name);
        sni = name ? name : "(none)";
        commands.push_back(co_await greet(peer, "STARTTLS|AUTH PLAIN"));
        commands.push_back(co_await peer.line());
        co_await peer.send("235 2.7.0 Authentication successful\r\n");
        for (int i = 0; i < 3; ++i) {
          commands.push_back(co_await peer.line());
          co_await peer.send(i < 2 ? "250 ok\r\n" : "354 go\r\n");
        }
        received = co_await peer.data();
        co_await peer.send("250 2.0.0 Ok: queued as IMPLICIT\r\n");
        co_await peer.line();
        co_await peer.send("221 2.0.0 Bye\r\n");
      },
      1, server_tls_);
  SmtpClientOptions options = test_options();
  options.tls_on_connect = true;
  options.tls_policy = smtp::TlsPolicy::Verify;
  net::TlsClientSettings settings;
  settings.ca_file = certificate_;
  options.tls_context = *net::make_client_tls_context(settings);
  smtp::ClientCredentials credentials;
  credentials.plain = [] { return auth::plain_initial_response("", "alice", "secret"); };
  options.credentials = credentials;
  options.auth_required = true;
  SmtpAttempt attempt = deliver_over_own_connection(
      server.address(), message_for({"bob@example.org"}, message.size()), spool.data(), options);
  server.join();
  EXPECT_EQ(sni, "mail.example.test");
  EXPECT_EQ(commands, (std::vector<std::string>{
                          "EHLO client.example.test", "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
                          "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.org>", "DATA"}));
  EXPECT_EQ(received, message);
  EXPECT_TRUE(attempt.connected);
  EXPECT_TRUE(attempt.authenticated);
  EXPECT_TRUE(attempt.tls_verified);
  EXPECT_EQ(attempt.tls.rfind("TLSv1.3 with cipher ", 0), 0u) << attempt.tls;
  EXPECT_EQ(attempt.transcript.front().rfind("-- TLSv1.3", 0), 0u);
  EXPECT_EQ(attempt.recipients.at(0).disposition, smtp::Disposition::Delivered);
}

TEST(SmtpClientTest, TlsOnConnectToAPlainServerFailsAtTls) {
  SpoolFile spool("Subject: x\r\n\r\nx\r\n");
  ScriptedServer server([&](Peer& peer, int) -> asio::awaitable<void> {
    co_await peer.send("220 plain.example.test ESMTP\r\n");
    co_await peer.line();  // the ClientHello is no line: wait until the client gives up
  });
  SmtpClientOptions options = test_options();
  options.tls_on_connect = true;
  options.tls_policy = smtp::TlsPolicy::Encrypt;
  options.tls_context = *net::make_client_tls_context();
  SmtpAttempt attempt = deliver_over_own_connection(
      server.address(), message_for({"bob@example.org"}, 10), spool.data(), options);
  server.join();
  EXPECT_TRUE(attempt.connected);
  EXPECT_TRUE(attempt.tls.empty());
  const smtp::RecipientOutcome& outcome = attempt.recipients.at(0);
  EXPECT_EQ(outcome.status, "4.7.5");
  EXPECT_EQ(outcome.stage, smtp::ClientStage::StartTls);
  EXPECT_EQ(outcome.text.rfind("Cannot start TLS: handshake failure with mail.example.test", 0), 0u)
      << outcome.text;
}

TEST(SmtpClientTest, QuitAfterAndTheReplyObserverOverTheCallersConnection) {
  SpoolFile spool("Subject: x\r\n\r\nx\r\n");
  std::vector<std::string> commands;
  ScriptedServer server([&](Peer& peer, int) -> asio::awaitable<void> {
    commands.push_back(co_await greet(peer, "PIPELINING"));
    commands.push_back(co_await peer.line());
    commands.push_back(co_await peer.line());
    co_await peer.send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
    commands.push_back(co_await peer.line());
    co_await peer.send("221 2.0.0 Bye\r\n");
  });
  SmtpClientOptions options = test_options();
  options.pipelining = true;
  options.quit_after = smtp::ClientCheckpoint::Rcpt;
  std::vector<std::string> replies;
  options.reply_observer = [&](smtp::ClientStage stage, std::size_t, std::string_view raw) {
    replies.push_back(fmt::format("{} {}", smtp::command_name(stage), raw.substr(0, 3)));
  };
  SmtpAttempt attempt = deliver_over_own_connection(
      server.address(), message_for({"bob@example.org"}, 10), spool.data(), options);
  server.join();
  EXPECT_EQ(commands,
            (std::vector<std::string>{"EHLO client.example.test", "MAIL FROM:<alice@example.test>",
                                      "RCPT TO:<bob@example.org>", "QUIT"}));
  EXPECT_TRUE(attempt.quit_as_asked);
  EXPECT_EQ(replies, (std::vector<std::string>{"CONNECT 220", "EHLO 250", "MAIL FROM 250",
                                               "RCPT TO 250", "QUIT 221"}));
}

TEST(SmtpClientTest, TransientGreetingMovesOnToTheNextMx) {
  std::string message = "Subject: x\r\n\r\nbody\r\n";
  SpoolFile spool(message);
  ScriptedServer busy([](Peer& peer, int) -> asio::awaitable<void> {
    co_await peer.send("450 4.3.2 mx1.example.test busy, try later\r\n");
    if (co_await peer.line() == "QUIT") co_await peer.send("221 bye\r\n");
  });
  ScriptedServer backup([](Peer& peer, int) -> asio::awaitable<void> {
    co_await greet(peer, "PIPELINING");
    for (int i = 0; i < 3; ++i) co_await peer.line();
    co_await peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    co_await peer.data();
    co_await peer.send("250 2.0.0 Ok: queued as BACKUP\r\n");
    co_await peer.line();
    co_await peer.send("221 bye\r\n");
  });
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {busy.address("mx1.example.test"), backup.address("mx2.example.test")},
      message_for({"bob@example.org"}, message.size()), spool.data(), test_options());
  busy.join();
  backup.join();
  ASSERT_EQ(delivery.attempts.size(), 2u);
  EXPECT_EQ(delivery.attempts[0].recipients[0].text,
            "host mx1.example.test[127.0.0.1] refused to talk to me: 450 4.3.2 mx1.example.test "
            "busy, try later");
  EXPECT_FALSE(delivery.attempts[0].established);
  EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Delivered);
  EXPECT_EQ(delivery.recipients[0].relay, backup.address("mx2.example.test").relay());
}

TEST(SmtpClientTest, BouncedRecipientsAreNotTriedAtTheNextMx) {
  std::string message = "Subject: x\r\n\r\nbody\r\n";
  SpoolFile spool(message);
  std::vector<std::string> second;
  ScriptedServer first([](Peer& peer, int) -> asio::awaitable<void> {
    co_await greet(peer, "PIPELINING");
    for (int i = 0; i < 4; ++i) co_await peer.line();
    co_await peer.send("250 ok\r\n550 5.1.1 unknown\r\n451 4.3.0 later\r\n554 5.5.1 no\r\n");
    co_await peer.line();
    co_await peer.send("221 bye\r\n");
  });
  ScriptedServer next([&](Peer& peer, int) -> asio::awaitable<void> {
    co_await greet(peer, "PIPELINING");
    for (int i = 0; i < 3; ++i) second.push_back(co_await peer.line());
    co_await peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    co_await peer.data();
    co_await peer.send("250 ok\r\n");
    co_await peer.line();
    co_await peer.send("221 bye\r\n");
  });
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {first.address(), next.address()},
      message_for({"gone@example.org", "later@example.org"}, message.size()), spool.data(),
      test_options());
  first.join();
  next.join();
  EXPECT_EQ(second, (std::vector<std::string>{"MAIL FROM:<alice@example.test>",
                                              "RCPT TO:<later@example.org>", "DATA"}));
  EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Bounced);
  EXPECT_EQ(delivery.recipients[1].disposition, smtp::Disposition::Delivered);
}

TEST(SmtpClientTest, SilentServerTimesOut) {
  SpoolFile spool("Subject: x\r\n\r\nbody\r\n");
  ScriptedServer server([](Peer& peer, int) -> asio::awaitable<void> {
    co_await peer.send("220 mx.example.test ESMTP\r\n");
    co_await peer.line();  // EHLO, never answered
    co_await peer.line();  // until the client gives up and closes
  });
  SmtpClientOptions options = test_options();
  options.timeouts.helo = 300ms;
  auto started = std::chrono::steady_clock::now();
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {server.address()}, message_for({"bob@example.org"}, 20), spool.data(), options);
  auto elapsed = std::chrono::steady_clock::now() - started;
  server.join();
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Deferred);
  EXPECT_EQ(delivery.recipients[0].status, "4.4.2");
  EXPECT_EQ(delivery.recipients[0].text,
            "conversation with mail.example.test[127.0.0.1] timed out while performing the EHLO "
            "handshake");
}

TEST(SmtpClientTest, NoReplyAfterTheDotTimesOut) {
  std::string message = "Subject: x\r\n\r\nbody\r\n";
  SpoolFile spool(message);
  ScriptedServer server([](Peer& peer, int) -> asio::awaitable<void> {
    co_await greet(peer, "PIPELINING");
    for (int i = 0; i < 3; ++i) co_await peer.line();
    co_await peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    co_await peer.data();
    co_await peer.line();  // no reply to the dot
  });
  SmtpClientOptions options = test_options();
  options.timeouts.data_done = 300ms;
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {server.address()}, message_for({"bob@example.org"}, message.size()), spool.data(), options);
  server.join();
  EXPECT_EQ(delivery.recipients[0].text,
            "conversation with mail.example.test[127.0.0.1] timed out while sending end of data "
            "-- message may be sent more than once");
}

TEST(SmtpClientTest, ConnectionRefused) {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::uint16_t port = probe.local_endpoint().port();
  probe.close();
  SpoolFile spool("x\r\n");
  SmtpServerAddress address{"", asio::ip::make_address("127.0.0.1"), port};
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {address}, message_for({"bob@example.org"}, 3), spool.data(), test_options());
  const smtp::RecipientOutcome& outcome = delivery.recipients[0];
  EXPECT_EQ(outcome.disposition, smtp::Disposition::Deferred);
  EXPECT_EQ(outcome.status, "4.4.1");
  EXPECT_EQ(outcome.text,
            fmt::format("connect to 127.0.0.1[127.0.0.1]:{}: Connection refused", port));
  EXPECT_EQ(outcome.relay, "none");
  EXPECT_FALSE(delivery.attempts.at(0).connected);
}

TEST(SmtpClientTest, ShortSpoolFileNeverSendsTheDot) {
  std::string message = "Subject: x\r\n\r\nbody\r\n";
  SpoolFile spool(message);
  MessageData data = spool.data();
  data.length += 100;  // the envelope claims more than the file holds
  std::string received;
  ScriptedServer server([&](Peer& peer, int) -> asio::awaitable<void> {
    co_await greet(peer, "PIPELINING");
    for (int i = 0; i < 3; ++i) co_await peer.line();
    co_await peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    received = co_await peer.data();
  });
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {server.address()}, message_for({"bob@example.org"}, data.length), data, test_options());
  server.join();
  EXPECT_EQ(received, "<EOF>");
  EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Deferred);
  EXPECT_EQ(delivery.recipients[0].text, "error reading queue file: unexpected end of file");
}

TEST(SmtpClientTest, CredentialsStayOutOfTheTranscript) {
  SpoolFile spool("x\r\n");
  std::string auth_line;
  ScriptedServer server([&](Peer& peer, int) -> asio::awaitable<void> {
    co_await greet(peer, "AUTH PLAIN");
    auth_line = co_await peer.line();
    co_await peer.send("235 2.7.0 Authentication successful\r\n");
    co_await peer.line();
    co_await peer.send("452 4.3.1 later\r\n");
    co_await peer.line();
    co_await peer.send("221 bye\r\n");
  });
  SmtpClientOptions options = test_options();
  options.auth_without_tls = true;
  smtp::ClientCredentials credentials;
  credentials.plain = [] { return auth::plain_initial_response("", "alice", "secret"); };
  options.credentials = credentials;
  SmtpDelivery delivery = deliver_to_servers_blocking(
      {server.address()}, message_for({"bob@example.org"}, 3), spool.data(), options);
  server.join();
  EXPECT_EQ(auth_line, "AUTH PLAIN AGFsaWNlAHNlY3JldA==");
  EXPECT_TRUE(delivery.attempts.at(0).authenticated);
  std::string transcript;
  for (const std::string& line : delivery.attempts[0].transcript) transcript += line + "\n";
  EXPECT_NE(transcript.find("C: (credentials hidden)\n"), std::string::npos) << transcript;
  EXPECT_EQ(transcript.find("AGFsaWNl"), std::string::npos) << transcript;
}

TEST(SmtpClientTest, QueueGlue) {
  queue::Envelope envelope;
  envelope.sender = "alice@example.test";
  for (const char* address : {"a@example.org", "b@example.org", "c@example.org"}) {
    queue::Recipient recipient;
    recipient.address = address;
    envelope.recipients.push_back(recipient);
  }
  envelope.recipients[2].notify = smtp::NotifySuccess;
  envelope.recipients[2].orcpt_type = "rfc822";
  envelope.recipients[2].orcpt_address = "C@example.org";
  envelope.body = "8BITMIME";
  envelope.ret = "HDRS";
  envelope.envid = "E1";
  std::vector<std::size_t> pending{0, 2};
  smtp::OutboundMessage message = outbound_message(envelope, pending, 99, false);
  ASSERT_EQ(message.recipients.size(), 2u);
  EXPECT_EQ(message.recipients[1].address, "c@example.org");
  EXPECT_EQ(message.recipients[1].notify, smtp::NotifySuccess);
  EXPECT_EQ(message.recipients[1].orcpt_address, "C@example.org");
  EXPECT_EQ(message.body, smtp::Body::EightBitMime);
  EXPECT_EQ(message.ret, smtp::Ret::Headers);
  EXPECT_EQ(message.envid, "E1");
  EXPECT_EQ(message.size, 99u);

  smtp::RecipientOutcome outcome;
  outcome.disposition = smtp::Disposition::Bounced;
  outcome.status = "5.1.1";
  outcome.text = "host x said: 550 5.1.1 no (in reply to RCPT TO command)";
  outcome.relay = "x[192.0.2.1]:25";
  queue::RecipientResult result = recipient_result(2, outcome);
  EXPECT_EQ(result.index, 2u);
  EXPECT_EQ(result.state, queue::RecipientState::Bounced);
  EXPECT_EQ(result.dsn, "5.1.1");
  EXPECT_EQ(result.text, outcome.text);
  EXPECT_EQ(result.relay, outcome.relay);
}

// aiosmtpd, a real server written by others, as receiver: no PIPELINING, so one command at a time,
// and its own un-stuffing must give back the original bytes.
TEST(SmtpClientTest, InteroperatesWithAiosmtpd) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
  char pattern[] = "/tmp/tern-aiosmtpd-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  std::string root = pattern;
  std::string script = root + "/server.py";
  std::ofstream(script) << R"(import signal, sys
from aiosmtpd.controller import Controller

class Handler:
    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[2] + '/content', 'wb') as f:
            f.write(envelope.original_content)
        with open(sys.argv[2] + '/envelope', 'w') as f:
            f.write(envelope.mail_from + ' ' + ' '.join(envelope.rcpt_tos) + ' ' +
                    ' '.join(envelope.mail_options))
        return '250 2.0.0 Ok: queued as AIOSMTPD'

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
controller = Controller(Handler(), hostname='127.0.0.1', port=int(sys.argv[1]))
controller.start()
open(sys.argv[2] + '/ready', 'w').close()
signal.sigwait({signal.SIGTERM})
controller.stop()
)";
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::uint16_t port = probe.local_endpoint().port();
  probe.close();
  std::string port_text = std::to_string(port);
  const char* argv[] = {"/usr/bin/python3", script.c_str(), port_text.c_str(), root.c_str(),
                        nullptr};
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  for (int i = 0; i < 200 && !std::filesystem::exists(root + "/ready"); ++i) {
    std::this_thread::sleep_for(50ms);
  }
  if (std::filesystem::exists(root + "/ready")) {
    std::string message =
        "From: a@example.test\r\nSubject: interop\r\n\r\n.\r\n..x\r\n"
        "\xE2\x82\xAC 8-bit\r\n";
    for (int i = 0; i < 2000; ++i) message += ".line " + std::to_string(i) + "\r\n";
    SpoolFile spool(message);
    smtp::OutboundMessage outbound = message_for({"bob@example.org"}, message.size());
    outbound.body = smtp::Body::EightBitMime;
    SmtpServerAddress address{"localhost", asio::ip::make_address("127.0.0.1"), port};
    SmtpDelivery delivery =
        deliver_to_servers_blocking({address}, outbound, spool.data(), test_options());
    EXPECT_EQ(delivery.recipients[0].disposition, smtp::Disposition::Delivered)
        << delivery.recipients[0].text;
    EXPECT_EQ(delivery.recipients[0].text, "250 2.0.0 Ok: queued as AIOSMTPD");
    std::ifstream content(root + "/content", std::ios::binary);
    std::string received((std::istreambuf_iterator<char>(content)), {});
    EXPECT_TRUE(received == message) << received.size() << " vs " << message.size();
    std::ifstream envelope(root + "/envelope");
    std::string envelope_text((std::istreambuf_iterator<char>(envelope)), {});
    EXPECT_EQ(envelope_text, fmt::format("alice@example.test bob@example.org SIZE={} BODY=8BITMIME",
                                         message.size()));
  } else {
    ADD_FAILURE() << "aiosmtpd did not start";
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace tern::delivery
