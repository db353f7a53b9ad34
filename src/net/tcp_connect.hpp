// Opening the TCP connection a client tool talks SMTP over (`tern send`, `tern audit`): resolves a
// host name or takes an IP address, tries each address in turn, directly or through an HTTP CONNECT
// proxy, all within one deadline. Guarantees: returns a connected socket or one line saying what
// failed ("connect to mx.example.org[192.0.2.1]:25: Connection refused"); never waits past the
// deadline; through a proxy the server's name is resolved by the proxy, not here.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "net/http_connect.hpp"

namespace tern::net {

struct ConnectTarget {
  std::string host;  // name or IP address (IPv6 without brackets)
  std::uint16_t port = 25;
};

// "mx.example.org", "mx.example.org:587", "192.0.2.1:25", "[2001:db8::1]:465", "::1" (an IPv6
// address alone, without a port). `default_port` applies when none is given.
Result<ConnectTarget> parse_connect_target(std::string_view text, std::uint16_t default_port);

struct Connection {
  asio::ip::tcp::socket socket;
  std::string peer;  // "mx.example.org[192.0.2.1]:25", or "mx.example.org:25 via proxy[..]:3128"
};

asio::awaitable<Result<Connection>> connect_tcp(const ConnectTarget& target,
                                                const std::optional<ProxyAddress>& proxy,
                                                std::chrono::milliseconds timeout);

}  // namespace tern::net
