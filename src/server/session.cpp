// The session coroutine: thin glue between the socket and the pure Protocol. Replies to a pipelined
// batch are collected and written once, when no complete command is left in the input (RFC 2920
// §3). DATA is decoded and streamed to the spool as it arrives; the 250 is written only after the
// group commit made the message durable (DESIGN.md: "a 250 is a promise"). Input left after the end
// of data is processed, never dropped.
#include "server/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <ctime>
#include <span>
#include <vector>

#include "auth/password_hash.hpp"
#include "base/strings.hpp"
#include "mime/message_id.hpp"
#include "mime/received.hpp"
#include "net/smtp_stream.hpp"
#include "net/tls_context.hpp"
#include "server/commit.hpp"
#include "server/header_completion.hpp"
#include "server/input_buffer.hpp"
#include "smtp/data_decoder.hpp"
#include "smtp/reply_catalog.hpp"

namespace tern::server {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
// While a message streams in, reads are this large; between commands the buffer is only as large
// as the longest command line allows (command_buffer_size), so idle connections stay cheap.
constexpr std::size_t kMessageBufferSize = 64 * 1024;
constexpr std::size_t kMinimumCommandBuffer = 4096;
// How often a watchdog that found the session busy (not waiting for the client) looks again.
constexpr std::chrono::seconds kBusyRecheck{1};

bool is_in_networks(const std::vector<Cidr>& networks, const std::string& address) {
  auto parsed = IpAddress::parse(address);
  if (!parsed) return false;
  for (const Cidr& network : networks) {
    if (network.contains(*parsed)) return true;
  }
  return false;
}

// Runs on the password-check pool. An unknown login costs the same hashing as a known one, so the
// time of a 535 does not tell whether the user exists.
asio::awaitable<bool> check_password(std::shared_ptr<const config::RecipientDirectory> directory,
                                     auth::Credentials credentials) {
  const config::LocalUser* user = directory->find_login(credentials.authcid);
  if (user == nullptr || user->password.empty()) {
    auth::spend_verification_work(credentials.password);
    co_return false;
  }
  if (auth::scheme_of(user->password) == auth::PasswordScheme::Plain) {
    // A clear-text compare is instant: add the hashing time so it does not stand out.
    auth::spend_verification_work(credentials.password);
    spdlog::warn("user {} has a {{PLAIN}} password; store a hash with: tern user passwd {}",
                 user->name, user->name);
  }
  co_return auth::verify_password(credentials.password, user->password);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, SessionServices& services, const ProtocolSettings& settings,
          ClientInfo client, std::shared_ptr<const config::RecipientDirectory> directory)
      : stream_(std::move(socket)),
        services_(services),
        config_(*services.config),
        directory_(std::move(directory)),
        protocol_(settings, std::move(client), *directory_,
                  [spool = services.spool] { return spool->free_space(); }),
        timer_(stream_.get_executor()),
        input_(command_buffer_size()) {}

  asio::awaitable<void> run();

 private:
  asio::awaitable<void> watchdog();
  void stop_watchdog() {
    closed_ = true;
    timer_.cancel();
  }
  // Starts a new smtpd_timeout period: for the client's next record, or for a write.
  void touch() {
    deadline_ =
        std::chrono::steady_clock::now() + std::chrono::seconds(config_.smtpd_timeout_seconds);
    record_bytes_ = 0;
  }
  void note_received(std::string_view bytes);
  std::size_t line_limit() const;
  std::size_t command_buffer_size() const;
  asio::awaitable<bool> read_more(bool message_data = false);
  asio::awaitable<bool> flush();
  asio::awaitable<void> report_read_failure(std::string_view stage);
  std::optional<std::string_view> next_line();
  asio::awaitable<bool> execute(Step step);
  asio::awaitable<bool> receive_data();
  asio::awaitable<bool> receive_chunk(std::uint64_t size, bool last);
  asio::awaitable<bool> skip_octets(std::uint64_t size);
  asio::awaitable<bool> start_tls();
  asio::awaitable<bool> authenticate(auth::Credentials credentials);
  asio::awaitable<void> pause(std::chrono::milliseconds delay);
  bool begin_message();
  asio::awaitable<smtp::Reply> commit_message();
  void write_to_message(std::string_view bytes);
  void write_content(std::string_view bytes);
  void finish_content();
  void queue_reply(const smtp::Reply& reply) { smtp::append_reply(output_, reply); }
  const char* stage() const;
  void log_rejection(const smtp::Reply& reply, std::string_view line);
  void warn_queue_space() const;

