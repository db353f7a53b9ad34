// Opens SO_REUSEPORT listeners (one per event-loop thread) with a large backlog. IPv6 sockets are
// v6-only so that a separate IPv4 listener on the same port can coexist.
#include "net/listener.hpp"

#include <fmt/format.h>
#include <sys/socket.h>

#include <asio/ip/v6_only.hpp>
#include <asio/socket_base.hpp>

namespace tern::net {

Result<asio::ip::tcp::acceptor> open_listener(asio::io_context& context,
                                              const asio::ip::tcp::endpoint& endpoint) {
  asio::ip::tcp::acceptor acceptor(context);
  asio::error_code error;
  auto fail = [&](const char* step) {
    return Error{fmt::format("cannot listen on {}:{}: {}: {}", endpoint.address().to_string(),
                             endpoint.port(), step, error.message())};
  };
  acceptor.open(endpoint.protocol(), error);
  if (error) return fail("socket");
  acceptor.set_option(asio::socket_base::reuse_address(true), error);
  int enable = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &enable, sizeof enable) !=
      0) {
    error = asio::error_code(errno, asio::system_category());
    return fail("SO_REUSEPORT");
  }
  if (endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), error);
  acceptor.bind(endpoint, error);
  if (error) return fail("bind");
  acceptor.listen(kListenBacklog, error);
  if (error) return fail("listen");
  return acceptor;
}

Result<std::vector<asio::ip::tcp::endpoint>> listen_endpoints(const std::string& host,
                                                              unsigned short port, bool ipv4,
                                                              bool ipv6) {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  if (host.empty()) {
    if (ipv4) endpoints.emplace_back(asio::ip::address_v4::any(), port);
    if (ipv6) endpoints.emplace_back(asio::ip::address_v6::any(), port);
    return endpoints;
  }
  asio::error_code error;
  std::string numeric = host;
  if (numeric.size() > 2 && numeric.front() == '[' && numeric.back() == ']') {
    numeric = numeric.substr(1, numeric.size() - 2);
  }
  asio::ip::address address = asio::ip::make_address(numeric, error);
  if (error) return Error{fmt::format("bad listen address {}: not a numeric IP address", host)};
  endpoints.emplace_back(address, port);
  return endpoints;
}

}  // namespace tern::net
