// A TCP tunnel through an HTTP proxy (RFC 9110 §9.3.6 CONNECT), as `tern send --proxy` and
// `tern audit --proxy` use when a network only lets web traffic out. The request and the parsing of
// the proxy's answer are pure functions; http_connect() only writes and reads. Guarantees: no byte
// after the proxy's response head is consumed, so the SMTP server's greeting stays unread for the
// caller; a response head larger than 16 KiB or any status other than 2xx is an error naming it.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tern::net {

struct ProxyAddress {
  std::string host;  // name or IP address (IPv6 without brackets)
  std::uint16_t port = 8080;
};

// "http://proxy.example:3128", "http://[::1]:8080", "proxy.example:3128" (http:// assumed). Only
// plain http proxies: the tunnel carries SMTP, which brings its own TLS.
Result<ProxyAddress> parse_proxy_url(std::string_view url);

// "CONNECT mx.example.org:25 HTTP/1.1" with its Host field; an IPv6 target is bracketed.
std::string http_connect_request(std::string_view host, std::uint16_t port);

// The length of the response head in `received` (through its blank line), 0 while incomplete.
std::size_t http_response_head_length(std::string_view received);

// Ok for a 2xx status line; otherwise "proxy refused CONNECT: 403 Forbidden" or what is malformed.
Status check_http_connect_response(std::string_view head);

// Over `socket`, already connected to the proxy: asks for a tunnel to host:port and reads the
// answer. Returns the error text on failure. Cancelling the socket (the caller's timeout) ends it.
asio::awaitable<Status> http_connect(asio::ip::tcp::socket& socket, std::string_view host,
                                     std::uint16_t port);

}  // namespace tern::net