  std::size_t buffered() const { return input_.size(); }
  std::string_view buffered_view() const { return input_.data(); }

  net::SmtpStream stream_;
  SessionServices& services_;
  const config::Config& config_;
  std::shared_ptr<const config::RecipientDirectory> directory_;
  Protocol protocol_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  std::size_t record_bytes_ = 0;     // received since the last line end or deadline start
  bool waiting_for_client_ = false;  // a read, write or handshake is pending
  bool timed_out_ = false;
  bool closed_ = false;

  InputBuffer input_;
  bool discarding_long_line_ = false;
  std::string output_;

  std::optional<queue::IncomingMessage> message_;
  // Submission only: adds Message-ID/Date at the end of the client's header if missing.
  std::optional<HeaderCompletion> header_completion_;
  queue::Envelope envelope_;
  bool storage_failed_ = false;
  bool chunk_too_big_ = false;
  std::string last_verb_ = "CONNECT";
};

// smtpd_timeout bounds each record the client sends (a command line, a line of message content or
// line_length_limit octets of it) and each reply written, as Postfix's smtpd_per_record_deadline
// does: a client that trickles a byte now and then is cut off, however often it sends. Time the
// session spends on its own work (a commit, a password check) never counts against the client.
asio::awaitable<void> Session::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    auto now = std::chrono::steady_clock::now();
    timer_.expires_at(now < deadline_ ? deadline_ : now + kBusyRecheck);
    co_await timer_.async_wait(use_tuple);
    if (closed_) break;
    // Keeps watching after a timeout, so that writing the 421 is bounded too.
    if (waiting_for_client_ && std::chrono::steady_clock::now() >= deadline_) {
      timed_out_ = true;
      stream_.cancel();
    }
  }
}

// A line end, or line_length_limit octets without one, completes a record: the next one gets a
// fresh smtpd_timeout.
void Session::note_received(std::string_view bytes) {
  record_bytes_ += bytes.size();
  if (bytes.find('\n') != std::string_view::npos || record_bytes_ >= config_.line_length_limit) {
    touch();
  }
}

// RFC 4954 §4: an AUTH response line may be up to 12288 octets.
std::size_t Session::line_limit() const {
  return protocol_.in_auth_exchange() ? std::max<std::size_t>(config_.line_length_limit, 12288)
                                      : config_.line_length_limit;
}

// Room for the longest allowed line and its CRLF, so a line at the limit is still seen whole.
std::size_t Session::command_buffer_size() const {
  return std::max(kMinimumCommandBuffer, line_limit() + 2);
}

asio::awaitable<bool> Session::read_more(bool message_data) {
  std::span<char> space = input_.prepare(message_data ? kMessageBufferSize : command_buffer_size());
  if (space.empty()) co_return false;  // cannot happen: lines are bounded below the buffer size
  waiting_for_client_ = true;
  auto [error, count] = co_await stream_.read_some(asio::buffer(space.data(), space.size()));
  waiting_for_client_ = false;
  if (error || count == 0) co_return false;
  note_received(std::string_view(space.data(), count));
  input_.commit(count);
  co_return true;
}

// Postfix's log line for a client that went away or was cut off at `stage`; after a timeout, the
// client is told 421 first, whatever the stage (Postfix does the same, in DATA too).
asio::awaitable<void> Session::report_read_failure(std::string_view stage) {
  if (!timed_out_) {
    spdlog::info("lost connection after {} from {}", stage, protocol_.client().log_name());
    co_return;
  }
  spdlog::info("timeout after {} from {}", stage, protocol_.client().log_name());
  queue_reply(protocol_.on_timeout());
  co_await flush();
}

