// Target parsing as a pure function, then real loopback connections: direct, refused, through a
// small HTTP proxy, and a proxy that never answers (the deadline ends the wait).
#include "net/tcp_connect.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <optional>

namespace tern::net {
namespace {

using namespace std::chrono_literals;

TEST(TcpConnectTest, ParsesTargets) {
  struct Case {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  const Case cases[] = {
      {"mx.example.org", "mx.example.org", 25}, {"mx.example.org:587", "mx.example.org", 587},
      {"192.0.2.1:2525", "192.0.2.1", 2525},    {"[2001:db8::1]:465", "2001:db8::1", 465},
      {"[2001:db8::1]", "2001:db8::1", 25},     {"::1", "::1", 25},
  };
  for (const Case& c : cases) {
    auto target = parse_connect_target(c.text, 25);
    ASSERT_TRUE(target) << c.text << ": " << target.error().message;
    EXPECT_EQ(target->host, c.host) << c.text;
    EXPECT_EQ(target->port, c.port) << c.text;
  }
  for (const char* bad :
       {"", ":25", "mx:", "mx:0", "mx:70000", "mx:2x", "[::1", "[]:25", "[::1]x"}) {
    EXPECT_FALSE(parse_connect_target(bad, 25)) << bad;
  }
  EXPECT_EQ(parse_connect_target("mx:abc", 25).error().message, "bad port \"abc\" in \"mx:abc\"");
}

// Runs connect_tcp against `target` while `serve` (if any) plays the listening side.
Result<Connection> run(asio::io_context& io, const ConnectTarget& target,
                       const std::optional<ProxyAddress>& proxy,
                       std::chrono::milliseconds timeout) {
  std::optional<Result<Connection>> outcome;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        outcome.emplace(co_await connect_tcp(target, proxy, timeout));
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  io.run();
  return std::move(*outcome);
}

TEST(TcpConnectTest, ConnectsDirectly) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::uint16_t port = acceptor.local_endpoint().port();
  auto connection = run(io, {"127.0.0.1", port}, std::nullopt, 2s);
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->peer, fmt::format("127.0.0.1[127.0.0.1]:{}", port));
  EXPECT_TRUE(connection->socket.is_open());
}

TEST(TcpConnectTest, SaysWhichAddressRefused) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  auto connection = run(io, {"127.0.0.1", port}, std::nullopt, 2s);
  ASSERT_FALSE(connection);
  EXPECT_EQ(connection.error().message,
            fmt::format("connect to 127.0.0.1[127.0.0.1]:{}: Connection refused", port));
}

TEST(TcpConnectTest, TunnelsThroughAProxy) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::uint16_t port = acceptor.local_endpoint().port();
  std::string request;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto peer = co_await acceptor.async_accept(asio::use_awaitable);
        asio::streambuf buffer;
        std::size_t length =
            co_await asio::async_read_until(peer, buffer, "\r\n\r\n", asio::use_awaitable);
        request.assign(asio::buffers_begin(buffer.data()),
                       asio::buffers_begin(buffer.data()) + length);
        std::string answer = "HTTP/1.1 200 Connection established\r\n\r\n";
        co_await asio::async_write(peer, asio::buffer(answer), asio::use_awaitable);
      },
      asio::detached);
  auto connection = run(io, {"mx.example.org", 25}, ProxyAddress{"127.0.0.1", port}, 2s);
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(request.rfind("CONNECT mx.example.org:25 HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(connection->peer,
            fmt::format("mx.example.org:25 via proxy 127.0.0.1[127.0.0.1]:{}", port));
}

TEST(TcpConnectTest, GivesUpOnAProxyThatNeverAnswers) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::uint16_t port = acceptor.local_endpoint().port();
  std::optional<asio::ip::tcp::socket> held;  // accepted and kept open, never written to
  acceptor.async_accept([&](asio::error_code error, asio::ip::tcp::socket socket) {
    if (!error) held.emplace(std::move(socket));
  });
  auto started = std::chrono::steady_clock::now();
  auto connection = run(io, {"mx.example.org", 25}, ProxyAddress{"127.0.0.1", port}, 200ms);
  auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(connection);
  EXPECT_EQ(connection.error().message,
            fmt::format("mx.example.org (proxy 127.0.0.1[127.0.0.1]:{}): timed out", port));
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 5s);
}

}  // namespace
}  // namespace tern::net
