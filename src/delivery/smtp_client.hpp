// Outbound SMTP delivery (Postfix smtp(8)): connects to a remote server, drives the pure
// smtp::ClientProtocol over a net::SmtpStream with Postfix's per-stage timeouts, upgrades with
// STARTTLS per the TLS policy, and streams the message from the spool file with dot-stuffing (RFC
// 5321 §4.5.2) without holding it in memory. Guarantees: every recipient comes back with exactly
// one outcome; the final "." is never sent after a short read of the spool file; every wait has a
// deadline; credentials never appear in logs or transcripts.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "queue/envelope.hpp"
#include "queue/queue_manager.hpp"
#include "smtp/client_protocol.hpp"

namespace tern::delivery {

// Postfix's smtp_*_timeout parameters and defaults. Each applies to one read or write of its stage.
struct SmtpTimeouts {
  std::chrono::milliseconds connect = std::chrono::seconds(30);
  std::chrono::milliseconds helo =
      std::chrono::seconds(300);  // greeting, EHLO/HELO, STARTTLS, AUTH
  std::chrono::milliseconds mail = std::chrono::seconds(300);
  std::chrono::milliseconds rcpt = std::chrono::seconds(300);
  std::chrono::milliseconds data_init = std::chrono::seconds(120);
  std::chrono::milliseconds data_xfer = std::chrono::seconds(180);
  std::chrono::milliseconds data_done = std::chrono::seconds(600);
  std::chrono::milliseconds quit = std::chrono::seconds(300);
};

struct SmtpClientOptions {
  std::string helo_name;                              // smtp_helo_name (myhostname)
  smtp::TlsPolicy tls_policy = smtp::TlsPolicy::May;  // smtp_tls_security_level
  // net::make_client_tls_context(); null means no TLS at all (policy `may` then sends in plain
  // text, `encrypt` and `verify` defer).
  std::shared_ptr<asio::ssl::context> tls_context;
  bool pipelining = true;
  std::optional<smtp::ClientCredentials> credentials;  // AUTH (relayhost with a login)
  bool auth_without_tls = false;
  SmtpTimeouts timeouts;
  bool keep_transcript = false;  // record "C:"/"S:" lines in the attempt (tern send -v, audit)
  // deliver_to_servers: Postfix smtp_mx_address_limit and smtp_mx_session_limit (0: no limit).
  std::size_t max_addresses = 5;
  std::size_t max_sessions = 2;
  // For `tern send` (see smtp::ClientSettings): TLS from the first byte (RFC 8314, port 465; the
  // handshake uses tls_context and tls_policy's verification), AUTH required when credentials are
  // given, stopping on purpose, every reply as it arrives, and a last look at the server's
  // features before MAIL FROM.
  bool tls_on_connect = false;
  bool auth_required = false;
  std::optional<smtp::ClientCheckpoint> quit_after;
  std::function<void(smtp::ClientStage, std::size_t, std::string_view)> reply_observer;
  std::function<Status(const smtp::ServerFeatures&, smtp::OutboundMessage&)> before_transaction;
};

// One address of a destination, in the order the MX plan gives them.
struct SmtpServerAddress {
  std::string host;  // MX host name: for logs, SNI and the certificate check ("" for a bare IP)
  asio::ip::address address;
  std::uint16_t port = 25;

  std::string log_name() const;  // "mx.example.org[192.0.2.1]"
  std::string relay() const;     // "mx.example.org[192.0.2.1]:25", as Postfix logs relay=
};

// The message bytes: `prefix` (a rewritten header section, or nothing), then `length` octets at
// `offset` in the open spool file `fd`; CRLF line endings.
struct MessageData {
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string prefix{};

  std::uint64_t size() const { return prefix.size() + length; }
};

// What one session with one server did.
struct SmtpAttempt {
  SmtpServerAddress server;
  std::vector<smtp::RecipientOutcome> recipients;  // one per recipient of the message given
  bool connected = false;
  bool established = false;   // EHLO/HELO accepted
  std::string tls;            // "TLSv1.3 with cipher ... (256/256 bits)"; empty in plain text
  bool tls_verified = false;  // the certificate chained to a trusted CA and matched `host`
  bool authenticated = false;
  bool retry_without_tls = false;  // `may` and the handshake failed: plain text may work
  bool quit_as_asked = false;      // stopped at options.quit_after, as asked
  smtp::ServerFeatures features;
  std::vector<std::string> notes;
  std::vector<std::string> transcript;  // only with keep_transcript
};

// One session with `server` for all recipients of `message`. The references must stay valid until
// the returned awaitable completes.
asio::awaitable<SmtpAttempt> deliver_to_server(const SmtpServerAddress& server,
                                               const smtp::OutboundMessage& message,
                                               const MessageData& data,
                                               const SmtpClientOptions& options);

// The same over a connection the caller opened (tern send: net::connect_tcp, perhaps through an
// HTTP proxy); `server` names the peer in texts and is the name TLS checks.
// options.timeouts.connect is not used.
asio::awaitable<SmtpAttempt> deliver_over_connection(asio::ip::tcp::socket socket,
                                                     const SmtpServerAddress& server,
                                                     const smtp::OutboundMessage& message,
                                                     const MessageData& data,
                                                     const SmtpClientOptions& options);

struct SmtpDelivery {
  std::vector<smtp::RecipientOutcome> recipients;  // the last word on each recipient
  std::vector<SmtpAttempt> attempts;
};

// The destination's servers in order, as Postfix's smtp(8) walks an MX list: recipients deferred
// by one server (refused greeting, connection failure, 4xx) are tried at the next; delivered and
// bounced ones are final. Stops after max_sessions established sessions or max_addresses
// addresses. A failed opportunistic TLS handshake is retried once in plain text on the same server.
asio::awaitable<SmtpDelivery> deliver_to_servers(const std::vector<SmtpServerAddress>& servers,
                                                 const smtp::OutboundMessage& message,
                                                 const MessageData& data,
                                                 const SmtpClientOptions& options);

// The same on an io_context of its own, for the queue manager's worker threads.
SmtpDelivery deliver_to_servers_blocking(const std::vector<SmtpServerAddress>& servers,
                                         const smtp::OutboundMessage& message,
                                         const MessageData& data, const SmtpClientOptions& options);

// Glue for the queue manager's delivery agent. `pending` selects the envelope's recipients, in
// order; `utf8_header` says whether the header holds UTF-8 (the caller scanned it).
smtp::OutboundMessage outbound_message(const queue::Envelope& envelope,
                                       std::span<const std::size_t> pending, std::uint64_t size,
                                       bool utf8_header);
queue::RecipientResult recipient_result(std::size_t index, const smtp::RecipientOutcome& outcome);

}  // namespace tern::delivery
