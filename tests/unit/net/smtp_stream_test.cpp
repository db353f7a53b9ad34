// SmtpStream over real loopback sockets: plain bytes, then an in-place upgrade to TLS with a client
// that speaks asio::ssl; old protocol versions refused by the context.
#include "net/smtp_stream.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <filesystem>
#include <thread>

#include "net/self_signed.hpp"
#include "net/tls_context.hpp"

namespace tern::net {
namespace {

class SmtpStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-stream-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    auto files = ensure_self_signed_certificate(root_, "mail.example.test");
    ASSERT_TRUE(files) << files.error().message;
    settings_.certificate_file = files->certificate;
    settings_.key_file = files->key;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // Server: reads "hello\n" in plain text, answers "plain\n", upgrades, reads "secret\n" and
  // answers with the session description. Returns what the client saw, or the handshake error.
  std::string run(int client_max_version) {
    auto context = make_server_tls_context(settings_);
    EXPECT_TRUE(context) << (context ? "" : context.error().message);
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::string server_error;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          SmtpStream stream(co_await acceptor.async_accept(asio::use_awaitable));
          char buffer[64];
          auto [read_error, count] = co_await stream.read_some(asio::buffer(buffer));
          EXPECT_FALSE(read_error);
          EXPECT_EQ(std::string(buffer, count), "hello\n");
          EXPECT_FALSE(co_await stream.write_all(asio::buffer(std::string("plain\n"))));
          asio::error_code handshake = co_await stream.start_tls(**context);
          if (handshake) {
            server_error = handshake.message();
            stream.close();
            co_return;
          }
          EXPECT_TRUE(stream.encrypted());
          auto [secret_error, secret_count] = co_await stream.read_some(asio::buffer(buffer));
          EXPECT_EQ(std::string(buffer, secret_count), "secret\n");
          std::string reply = describe_tls_session(stream.tls_session()) + "\n";
          co_await stream.write_all(asio::buffer(reply));
          stream.close();
        },
        asio::detached);
    std::thread server([&io] { io.run(); });

    asio::io_context client_io;
    asio::ip::tcp::socket socket(client_io);
    socket.connect(acceptor.local_endpoint());
    asio::write(socket, asio::buffer(std::string("hello\n")));
    char plain[6];
    asio::read(socket, asio::buffer(plain));
    EXPECT_EQ(std::string(plain, 6), "plain\n");
    asio::ssl::context client_context(asio::ssl::context::tls_client);
    SSL_CTX_set_max_proto_version(client_context.native_handle(), client_max_version);
    SSL_CTX_set_min_proto_version(client_context.native_handle(), TLS1_VERSION);
    SSL_CTX_set_security_level(client_context.native_handle(), 0);  // allow TLS 1.0/1.1 offers
    asio::ssl::stream<asio::ip::tcp::socket&> tls(socket, client_context);
    asio::error_code error;
    tls.handshake(asio::ssl::stream_base::client, error);
    std::string seen;
    if (error) {
      seen = "handshake failed";
    } else {
      asio::write(tls, asio::buffer(std::string("secret\n")));
      char buffer[256];
      std::size_t count = tls.read_some(asio::buffer(buffer), error);
      seen.assign(buffer, count);
    }
    socket.close();
    server.join();
    if (!server_error.empty()) seen += " (server: " + server_error + ")";
    return seen;
  }

  std::string root_;
  TlsServerSettings settings_;
};

TEST_F(SmtpStreamTest, UpgradesInPlaceToTls13) {
  std::string seen = run(TLS1_3_VERSION);
  EXPECT_EQ(seen.rfind("TLSv1.3 with cipher TLS_", 0), 0u) << seen;
  EXPECT_NE(seen.find("bits)"), std::string::npos) << seen;
}

TEST_F(SmtpStreamTest, Tls12IsAccepted) {
  std::string seen = run(TLS1_2_VERSION);
  EXPECT_EQ(seen.rfind("TLSv1.2 with cipher ECDHE-", 0), 0u) << seen;
}

TEST_F(SmtpStreamTest, Tls11AndTls10AreRefused) {
  EXPECT_EQ(run(TLS1_1_VERSION).rfind("handshake failed", 0), 0u);
  EXPECT_EQ(run(TLS1_VERSION).rfind("handshake failed", 0), 0u);
}

}  // namespace
}  // namespace tern::net
