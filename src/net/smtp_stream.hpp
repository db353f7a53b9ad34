// The connection an SMTP session talks over: plain TCP that can turn into TLS in place (STARTTLS,
// RFC 3207) or is TLS from the first byte (RFC 8314 implicit TLS). The session reads and writes the
// same way either way; cancel() and close() work in both states, so the timeout watchdog can stop
// any pending operation. The client side (outbound delivery) upgrades the same way, sending SNI and
// checking the server's name in its certificate.
#pragma once

#include <openssl/ssl.h>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <memory>
#include <string>
#include <utility>

namespace tern::net {

class SmtpStream {
 public:
  explicit SmtpStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  asio::awaitable<std::pair<asio::error_code, std::size_t>> read_some(asio::mutable_buffer buffer);
  asio::awaitable<asio::error_code> write_all(asio::const_buffer buffer);
  // Server-side handshake; afterwards every read and write is encrypted. Only once per connection.
  asio::awaitable<asio::error_code> start_tls(asio::ssl::context& context);
  // Client-side handshake. `server_name` (the MX host name, or an IP address) goes out as SNI when
  // it is a name and is what the certificate must match; `verify` makes a certificate that does
  // not chain to a trusted CA or does not match fail the handshake. Without it the result is still
  // recorded (peer_verified()), for logs such as Postfix's "Untrusted TLS connection".
  asio::awaitable<asio::error_code> start_tls_client(asio::ssl::context& context,
                                                     const std::string& server_name, bool verify);
  // Client side: the server's certificate chained to a trusted CA and matched the name.
  bool peer_verified() const;

  bool encrypted() const { return tls_ != nullptr; }
  const SSL* tls_session() const { return tls_ ? tls_->native_handle() : nullptr; }
  asio::any_io_executor get_executor() { return socket_.get_executor(); }
  void cancel();
  void close();

 private:
  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
};

}  // namespace tern::net
