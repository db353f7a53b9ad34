// The probe connection: a watchdog coroutine sleeps until the current deadline and cancels the
// socket when it passes, as the delivery client and the server session do. Between operations the
// deadline is "never", so a --rate pause cannot time a session out.
#include "audit/probe_session.hpp"

#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "base/strings.hpp"
#include "net/tls_context.hpp"
#include "smtp/client_protocol.hpp"

namespace tern::audit {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadSize = 4096;
// Far above any real reply; a server that sends more without ending a reply is not speaking SMTP.
constexpr std::size_t kMaxReplyOctets = 64 * 1024;
using Clock = std::chrono::steady_clock;

}  // namespace

asio::awaitable<Result<std::unique_ptr<ProbeSession>>> ProbeSession::open(
    const ProbeSettings& settings) {
  auto connection = co_await net::connect_tcp(settings.target, settings.proxy, settings.timeout);
  if (!connection) co_return connection.error();
  auto session = std::make_unique<ProbeSession>(settings, std::move(*connection));
  asio::co_spawn(session->state_->timer.get_executor(), watchdog(session->state_), asio::detached);
  co_return session;
}

ProbeSession::ProbeSession(const ProbeSettings& settings, net::Connection connection)
    : settings_(settings),
      state_(std::make_shared<State>(std::move(connection.socket))),
      peer_(std::move(connection.peer)) {
  if (!settings_.proxy) {
    // connect_tcp names the peer "host[address]:port".
    std::size_t open = peer_.rfind('[');
    std::size_t close = peer_.rfind(']');
    if (open != std::string::npos && close != std::string::npos && close > open) {
      asio::error_code bad;
      asio::ip::address address =
          asio::ip::make_address(peer_.substr(open + 1, close - open - 1), bad);
      if (!bad) peer_address_ = address;
    }
  }
  state_->timer.expires_at(Clock::time_point::max());
}

ProbeSession::~ProbeSession() {
  close();
}

void ProbeSession::close() {
  dead_ = true;
  if (state_->closed) return;
  state_->closed = true;
  state_->timer.cancel();
  state_->stream.close();
}

void ProbeSession::set_deadline(std::chrono::milliseconds timeout) {
  state_->deadline = Clock::now() + timeout;
  // The watchdog sleeps until the old deadline; wake it so it sleeps until this one.
  state_->timer.cancel();
}

void ProbeSession::clear_deadline() {
  state_->deadline = Clock::time_point::max();
}

asio::awaitable<void> ProbeSession::watchdog(std::shared_ptr<State> state) {
  while (!state->closed) {
    state->timer.expires_at(state->deadline);
    co_await state->timer.async_wait(use_tuple);
    if (state->closed) break;
    if (Clock::now() >= state->deadline) {
      state->timed_out = true;
      state->stream.cancel();
      break;
    }
  }
}

void ProbeSession::record(std::string_view prefix, std::string_view bytes) {
  if (!settings_.transcript) return;
  while (!bytes.empty()) {
    std::size_t newline = bytes.find('\n');
    std::string_view line = bytes.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    settings_.transcript(fmt::format("{}{}", prefix, printable_ascii(line)));
    if (newline == std::string_view::npos) break;
    bytes.remove_prefix(newline + 1);
  }
}

ProbeReply ProbeSession::fail() {
  dead_ = true;
  std::string partial = std::move(input_);
  input_.clear();
  if (!partial.empty()) record("S: ", partial);
  if (state_->timed_out) {
    if (settings_.transcript) settings_.transcript("-- no reply within the timeout");
    return ProbeReply::timed_out(std::move(partial));
  }
  if (settings_.transcript) settings_.transcript("-- connection closed by the server");
  return ProbeReply::closed(std::move(partial));
}

asio::awaitable<ProbeReply> ProbeSession::read_reply() {
  if (dead_) co_return ProbeReply::not_sent();
  set_deadline(settings_.timeout);
  char buffer[kReadSize];
  while (true) {
    std::size_t length = smtp::complete_reply_length(input_);
    if (length > 0) {
      std::string raw = input_.substr(0, length);
      input_.erase(0, length);
      record("S: ", raw);
      clear_deadline();
      co_return ProbeReply::from_raw(std::move(raw));
    }
    if (input_.size() > kMaxReplyOctets) {
      clear_deadline();
      std::string raw = std::move(input_);
      input_.clear();
      dead_ = true;
      co_return ProbeReply::from_raw(std::move(raw));
    }
    auto [error, count] = co_await state_->stream.read_some(asio::buffer(buffer));
    if (error || count == 0) {
      clear_deadline();
      co_return fail();
    }
    input_.append(buffer, count);
  }
}

asio::awaitable<bool> ProbeSession::send(std::string_view bytes, std::string_view label) {
  if (dead_) co_return false;
  if (label.empty()) {
    record("C: ", bytes);
  } else if (settings_.transcript) {
    settings_.transcript(fmt::format("C: {}", label));
  }
  set_deadline(settings_.timeout);
  asio::error_code error =
      co_await state_->stream.write_all(asio::buffer(bytes.data(), bytes.size()));
  clear_deadline();
  if (error) {
    dead_ = true;
    co_return false;
  }
  co_return true;
}

asio::awaitable<ProbeReply> ProbeSession::command(std::string_view line) {
  // Named values, never temporaries, across co_await, and no co_await inside a condition: g++ 12
  // destroys such temporaries wrongly (GCC bugs 100611, 101367).
  std::string bytes = fmt::format("{}\r\n", line);
  bool sent = co_await send(bytes);
  if (!sent) co_return ProbeReply::not_sent();
  ProbeReply reply = co_await read_reply();
  co_return reply;
}

asio::awaitable<Status> ProbeSession::handshake(asio::ssl::context& context,
                                                const std::string& server_name) {
  if (dead_) co_return Error{"no connection"};
  if (!input_.empty()) {
    // Sent in plain text before TLS: never to be taken for a reply inside TLS.
    if (settings_.transcript) {
      settings_.transcript(
          fmt::format("-- discarding {} octets sent before the TLS handshake", input_.size()));
    }
    input_.clear();
  }
  set_deadline(settings_.timeout);
  asio::error_code error = co_await state_->stream.start_tls_client(context, server_name, false);
  clear_deadline();
  if (error) {
    dead_ = true;
    std::string reason = state_->timed_out ? "timed out" : error.message();
    if (settings_.transcript) settings_.transcript("-- TLS handshake failed: " + reason);
    co_return Error{reason};
  }
  if (settings_.transcript) {
    settings_.transcript("-- TLS: " + net::describe_tls_session(state_->stream.tls_session()));
  }
  co_return ok_status();
}

asio::awaitable<void> ProbeSession::sleep(std::chrono::milliseconds pause) {
  if (pause.count() <= 0) co_return;
  asio::steady_timer timer(state_->stream.get_executor());
  timer.expires_after(pause);
  co_await timer.async_wait(use_tuple);
}

}  // namespace tern::audit