asio::awaitable<bool> Session::flush() {
  if (output_.empty()) co_return true;
  touch();
  waiting_for_client_ = true;
  asio::error_code error = co_await stream_.write_all(asio::buffer(output_));
  waiting_for_client_ = false;
  output_.clear();
  // The client's next record is due within smtpd_timeout of this reply.
  touch();
  co_return !error;
}

// The next complete command line without its line ending. A line longer than line_length_limit is
// discarded up to its end and reported once as too long; it is never buffered whole.
std::optional<std::string_view> Session::next_line() {
  std::size_t limit = line_limit();
  std::string_view pending = buffered_view();
  std::size_t newline = pending.find('\n');
  if (newline == std::string_view::npos) {
    if (pending.size() > limit) {
      discarding_long_line_ = true;
      input_.clear();
    }
    return std::nullopt;
  }
  input_.consume(newline + 1);
  std::string_view line = pending.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > limit) discarding_long_line_ = true;
  return line;
}

const char* Session::stage() const {
  if (message_) return "DATA";
  if (!protocol_.transaction().recipients.empty()) return "RCPT";
  if (protocol_.transaction().active) return "MAIL";
  return protocol_.helo_name().empty() ? "CONNECT" : "EHLO";
}

void Session::log_rejection(const smtp::Reply& reply, std::string_view line) {
  std::string text = reply.lines.empty() ? std::string() : reply.lines.front();
  std::string_view verb = line.substr(0, line.find(' '));
  const Transaction& transaction = protocol_.transaction();
  spdlog::info("NOQUEUE: reject: {} from {}: {} {} {}; from=<{}> proto={} helo=<{}>", verb,
               protocol_.client().log_name(), reply.code, reply.status, text,
               transaction.sender.address(), protocol_.protocol_name(), protocol_.helo_name());
}

// Postfix's warning when MAIL is refused for lack of queue space, so the admin sees why.
void Session::warn_queue_space() const {
  std::optional<std::uint64_t> free_bytes = services_.spool->free_space();
  spdlog::warn(
      "not enough free space in mail queue: {} bytes < 1.5*message size limit ({}) or "
      "queue_minfree ({})",
      free_bytes ? std::to_string(*free_bytes) : "unknown", config_.message_size_limit,
      config_.queue_minfree);
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  // The watchdog keeps the session alive until told to stop; if run() ends by an exception, the
  // guard tells it, so neither the session nor its timer outlives the connection.
  struct WatchdogStopper {
    Session& session;
    ~WatchdogStopper() { session.stop_watchdog(); }
  } stopper{*this};
  touch();
  asio::co_spawn(stream_.get_executor(), watchdog(), asio::detached);
  bool implicit_tls = protocol_.settings().role == config::ListenerRole::Smtps;
  if (implicit_tls && !co_await start_tls()) {
    stop_watchdog();
    stream_.close();
    spdlog::info("disconnect from {} {}", protocol_.client().log_name(),
                 protocol_.command_summary());
    co_return;
  }
  queue_reply(protocol_.greeting());
  bool open = true;
  while (open) {
    std::optional<std::string_view> line;
    while (open && (line = next_line())) {
      bool too_long = discarding_long_line_;
      discarding_long_line_ = false;
      Step step = too_long ? protocol_.on_line_too_long() : protocol_.on_line(*line);
      // Postfix logs temporary refusals of MAIL and RCPT as well as permanent ones.
      if (step.reply.code >= 400 && !too_long) {
        std::string_view verb = line->substr(0, line->find(' '));
        if (iequals(verb, "RCPT") || iequals(verb, "MAIL")) log_rejection(step.reply, *line);
        if (iequals(verb, "MAIL") && step.reply.status == "4.3.1") warn_queue_space();
      }
      if (step.action == Action::Drop) {
        spdlog::warn("non-SMTP command from {}: {}", protocol_.client().log_name(),
                     line->substr(0, 100));
      }
      open = co_await execute(std::move(step));
    }
    if (!open) break;
    if (!co_await flush()) break;
    if (!co_await read_more()) {
      co_await report_read_failure(stage());
      break;
    }
  }
  stop_watchdog();
  message_.reset();
  stream_.close();
  spdlog::info("disconnect from {} {}", protocol_.client().log_name(), protocol_.command_summary());
}

