// The SMTP client coroutine: thin glue between a socket and smtp::ClientProtocol, shaped like the
// server's session (a watchdog cancels whatever is pending when the stage's deadline passes). Every
// decision is the protocol's; this file only reads, writes, handshakes and streams the spool file.
#include "delivery/smtp_client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <exception>

#include "net/smtp_stream.hpp"
#include "net/tls_context.hpp"

namespace tern::delivery {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadSize = 4096;
constexpr std::size_t kChunkSize = 64 * 1024;
// Far above any real reply (Postfix keeps 2048 octets of text); a server that sends more is broken.
constexpr std::size_t kMaxReplyOctets = 64 * 1024;

using smtp::ClientAction;
using smtp::ClientProtocol;
using smtp::ClientStage;
using smtp::ClientStep;
using Clock = std::chrono::steady_clock;

void record(std::vector<std::string>& transcript, std::string_view prefix, std::string_view text) {
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    transcript.push_back(fmt::format("{}{}", prefix, line));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
}

class Conversation : public std::enable_shared_from_this<Conversation> {
 public:
  // `socket`: closed to connect to `server`, or already connected by the caller.
  Conversation(asio::ip::tcp::socket socket, const SmtpServerAddress& server,
               const smtp::OutboundMessage& message, const MessageData& data,
               const SmtpClientOptions& options)
      : server_(server),
        data_(data),
        options_(options),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        protocol_(settings(server, options), message) {}

  asio::awaitable<SmtpAttempt> run();

 private:
  static smtp::ClientSettings settings(const SmtpServerAddress& server,
                                       const SmtpClientOptions& options);
  std::chrono::milliseconds timeout_for(ClientStage stage) const;
  void set_deadline(std::chrono::milliseconds timeout);
  asio::awaitable<void> watchdog();
  ClientProtocol::Failure failure() const {
    return timed_out_ ? ClientProtocol::Failure::TimedOut : ClientProtocol::Failure::Lost;
  }
  asio::awaitable<bool> connect();
  asio::awaitable<bool> write(std::string_view bytes, std::chrono::milliseconds timeout);
  asio::awaitable<std::optional<std::string>> read_reply();
  asio::awaitable<std::optional<std::string>> handshake();
  asio::awaitable<ClientStep> start_tls();
  asio::awaitable<ClientStep> start_tls_on_connect(ClientStep first);
  asio::awaitable<bool> send_message();
  void finish();

  const SmtpServerAddress& server_;
  const MessageData& data_;
  const SmtpClientOptions& options_;
  asio::ip::tcp::socket socket_;  // until connected; then stream_ owns it
  std::optional<net::SmtpStream> stream_;
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool closed_ = false;
  bool reply_too_long_ = false;
  ClientProtocol protocol_;
  std::string input_;
  SmtpAttempt attempt_;
};

smtp::ClientSettings Conversation::settings(const SmtpServerAddress& server,
                                            const SmtpClientOptions& options) {
  smtp::ClientSettings settings;
  settings.helo_name = options.helo_name;
  settings.server = server.log_name();
  settings.relay = server.relay();
  settings.tls_policy = options.tls_policy;
  settings.tls_available = options.tls_context != nullptr;
  settings.pipelining = options.pipelining;
  settings.credentials = options.credentials;
  settings.auth_without_tls = options.auth_without_tls;
  settings.tls_on_connect = options.tls_on_connect;
  settings.auth_required = options.auth_required;
  settings.quit_after = options.quit_after;
  settings.reply_observer = options.reply_observer;
  settings.before_transaction = options.before_transaction;
  return settings;
}

std::chrono::milliseconds Conversation::timeout_for(ClientStage stage) const {
  const SmtpTimeouts& t = options_.timeouts;
  if (stage == ClientStage::Mail) return t.mail;
  if (stage == ClientStage::Rcpt) return t.rcpt;
  if (stage == ClientStage::Data) return t.data_init;
  if (stage == ClientStage::Message) return t.data_xfer;
  if (stage == ClientStage::EndOfData) return t.data_done;
  if (stage == ClientStage::Quit) return t.quit;
  return t.helo;
}

void Conversation::set_deadline(std::chrono::milliseconds timeout) {
  deadline_ = Clock::now() + timeout;
  // The watchdog sleeps until the old deadline; wake it when the new one is earlier.
  if (deadline_ < timer_.expiry()) timer_.cancel();
}

asio::awaitable<void> Conversation::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    timer_.expires_at(deadline_);
    co_await timer_.async_wait(use_tuple);
    if (closed_) break;
    if (Clock::now() >= deadline_) {
      timed_out_ = true;
      if (stream_) {
        stream_->cancel();
      } else {
        asio::error_code ignored;
        socket_.cancel(ignored);
      }
      break;  // a timeout ends the conversation
    }
  }
}

