// Plain or TLS reads and writes with error codes (as_tuple), never exceptions: a peer that goes
// away is an ordinary event.
#include "net/smtp_stream.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace tern::net {
namespace {
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
}

asio::awaitable<std::pair<asio::error_code, std::size_t>> SmtpStream::read_some(
    asio::mutable_buffer buffer) {
  if (tls_) {
    auto [error, count] = co_await tls_->async_read_some(buffer, use_tuple);
    co_return std::pair{error, count};
  }
  auto [error, count] = co_await socket_.async_read_some(buffer, use_tuple);
  co_return std::pair{error, count};
}

asio::awaitable<asio::error_code> SmtpStream::write_all(asio::const_buffer buffer) {
  if (tls_) {
    auto [error, count] = co_await asio::async_write(*tls_, buffer, use_tuple);
    co_return error;
  }
  auto [error, count] = co_await asio::async_write(socket_, buffer, use_tuple);
  co_return error;
}

asio::awaitable<asio::error_code> SmtpStream::start_tls(asio::ssl::context& context) {
  if (tls_) co_return asio::error::already_connected;
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, context);
  auto [error] = co_await tls_->async_handshake(asio::ssl::stream_base::server, use_tuple);
  co_return error;
}

void SmtpStream::cancel() {
  asio::error_code ignored;
  socket_.cancel(ignored);
}

void SmtpStream::close() {
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace tern::net
