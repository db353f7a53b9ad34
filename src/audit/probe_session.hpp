// One connection of `tern audit`: the audit's own small SMTP conversation over net::SmtpStream,
// because it sends what no delivery client would (VRFY, odd RCPT forms, bare line ends, HTTP
// request lines) and must see exactly what comes back. It connects with net::connect_tcp (directly
// or through an HTTP CONNECT proxy), sends bytes, reads one whole reply at a time
// (smtp::complete_reply_length framing) and upgrades to TLS in place. Guarantees: every operation
// ends by the deadline (a watchdog cancels the socket), after which the session is dead and every
// later operation returns at once; bytes received before a TLS handshake are discarded, never read
// as replies inside TLS.
#pragma once

#include <openssl/ssl.h>

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "audit/probe_reply.hpp"
#include "base/result.hpp"
#include "net/smtp_stream.hpp"
#include "net/tcp_connect.hpp"

namespace tern::audit {

struct ProbeSettings {
  net::ConnectTarget target;
  std::optional<net::ProxyAddress> proxy;
  std::chrono::milliseconds timeout{10000};  // for each connect, write, read and handshake
  // Receives "C: ..." and "S: ..." lines (-v); may be empty.
  std::function<void(std::string_view line)> transcript;
};

class ProbeSession {
 public:
  // Connects within the timeout; the caller reads the greeting (after handshake() for implicit
  // TLS). Destroying the session closes the connection.
  static asio::awaitable<Result<std::unique_ptr<ProbeSession>>> open(const ProbeSettings& settings);

  ProbeSession(const ProbeSettings& settings, net::Connection connection);
  ~ProbeSession();
  ProbeSession(const ProbeSession&) = delete;
  ProbeSession& operator=(const ProbeSession&) = delete;

  // One whole reply, or why there is none (closed, timed out, not SMTP).
  asio::awaitable<ProbeReply> read_reply();
  // Writes `bytes` as they are; `label` replaces them in the transcript ("(message, 812 octets)").
  asio::awaitable<bool> send(std::string_view bytes, std::string_view label = {});
  // `line` and CRLF, then one reply.
  asio::awaitable<ProbeReply> command(std::string_view line);
  // The client side of a TLS handshake now (first thing for implicit TLS, or after a 220 to
  // STARTTLS), sending `server_name` as SNI when it is a name. Certificates are not verified here:
  // the audit reports on them instead.
  asio::awaitable<Status> handshake(asio::ssl::context& context, const std::string& server_name);

  // Waits `pause` (the --rate pause); returns at once for zero.
  asio::awaitable<void> sleep(std::chrono::milliseconds pause);

  bool alive() const { return !dead_; }
  const std::string& peer() const { return peer_; }
  // The server's address when connected directly; unset through a proxy.
  const std::optional<asio::ip::address>& peer_address() const { return peer_address_; }
  const SSL* tls_session() const { return state_->stream.tls_session(); }
  void close();

 private:
  // What the watchdog shares with the session: it may outlive the session by one wake-up.
  struct State {
    explicit State(asio::ip::tcp::socket socket)
        : stream(std::move(socket)), timer(stream.get_executor()) {}
    net::SmtpStream stream;
    asio::steady_timer timer;
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    bool timed_out = false;
    bool closed = false;
  };
  static asio::awaitable<void> watchdog(std::shared_ptr<State> state);

  void set_deadline(std::chrono::milliseconds timeout);
  void clear_deadline();
  void record(std::string_view prefix, std::string_view bytes);
  ProbeReply fail();

  ProbeSettings settings_;
  std::shared_ptr<State> state_;
  std::string peer_;
  std::optional<asio::ip::address> peer_address_;
  std::string input_;
  bool dead_ = false;
};

}  // namespace tern::audit