asio::awaitable<bool> Conversation::connect() {
  if (socket_.is_open()) {  // connected by the caller
    stream_.emplace(std::move(socket_));
    co_return true;
  }
  set_deadline(options_.timeouts.connect);
  asio::ip::tcp::endpoint endpoint(server_.address, server_.port);
  auto [error] = co_await socket_.async_connect(endpoint, use_tuple);
  if (error) {
    protocol_.on_connect_failed(fmt::format("connect to {}: {}", server_.relay(),
                                            timed_out_ ? "Connection timed out" : error.message()));
    co_return false;
  }
  stream_.emplace(std::move(socket_));
  co_return true;
}

asio::awaitable<bool> Conversation::write(std::string_view bytes,
                                          std::chrono::milliseconds timeout) {
  set_deadline(timeout);
  asio::error_code error = co_await stream_->write_all(asio::buffer(bytes.data(), bytes.size()));
  co_return !error;
}

asio::awaitable<std::optional<std::string>> Conversation::read_reply() {
  set_deadline(timeout_for(protocol_.stage()));
  char buffer[kReadSize];
  while (true) {
    std::size_t length = smtp::complete_reply_length(input_);
    if (length > 0) {
      std::string reply = input_.substr(0, length);
      input_.erase(0, length);
      if (options_.keep_transcript) record(attempt_.transcript, "S: ", reply);
      co_return reply;
    }
    if (input_.size() > kMaxReplyOctets) {
      reply_too_long_ = true;
      co_return std::nullopt;
    }
    auto [error, count] = co_await stream_->read_some(asio::buffer(buffer));
    if (error || count == 0) co_return std::nullopt;
    input_.append(buffer, count);
  }
}

asio::awaitable<ClientStep> Conversation::start_tls() {
  if (!input_.empty()) {
    // Sent in plain text after the 220: it must never pass for a reply protected by TLS (the
    // client-side twin of CVE-2011-0411).
    spdlog::warn("{}: discarding {} bytes sent after the reply to STARTTLS", server_.log_name(),
                 input_.size());
    input_.clear();
  }
  std::optional<std::string> failure = co_await handshake();
  if (failure) co_return protocol_.on_tls_failed(*failure);
  co_return protocol_.on_tls_started();
}

// RFC 8314 §3.3: TLS before the greeting; `first` (read the greeting) goes on when it worked.
asio::awaitable<ClientStep> Conversation::start_tls_on_connect(ClientStep first) {
  if (!options_.tls_context) co_return protocol_.on_tls_failed("no TLS context");
  std::optional<std::string> failure = co_await handshake();
  if (failure) co_return protocol_.on_tls_failed(*failure);
  co_return first;
}

// The client handshake; the reason when it failed.
asio::awaitable<std::optional<std::string>> Conversation::handshake() {
  set_deadline(options_.timeouts.helo);
  std::string name = server_.host.empty() ? server_.address.to_string() : server_.host;
  bool verify = options_.tls_policy == smtp::TlsPolicy::Verify;
  asio::error_code error = co_await stream_->start_tls_client(*options_.tls_context, name, verify);
  if (error) {
    std::string reason = timed_out_ ? "timed out" : error.message();
    spdlog::info("SSL_connect error to {}: {}", server_.relay(), reason);
    co_return reason;
  }
  attempt_.tls = net::describe_tls_session(stream_->tls_session());
  attempt_.tls_verified = stream_->peer_verified();
  spdlog::info("{} TLS connection established to {}: {}",
               attempt_.tls_verified ? "Verified" : "Untrusted", server_.relay(), attempt_.tls);
  if (options_.keep_transcript) attempt_.transcript.push_back("-- " + attempt_.tls);
  co_return std::nullopt;
}