// An if-chain rather than a switch: g++ 12 miscompiles co_await inside switch cases of a coroutine
// into an endless loop.
asio::awaitable<bool> Session::execute(Step step) {
  Action action = step.action;
  if (action == Action::Reply) {
    queue_reply(step.reply);
    co_return true;
  }
  if (action == Action::Close) {
    if (step.reply.code == 421) {
      spdlog::info("too many errors after {} from {}", stage(), protocol_.client().log_name());
    }
    queue_reply(step.reply);
    co_await flush();
    co_return false;
  }
  if (action == Action::FlushQueue) {
    if (services_.flush_requested) services_.flush_requested(step.flush_destination);
    queue_reply(step.reply);
    co_return true;
  }
  if (action == Action::StartTls) {
    queue_reply(step.reply);
    if (!co_await flush()) co_return false;
    if (buffered() > 0) {
      // RFC 3207 §4: nothing sent before the handshake may count as a command after it.
      spdlog::warn("{}: discarding {} bytes pipelined after STARTTLS",
                   protocol_.client().log_name(), buffered());
      input_.clear();
    }
    co_return co_await start_tls();
  }
  if (action == Action::Authenticate) co_return co_await authenticate(std::move(step.credentials));
  if (action == Action::ReceiveData) co_return co_await receive_data();
  if (action == Action::ReceiveChunk) {
    co_return co_await receive_chunk(step.chunk_size, step.last_chunk);
  }
  if (action == Action::DiscardChunk) {
    if (!co_await skip_octets(step.chunk_size)) co_return false;
    queue_reply(step.reply);
    co_return true;
  }
  co_return false;  // Drop
}

asio::awaitable<bool> Session::start_tls() {
  if (services_.tls == nullptr) co_return false;
  touch();
  waiting_for_client_ = true;
  asio::error_code error = co_await stream_.start_tls(*services_.tls);
  waiting_for_client_ = false;
  touch();
  if (error) {
    spdlog::info("SSL_accept error from {}: {}", protocol_.client().log_name(),
                 timed_out_ ? "timeout" : error.message());
    co_return false;
  }
  std::string description = net::describe_tls_session(stream_.tls_session());
  if (config_.smtpd_tls_loglevel >= 1) {
    spdlog::info("Anonymous TLS connection established from {}: {}", protocol_.client().log_name(),
                 description);
  }
  protocol_.on_tls_started(std::move(description));
  co_return true;
}

asio::awaitable<void> Session::pause(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) co_return;
  asio::steady_timer timer(stream_.get_executor());
  timer.expires_after(delay);
  co_await timer.async_wait(use_tuple);
  touch();
}

// Brute-force defence: the throttle delays every attempt from an address or for a login that has
// failed recently, and each failure is logged the way fail2ban's postfix-sasl filter reads it.
asio::awaitable<bool> Session::authenticate(auth::Credentials credentials) {
  const std::string& address = protocol_.client().address;
  std::string login = to_lower_ascii(credentials.authcid);
  policy::AuthThrottle& throttle = *services_.auth_throttle;
  co_await pause(throttle.delay_for(address, login, std::chrono::steady_clock::now()));
  bool accepted = co_await asio::co_spawn(*services_.password_checks,
                                          check_password(directory_, std::move(credentials)),
                                          asio::use_awaitable);
  touch();
  auto now = std::chrono::steady_clock::now();
  if (accepted) {
    throttle.record_success(address, login, now);
  } else {
    throttle.record_failure(address, login, now);
    spdlog::warn("{}: SASL {} authentication failed: authentication failure",
                 protocol_.client().log_name(), protocol_.auth_method());
  }
  co_return co_await execute(protocol_.on_auth_result(accepted));
}

