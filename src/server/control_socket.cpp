// The control socket's accept loop and its one-line exchange. A slow or silent client cannot hold
// it: each connection gets its own coroutine and a 10-second deadline.
#include "server/control_socket.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <chrono>

#include "queue/queue_operations.hpp"

namespace tern::server {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
using local = asio::local::stream_protocol;

asio::awaitable<void> answer(local::socket socket, queue::QueueManager& manager) {
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(std::chrono::seconds(10));
  deadline.async_wait([&socket](const asio::error_code& error) {
    if (!error) {
      asio::error_code ignored;
      socket.cancel(ignored);
    }
  });
  std::string line;
  auto [error, length] =
      co_await asio::async_read_until(socket, asio::dynamic_buffer(line, 1024), '\n', use_tuple);
  std::string reply;
  if (error) {
    reply = "error: no command received\n";
  } else {
    std::string_view command_text(line.data(), length - 1);
    auto command = queue::parse_control_command(command_text);
    Status done = command ? manager.control(*command) : Status(command.error());
    reply = done ? "ok\n" : fmt::format("error: {}\n", done.error().message);
  }
  co_await asio::async_write(socket, asio::buffer(reply), use_tuple);
  deadline.cancel();
}

}  // namespace

std::string control_socket_path(const std::string& queue_directory) {
  return queue_directory + "/control";
}

Result<local::acceptor> open_control_socket(asio::io_context& context, const std::string& path) {
  ::unlink(path.c_str());
  local::acceptor acceptor(context);
  asio::error_code error;
  acceptor.open(local::endpoint(path).protocol(), error);
  if (!error) acceptor.bind(local::endpoint(path), error);
  if (!error) acceptor.listen(64, error);
  if (error) return Error{fmt::format("control socket {}: {}", path, error.message())};
  ::chmod(path.c_str(), 0600);
  return acceptor;
}

asio::awaitable<void> serve_control_socket(local::acceptor acceptor, queue::QueueManager& manager) {
  auto executor = acceptor.get_executor();
  while (acceptor.is_open()) {
    auto [error, socket] = co_await acceptor.async_accept(use_tuple);
    if (error == asio::error::operation_aborted) break;
    if (error) {
      spdlog::warn("control socket: {}", error.message());
      continue;
    }
    asio::co_spawn(executor, answer(std::move(socket), manager), asio::detached);
  }
}

}  // namespace tern::server