// Writes the prefix, then reads the spool file in chunks and writes them, all dot-stuffed; the "."
// goes with the last chunk.
asio::awaitable<bool> Conversation::send_message() {
  smtp::DotStuffer stuffer;
  std::vector<char> chunk(kChunkSize);
  std::string out;
  std::uint64_t offset = data_.offset;
  std::uint64_t remaining = data_.length;
  bool prefix_pending = !data_.prefix.empty();
  while (true) {
    out.clear();
    if (prefix_pending) {
      stuffer.encode(data_.prefix, out);
      prefix_pending = false;
    } else if (remaining > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
      ssize_t got = ::pread(data_.fd, chunk.data(), want, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        // Without the final "." the server discards what it got: nothing half-read is delivered.
        protocol_.on_local_failure(
            "4.3.0", got == 0 ? std::string("error reading queue file: unexpected end of file")
                              : fmt::format("error reading queue file: {}", std::strerror(errno)));
        co_return false;
      }
      stuffer.encode(std::string_view(chunk.data(), static_cast<std::size_t>(got)), out);
      offset += static_cast<std::uint64_t>(got);
      remaining -= static_cast<std::uint64_t>(got);
    }
    if (remaining == 0) stuffer.finish(out);
    if (!co_await write(out, options_.timeouts.data_xfer)) {
      protocol_.on_connection_failed(failure());
      co_return false;
    }
    if (remaining == 0) co_return true;
  }
}

void Conversation::finish() {
  closed_ = true;
  timer_.cancel();
  if (stream_) {
    stream_->close();
  } else {
    asio::error_code ignored;
    socket_.close(ignored);
  }
}

// An if-chain rather than a switch: g++ 12 miscompiles co_await inside switch cases.
asio::awaitable<SmtpAttempt> Conversation::run() {
  auto self = shared_from_this();
  attempt_.server = server_;
  deadline_ = Clock::now() + options_.timeouts.connect;
  asio::co_spawn(timer_.get_executor(), watchdog(), asio::detached);
  if (co_await connect()) {
    attempt_.connected = true;
    ClientStep step = protocol_.start();
    if (options_.tls_on_connect && step.action != ClientAction::Close) {
      step = co_await start_tls_on_connect(std::move(step));
    }
    while (true) {
      if (!step.output.empty()) {
        if (options_.keep_transcript) {
          record(attempt_.transcript, "C: ", step.sensitive ? "(credentials hidden)" : step.output);
        }
        if (!co_await write(step.output, timeout_for(protocol_.stage()))) {
          protocol_.on_connection_failed(failure());
          break;
        }
      }
      if (step.action == ClientAction::Close) break;
      if (step.action == ClientAction::StartTls) {
        step = co_await start_tls();
        continue;
      }
      if (step.action == ClientAction::SendMessage) {
        if (!co_await send_message()) break;
        step = protocol_.on_message_sent();
        continue;
      }
      std::optional<std::string> reply = co_await read_reply();
      if (!reply) {
        protocol_.on_connection_failed(reply_too_long_ ? ClientProtocol::Failure::ReplyTooLong
                                                       : failure());
        break;
      }
      step = protocol_.on_reply(*reply);
    }
  }
  finish();
  attempt_.recipients = protocol_.outcomes();
  attempt_.established = protocol_.session_established();
  attempt_.authenticated = protocol_.authenticated();
  attempt_.retry_without_tls = protocol_.retry_without_tls();
  attempt_.quit_as_asked = protocol_.quit_as_asked();
  attempt_.features = protocol_.features();
  attempt_.notes = protocol_.notes();
  for (const std::string& note : attempt_.notes) spdlog::info("{}", note);
  co_return std::move(attempt_);
}

}  // namespace

std::string SmtpServerAddress::log_name() const {
  return fmt::format("{}[{}]", host.empty() ? address.to_string() : host, address.to_string());
}

std::string SmtpServerAddress::relay() const {
  return fmt::format("{}:{}", log_name(), port);
}

asio::awaitable<SmtpAttempt> deliver_to_server(const SmtpServerAddress& server,
                                               const smtp::OutboundMessage& message,
                                               const MessageData& data,
                                               const SmtpClientOptions& options) {
  auto executor = co_await asio::this_coro::executor;
  auto conversation = std::make_shared<Conversation>(asio::ip::tcp::socket(executor), server,
                                                     message, data, options);
  co_return co_await conversation->run();
}

asio::awaitable<SmtpAttempt> deliver_over_connection(asio::ip::tcp::socket socket,
                                                     const SmtpServerAddress& server,
                                                     const smtp::OutboundMessage& message,
                                                     const MessageData& data,
                                                     const SmtpClientOptions& options) {
  auto conversation =
      std::make_shared<Conversation>(std::move(socket), server, message, data, options);
  co_return co_await conversation->run();
}

