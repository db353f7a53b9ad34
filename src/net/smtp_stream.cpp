// Plain or TLS reads and writes with error codes (as_tuple), never exceptions: a peer that goes
// away is an ordinary event.
#include "net/smtp_stream.hpp"

#include <openssl/x509v3.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
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

asio::awaitable<asio::error_code> SmtpStream::start_tls_client(asio::ssl::context& context,
                                                               const std::string& server_name,
                                                               bool verify) {
  if (tls_) co_return asio::error::already_connected;
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, context);
  SSL* ssl = tls_->native_handle();
  if (!server_name.empty()) {
    asio::error_code not_address;
    asio::ip::make_address(server_name, not_address);
    X509_VERIFY_PARAM* parameters = SSL_get0_param(ssl);
    if (not_address) {
      // RFC 6066 §3: SNI carries host names only, never address literals.
      SSL_set_tlsext_host_name(ssl, server_name.c_str());
      X509_VERIFY_PARAM_set_hostflags(parameters, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(parameters, server_name.c_str(), server_name.size());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(parameters, server_name.c_str());
    }
  }
  tls_->set_verify_mode(verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
  auto [error] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
  co_return error;
}

bool SmtpStream::peer_verified() const {
  if (!tls_) return false;
  const SSL* ssl = tls_->native_handle();
  return SSL_get0_peer_certificate(ssl) != nullptr && SSL_get_verify_result(ssl) == X509_V_OK;
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