// Opens the spool file and writes the Received header first (RFC 5321 §4.4: prepended on arrival).
bool Session::begin_message() {
  envelope_ = protocol_.envelope();
  envelope_.arrival_time = static_cast<std::int64_t>(std::time(nullptr));
  auto message = services_.spool->begin(envelope_);
  if (!message) {
    spdlog::warn("cannot create queue file: {}", message.error().message);
    return false;
  }
  message_.emplace(std::move(message.value()));
  storage_failed_ = false;
  if (protocol_.login().empty()) {
    spdlog::info("{}: client={}", message_->queue_id(), protocol_.client().log_name());
  } else {
    spdlog::info("{}: client={}, sasl_method={}, sasl_username={}", message_->queue_id(),
                 protocol_.client().log_name(), protocol_.auth_method(), protocol_.login());
  }
  mime::ReceivedFacts facts{envelope_.helo,
                            envelope_.client_name,
                            envelope_.client_address,
                            envelope_.protocol,
                            protocol_.tls_description(),
                            envelope_.queue_id,
                            envelope_.recipients.size() == 1 ? envelope_.recipients[0].address : "",
                            static_cast<std::time_t>(envelope_.arrival_time)};
  write_to_message(mime::received_header(facts, config_.myhostname));
  header_completion_.reset();
  if (protocol_.settings().auth_required) {
    // What Postfix's cleanup does for submitted mail: a Message-ID and a Date when missing.
    header_completion_.emplace(
        std::vector<std::string>{"Message-ID", "Date"}, [this](const mime::HeaderScanner& scanner) {
          return mime::missing_header_fields(
              !scanner.has_field("Message-ID"), !scanner.has_field("Date"), envelope_.queue_id,
              config_.myhostname, static_cast<std::time_t>(envelope_.arrival_time));
        });
  }
  return true;
}

// The client's message bytes. While a submission message's header is being read, they go through
// the header completion, which holds back at most the start of one undecided line.
void Session::write_content(std::string_view bytes) {
  if (!header_completion_ || header_completion_->header_ended()) {
    write_to_message(bytes);
    return;
  }
  std::string ready;
  header_completion_->feed(bytes, ready);
  write_to_message(ready);
}

void Session::finish_content() {
  if (!header_completion_) return;
  std::string rest;
  header_completion_->finish(rest);
  write_to_message(rest);
}

void Session::write_to_message(std::string_view bytes) {
  if (storage_failed_ || !message_) return;
  Status written = message_->write(bytes);
  if (!written) {
    spdlog::warn("{}: queue file write error: {}", message_->queue_id(), written.error().message);
    storage_failed_ = true;
  }
}

asio::awaitable<smtp::Reply> Session::commit_message() {
  finish_content();
  if (storage_failed_) {
    message_.reset();
    co_return protocol_.on_message_failed(smtp::replies::insufficient_storage());
  }
  std::string queue_id = message_->queue_id();
  std::uint64_t size = message_->data_size();
  Status committed = co_await async_commit(*services_.spool, std::move(*message_));
  touch();  // the fsyncs were the server's time, not the client's
  message_.reset();
  if (!committed) {
    spdlog::warn("{}: cannot commit queue file: {}", queue_id, committed.error().message);
    co_return protocol_.on_message_failed(smtp::replies::insufficient_storage());
  }
  spdlog::info("{}: from=<{}>, size={}, nrcpt={} (queue active)", queue_id, envelope_.sender, size,
               envelope_.recipients.size());
  if (services_.message_queued) services_.message_queued(queue_id);
  co_return protocol_.on_message_queued(queue_id);
}

