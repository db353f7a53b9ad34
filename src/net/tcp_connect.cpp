#include "net/tcp_connect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <charconv>
#include <memory>
#include <vector>

namespace tern::net {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// What the watchdog cancels when the deadline passes: the resolver while resolving, then the
// socket.
struct Attempt {
  explicit Attempt(asio::any_io_executor executor)
      : resolver(executor), socket(executor), timer(executor) {}
  asio::ip::tcp::resolver resolver;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  bool timed_out = false;
  bool done = false;
};

asio::awaitable<void> watchdog(std::shared_ptr<Attempt> attempt) {
  co_await attempt->timer.async_wait(use_tuple);
  if (attempt->done) co_return;
  attempt->timed_out = true;
  attempt->resolver.cancel();
  asio::error_code ignored;
  attempt->socket.cancel(ignored);
}

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// The addresses of `host`, in the resolver's order; an IP address stands for itself.
asio::awaitable<Result<std::vector<asio::ip::tcp::endpoint>>> resolve(Attempt& attempt,
                                                                      const std::string& host,
                                                                      std::uint16_t port) {
  asio::error_code parse_error;
  asio::ip::address literal = asio::ip::make_address(host, parse_error);
  if (!parse_error) co_return std::vector<asio::ip::tcp::endpoint>{{literal, port}};
  auto [error, results] =
      co_await attempt.resolver.async_resolve(host, std::to_string(port), use_tuple);
  if (error) {
    co_return Error{fmt::format("cannot resolve {}: {}", host,
                                attempt.timed_out ? "timed out" : error.message())};
  }
  std::vector<asio::ip::tcp::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  if (endpoints.empty()) co_return Error{fmt::format("cannot resolve {}: no address", host)};
  co_return endpoints;
}

// The first endpoint that accepts; the error of the last one otherwise.
asio::awaitable<Result<asio::ip::tcp::endpoint>> connect_any(
    Attempt& attempt, const std::string& host,
    const std::vector<asio::ip::tcp::endpoint>& endpoints) {
  std::string failure;
  for (const auto& endpoint : endpoints) {
    asio::error_code ignored;
    attempt.socket.close(ignored);
    auto [error] = co_await attempt.socket.async_connect(endpoint, use_tuple);
    if (!error) co_return endpoint;
    failure =
        fmt::format("connect to {}[{}]:{}: {}", host, endpoint.address().to_string(),
                    endpoint.port(), attempt.timed_out ? "Connection timed out" : error.message());
    if (attempt.timed_out) break;
  }
  co_return Error{failure};
}

}  // namespace

Result<ConnectTarget> parse_connect_target(std::string_view text, std::uint16_t default_port) {
  ConnectTarget target;
  target.port = default_port;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || close == 1) {
      return Error{fmt::format("bad server address \"{}\"", text)};
    }
    target.host = std::string(text.substr(1, close - 1));
    std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error{fmt::format("bad server address \"{}\"", text)};
      port = after.substr(1);
      if (port.empty()) return Error{fmt::format("no port after ':' in \"{}\"", text)};
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    target.host = std::string(text);  // a bare IPv6 address
  } else {
    std::size_t colon = text.find(':');
    target.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) return Error{fmt::format("no port after ':' in \"{}\"", text)};
    }
  }
  if (target.host.empty()) return Error{fmt::format("no host in \"{}\"", text)};
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Error{fmt::format("bad port \"{}\" in \"{}\"", port, text)};
    }
    target.port = static_cast<std::uint16_t>(value);
  }
  return target;
}

asio::awaitable<Result<Connection>> connect_tcp(const ConnectTarget& target,
                                                const std::optional<ProxyAddress>& proxy,
                                                std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto attempt = std::make_shared<Attempt>(executor);
  attempt->timer.expires_after(timeout);
  asio::co_spawn(executor, watchdog(attempt), asio::detached);
  struct StopWatchdog {
    Attempt& attempt;
    ~StopWatchdog() {
      attempt.done = true;
      attempt.timer.cancel();
    }
  } stop{*attempt};

  const std::string& first_host = proxy ? proxy->host : target.host;
  std::uint16_t first_port = proxy ? proxy->port : target.port;
  auto endpoints = co_await resolve(*attempt, first_host, first_port);
  if (!endpoints) co_return endpoints.error();
  auto connected = co_await connect_any(*attempt, first_host, *endpoints);
  if (!connected) co_return connected.error();
  std::string peer =
      fmt::format("{}[{}]:{}", first_host, connected->address().to_string(), connected->port());
  if (proxy) {
    Status tunnel = co_await http_connect(attempt->socket, target.host, target.port);
    if (!tunnel) {
      co_return Error{fmt::format("{} (proxy {}): {}", bracketed(target.host), peer,
                                  attempt->timed_out ? "timed out" : tunnel.error().message)};
    }
    peer = fmt::format("{}:{} via proxy {}", bracketed(target.host), target.port, peer);
  }
  co_return Connection{std::move(attempt->socket), std::move(peer)};
}

}  // namespace tern::net