asio::awaitable<SmtpDelivery> deliver_to_servers(const std::vector<SmtpServerAddress>& servers,
                                                 const smtp::OutboundMessage& message,
                                                 const MessageData& data,
                                                 const SmtpClientOptions& options) {
  SmtpDelivery delivery;
  std::size_t count = message.recipients.size();
  delivery.recipients.resize(count);
  for (smtp::RecipientOutcome& outcome : delivery.recipients) {
    outcome.status = "4.4.3";
    outcome.text = "no mail server to deliver to";
    outcome.relay = "none";
  }
  std::vector<std::size_t> remaining(count);
  for (std::size_t i = 0; i < count; ++i) remaining[i] = i;
  std::size_t sessions = 0;
  for (std::size_t s = 0; s < servers.size() && !remaining.empty(); ++s) {
    if (options.max_addresses != 0 && s >= options.max_addresses) break;
    if (options.max_sessions != 0 && sessions >= options.max_sessions) break;
    smtp::OutboundMessage part = message;
    part.recipients.clear();
    for (std::size_t index : remaining) part.recipients.push_back(message.recipients[index]);
    SmtpAttempt attempt = co_await deliver_to_server(servers[s], part, data, options);
    if (attempt.retry_without_tls) {
      // Postfix does the same for opportunistic TLS: a broken TLS stack should not stop mail.
      SmtpClientOptions plain = options;
      plain.tls_policy = smtp::TlsPolicy::None;
      delivery.attempts.push_back(std::move(attempt));
      attempt = co_await deliver_to_server(servers[s], part, data, plain);
    }
    if (attempt.established) ++sessions;
    std::vector<std::size_t> deferred;
    for (std::size_t i = 0; i < remaining.size(); ++i) {
      delivery.recipients[remaining[i]] = attempt.recipients[i];
      if (attempt.recipients[i].disposition == smtp::Disposition::Deferred) {
        deferred.push_back(remaining[i]);
      }
    }
    remaining = std::move(deferred);
    delivery.attempts.push_back(std::move(attempt));
  }
  co_return delivery;
}

SmtpDelivery deliver_to_servers_blocking(const std::vector<SmtpServerAddress>& servers,
                                         const smtp::OutboundMessage& message,
                                         const MessageData& data,
                                         const SmtpClientOptions& options) {
  asio::io_context io;
  std::optional<SmtpDelivery> delivery;
  std::exception_ptr failure;
  asio::co_spawn(io, deliver_to_servers(servers, message, data, options),
                 [&](std::exception_ptr error, SmtpDelivery result) {
                   if (error) {
                     failure = error;
                   } else {
                     delivery = std::move(result);
                   }
                 });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*delivery);
}

smtp::OutboundMessage outbound_message(const queue::Envelope& envelope,
                                       std::span<const std::size_t> pending, std::uint64_t size,
                                       bool utf8_header) {
  smtp::OutboundMessage message;
  message.sender = envelope.sender;
  for (std::size_t index : pending) {
    const queue::Recipient& recipient = envelope.recipients.at(index);
    message.recipients.push_back(
        {recipient.address, recipient.notify, recipient.orcpt_type, recipient.orcpt_address});
  }
  message.size = size;
  if (envelope.body == "8BITMIME") message.body = smtp::Body::EightBitMime;
  if (envelope.body == "7BIT") message.body = smtp::Body::SevenBit;
  message.smtputf8 = envelope.smtputf8;
  message.utf8_header = utf8_header;
  if (envelope.ret == "FULL") message.ret = smtp::Ret::Full;
  if (envelope.ret == "HDRS") message.ret = smtp::Ret::Headers;
  message.envid = envelope.envid;
  return message;
}

queue::RecipientResult recipient_result(std::size_t index, const smtp::RecipientOutcome& outcome) {
  queue::RecipientResult result;
  result.index = index;
  result.state =
      outcome.disposition == smtp::Disposition::Delivered ? queue::RecipientState::Delivered
      : outcome.disposition == smtp::Disposition::Bounced ? queue::RecipientState::Bounced
                                                          : queue::RecipientState::Deferred;
  result.dsn = outcome.status;
  result.text = outcome.text;
  result.relay = outcome.relay;
  return result;
}

}  // namespace tern::delivery
