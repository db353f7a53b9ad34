// Listening sockets for the thread-per-core server: every event-loop thread opens its own acceptor
// on the same address with SO_REUSEPORT, so the kernel spreads connections across threads without a
// shared lock.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace tern::net {

// A large backlog: bursts of reconnecting clients must not be turned away by SYN drops (DESIGN.md
// lessons).
inline constexpr int kListenBacklog = 4096;

Result<asio::ip::tcp::acceptor> open_listener(asio::io_context& context,
                                              const asio::ip::tcp::endpoint& endpoint);

// Resolves "host" (numeric) and port to endpoints; "" means every address allowed by
// inet_protocols.
Result<std::vector<asio::ip::tcp::endpoint>> listen_endpoints(const std::string& host,
                                                              unsigned short port, bool ipv4,
                                                              bool ipv6);

}  // namespace tern::net
