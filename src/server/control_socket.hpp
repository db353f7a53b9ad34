// ternd's control socket for `tern queue`: a Unix stream socket at <queue_directory>/control, mode
// 0600 and owned by the user ternd runs as, so the file's permissions are the access check (root
// and mail_owner). One command line per connection ("hold ID", "flush", ...; see
// queue/queue_operations.hpp), answered with "ok" or "error: why".
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <string>

#include "base/result.hpp"
#include "queue/queue_manager.hpp"

namespace tern::server {

std::string control_socket_path(const std::string& queue_directory);

// Removes a stale socket file left by a crash, binds, and restricts the mode to 0600.
Result<asio::local::stream_protocol::acceptor> open_control_socket(asio::io_context& context,
                                                                   const std::string& path);

asio::awaitable<void> serve_control_socket(asio::local::stream_protocol::acceptor acceptor,
                                           queue::QueueManager& manager);

}  // namespace tern::server