asio::awaitable<bool> Session::receive_data() {
  if (!begin_message()) {
    queue_reply(protocol_.on_message_failed(smtp::replies::storage_failure()));
    co_return true;
  }
  queue_reply(smtp::replies::start_data());
  if (!co_await flush()) co_return false;

  auto policy = config_.smtpd_forbid_bare_newline == config::BareNewline::Reject
                    ? smtp::BareNewlinePolicy::Reject
                    : smtp::BareNewlinePolicy::Normalize;
  smtp::DataDecoder decoder(policy, config_.message_size_limit);
  std::string decoded;
  while (true) {
    decoded.clear();
    input_.consume(decoder.feed(buffered_view(), decoded));
    if (!decoder.too_big()) write_content(decoded);
    if (decoder.finished()) break;
    input_.clear();
    if (!co_await read_more(/*message_data=*/true)) {
      message_.reset();
      co_await report_read_failure(fmt::format("DATA ({} bytes)", decoder.size()));
      co_return false;
    }
  }
  if (decoder.too_big()) {
    message_.reset();
    queue_reply(protocol_.on_message_failed(smtp::replies::size_exceeded_at_data()));
  } else if (decoder.saw_bare_newline() && policy == smtp::BareNewlinePolicy::Reject) {
    message_.reset();
    queue_reply(protocol_.on_message_failed(smtp::replies::bare_newline()));
  } else {
    queue_reply(co_await commit_message());
  }
  co_return true;
}

// BDAT (RFC 3030 §2): exactly `size` octets follow the command line, taken as they are.
asio::awaitable<bool> Session::receive_chunk(std::uint64_t size, bool last) {
  if (!message_) {
    if (!begin_message()) {
      if (!co_await skip_octets(size)) co_return false;
      queue_reply(protocol_.on_message_failed(smtp::replies::storage_failure()));
      co_return true;
    }
    chunk_too_big_ = false;
  }
  std::uint64_t remaining = size;
  while (remaining > 0) {
    if (buffered() == 0) {
      input_.clear();
      if (!co_await read_more(/*message_data=*/true)) {
        message_.reset();
        co_await report_read_failure("BDAT");
        co_return false;
      }
    }
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffered()));
    if (protocol_.transaction().chunked_size > config_.message_size_limit) {
      chunk_too_big_ = true;
    } else {
      write_content(buffered_view().substr(0, take));
    }
    input_.consume(take);
    remaining -= take;
  }
  if (!last) {
    queue_reply(protocol_.on_chunk_received(size));
    co_return true;
  }
  if (chunk_too_big_) {
    message_.reset();
    queue_reply(protocol_.on_message_failed(smtp::replies::size_exceeded_at_data()));
  } else {
    queue_reply(co_await commit_message());
  }
  co_return true;
}

asio::awaitable<bool> Session::skip_octets(std::uint64_t size) {
  while (size > 0) {
    if (buffered() == 0) {
      input_.clear();
      if (!co_await read_more(/*message_data=*/true)) {
        co_await report_read_failure("BDAT");
        co_return false;
      }
    }
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(size, buffered()));
    input_.consume(take);
    size -= take;
  }
  co_return true;
}

}  // namespace

asio::awaitable<void> run_session(asio::ip::tcp::socket socket, SessionServices& services,
                                  const ProtocolSettings& settings) {
  asio::error_code error;
  auto remote = socket.remote_endpoint(error);
  if (error) co_return;
  ClientInfo client;
  asio::ip::address address = remote.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  client.address = address.to_string();
  client.name = "unknown";
  client.in_mynetworks = is_in_networks(services.config->mynetworks, client.address);
  spdlog::info("connect from {}", client.log_name());

  policy::Admission admission = services.limits->admit(client.address, client.in_mynetworks);
  if (admission != policy::Admission::Admitted) {
    spdlog::warn("{} connection limit exceeded: {} from {}",
                 admission == policy::Admission::GlobalLimit ? "global" : "per-client",
                 services.limits->active(), client.log_name());
    std::string refusal =
        smtp::format_reply(smtp::replies::too_many_connections(services.config->myhostname));
    co_await asio::async_write(socket, asio::buffer(refusal), use_tuple);
    socket.close(error);
    spdlog::info("disconnect from {} commands=0", client.log_name());
    co_return;
  }
  std::string address_text = client.address;
  try {
    auto session = std::make_shared<Session>(std::move(socket), services, settings,
                                             std::move(client), services.directory());
    co_await session->run();
  } catch (const std::exception& failure) {
    spdlog::error("session with {} failed: {}", address_text, failure.what());
  }
  services.limits->release(address_text);
}

}  // namespace tern::server
