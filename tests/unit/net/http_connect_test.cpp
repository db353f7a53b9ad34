// The CONNECT request and response parsing as pure functions, then a real tunnel over loopback: a
// small proxy accepts, checks the request, answers, and sends the "server greeting" in the same
// write, which http_connect must leave unread.
#include "net/http_connect.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <optional>

namespace tern::net {
namespace {

TEST(HttpConnectTest, ParsesProxyUrls) {
  auto plain = parse_proxy_url("http://proxy.example:3128");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->host, "proxy.example");
  EXPECT_EQ(plain->port, 3128);

  auto bare = parse_proxy_url("127.0.0.1:8888/");
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->host, "127.0.0.1");
  EXPECT_EQ(bare->port, 8888);

  auto ipv6 = parse_proxy_url("HTTP://[::1]:8080");
  ASSERT_TRUE(ipv6) << ipv6.error().message;
  EXPECT_EQ(ipv6->host, "::1");
  EXPECT_EQ(ipv6->port, 8080);

  auto default_port = parse_proxy_url("http://proxy.example");
  ASSERT_TRUE(default_port);
  EXPECT_EQ(default_port->port, 8080);
}

TEST(HttpConnectTest, RefusesWhatIsNotAPlainHttpProxy) {
  for (const char* url :
       {"https://proxy.example:443", "socks5://127.0.0.1:1080", "http://user:pw@proxy:3128",
        "http://proxy:0", "http://proxy:65536", "http://proxy:", "http://proxy:80x", "http://:3128",
        "http://[::1", "http://proxy/path"}) {
    EXPECT_FALSE(parse_proxy_url(url)) << url;
  }
  EXPECT_EQ(parse_proxy_url("socks5://h:1").error().message,
            "unsupported proxy scheme in \"socks5://h:1\" (only http:// proxies)");
}

TEST(HttpConnectTest, BuildsTheRequestWithItsHostField) {
  EXPECT_EQ(http_connect_request("mx.example.org", 25),
            "CONNECT mx.example.org:25 HTTP/1.1\r\nHost: mx.example.org:25\r\n\r\n");
  EXPECT_EQ(http_connect_request("2001:db8::1", 587),
            "CONNECT [2001:db8::1]:587 HTTP/1.1\r\nHost: [2001:db8::1]:587\r\n\r\n");
}

TEST(HttpConnectTest, FindsTheEndOfTheResponseHead) {
  EXPECT_EQ(http_response_head_length("HTTP/1.1 200 OK\r\n"), 0u);
  EXPECT_EQ(http_response_head_length("HTTP/1.1 200 OK\r\n\r\n220 mx"), 19u);
  EXPECT_EQ(http_response_head_length("HTTP/1.0 200 OK\nVia: x\n\n"), 24u);
}

TEST(HttpConnectTest, AcceptsOnlyA2xxStatus) {
  EXPECT_TRUE(check_http_connect_response("HTTP/1.1 200 Connection established\r\n\r\n"));
  EXPECT_TRUE(check_http_connect_response("HTTP/1.0 200 OK\r\nProxy-agent: x\r\n\r\n"));
  EXPECT_EQ(check_http_connect_response("HTTP/1.1 403 Forbidden\r\n\r\n").error().message,
            "proxy refused CONNECT: 403 Forbidden");
  EXPECT_EQ(check_http_connect_response("220 mx.example ESMTP\r\n\r\n").error().message,
            "proxy sent no HTTP response: \"220 mx.example ESMTP\"");
  EXPECT_FALSE(check_http_connect_response("HTTP/1.1 abc\r\n\r\n"));
  EXPECT_FALSE(check_http_connect_response("HTTP/1.1\r\n\r\n"));
}

// Runs one proxy exchange: the proxy reads the request head and answers `answer`.
struct TunnelRun {
  std::string request_seen;
  std::optional<Status> status;
  std::string after_tunnel;  // what the client reads next
};

TunnelRun run_tunnel(const std::string& answer) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  TunnelRun run;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto peer = co_await acceptor.async_accept(asio::use_awaitable);
        asio::streambuf request;
        std::size_t length =
            co_await asio::async_read_until(peer, request, "\r\n\r\n", asio::use_awaitable);
        run.request_seen.assign(asio::buffers_begin(request.data()),
                                asio::buffers_begin(request.data()) + length);
        co_await asio::async_write(peer, asio::buffer(answer), asio::use_awaitable);
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::ip::tcp::socket socket(io);
        co_await socket.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
        run.status = co_await http_connect(socket, "mx.example.org", 25);
        if (!*run.status) co_return;
        char buffer[64];
        asio::error_code error;
        std::size_t count = co_await socket.async_read_some(
            asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, error));
        run.after_tunnel.assign(buffer, error ? 0 : count);
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  io.run();
  return run;
}

TEST(HttpConnectTest, TunnelsAndLeavesTheGreetingUnread) {
  TunnelRun run = run_tunnel("HTTP/1.1 200 Connection established\r\n\r\n220 mx ESMTP\r\n");
  EXPECT_EQ(run.request_seen,
            "CONNECT mx.example.org:25 HTTP/1.1\r\nHost: mx.example.org:25\r\n\r\n");
  ASSERT_TRUE(run.status.has_value());
  EXPECT_TRUE(*run.status) << run.status->error().message;
  EXPECT_EQ(run.after_tunnel, "220 mx ESMTP\r\n");
}

TEST(HttpConnectTest, ReportsARefusalAndAClosedProxy) {
  TunnelRun refused = run_tunnel("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(refused.status.has_value());
  EXPECT_EQ(refused.status->error().message, "proxy refused CONNECT: 502 Bad Gateway");

  TunnelRun closed = run_tunnel("HTTP/1.1 200");
  ASSERT_TRUE(closed.status.has_value());
  EXPECT_EQ(closed.status->error().message.rfind(
                "proxy closed the connection before answering CONNECT", 0),
            0u);
}

}  // namespace
}  // namespace tern::net
