// The pickup socket: the pure line protocol, then one coroutine per connection that reads the
// command lines, streams the message into the spool (line endings normalized, Received:, and the
// Message-ID:, Date: and From: fields Postfix's cleanup adds when missing), awaits the group
// commit and answers. Only the client's own I/O runs under the deadline: once the message is read,
// the commit is the server's business, and its answer always follows it.
#include "server/pickup.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>

#include "base/strings.hpp"
#include "mime/date.hpp"
#include "mime/message_id.hpp"
#include "server/commit.hpp"
#include "server/header_completion.hpp"
#include "smtp/address.hpp"

namespace tern::server {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
using local = asio::local::stream_protocol;
constexpr std::chrono::seconds kDeadline(60);
constexpr std::size_t kReadSize = 64 * 1024;

Result<Unit, PickupRefusal> refuse(std::string status, std::string text) {
  return PickupRefusal{std::move(status), std::move(text)};
}

bool has_non_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

}  // namespace

std::string format_pickup_refusal(const PickupRefusal& refusal) {
  std::string text = fmt::format("error: {} {}", refusal.status, refusal.text);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';  // one line, always
  }
  return text;
}

Result<std::string> local_submission_address(std::string_view text, bool allow_null,
                                             std::string_view myorigin) {
  std::string_view inner = trim(text);
  if (inner.size() >= 2 && inner.front() == '<' && inner.back() == '>') {
    inner = inner.substr(1, inner.size() - 2);
  }
  auto mailbox = smtp::parse_path(inner, allow_null, /*allow_utf8=*/true);
  if (!mailbox && !inner.empty() && inner.find('@') == std::string_view::npos) {
    mailbox = smtp::parse_path(fmt::format("{}@{}", inner, myorigin), allow_null, true);
  }
  if (!mailbox) {
    const std::string& detail = mailbox.error().detail;
    return Error{fmt::format("bad address syntax: <{}>{}", inner,
                             detail == "bad address syntax" ? "" : " (" + detail + ")")};
  }
  if (mailbox->is_null) return std::string();
  std::string domain = mailbox->domain.empty() ? std::string(myorigin) : mailbox->domain;
  return fmt::format("{}@{}", mailbox->local_part, to_lower_ascii(domain));
}

Result<Unit, PickupRefusal> apply_pickup_line(PickupRequest& request, std::string_view line,
                                              const PickupSettings& settings) {
  if (request.data_length) return refuse("5.5.1", "nothing may follow DATA");
  std::size_t space = line.find(' ');
  std::string_view verb = line.substr(0, space);
  std::string_view argument = space == std::string_view::npos ? "" : trim(line.substr(space + 1));
  if (iequals(verb, "MAIL")) {
    if (request.sender) return refuse("5.5.1", "MAIL given twice");
    if (!request.recipients.empty()) return refuse("5.5.1", "MAIL must come before RCPT");
    auto sender = local_submission_address(argument, /*allow_null=*/true, settings.myorigin);
    if (!sender) return refuse("5.1.7", "sender " + sender.error().message);
    request.smtputf8 = request.smtputf8 || has_non_ascii(*sender);
    request.sender = std::move(sender.value());
    return Unit{};
  }
  if (iequals(verb, "NAME")) {
    request.full_name = std::string(argument);
    return Unit{};
  }
  if (iequals(verb, "RCPT")) {
    auto recipient = local_submission_address(argument, /*allow_null=*/false, settings.myorigin);
    if (!recipient) return refuse("5.1.3", "recipient " + recipient.error().message);
    for (const std::string& known : request.recipients) {
      if (iequals(known, *recipient)) return Unit{};  // one copy per recipient
    }
    if (request.recipients.size() >= settings.recipient_limit) {
      return refuse("5.5.3",
                    fmt::format("too many recipients (limit {})", settings.recipient_limit));
    }
    request.smtputf8 = request.smtputf8 || has_non_ascii(*recipient);
    request.recipients.push_back(std::move(recipient.value()));
    return Unit{};
  }
  if (iequals(verb, "DATA")) {
    if (request.recipients.empty()) return refuse("5.5.1", "no recipients specified");
    std::uint64_t length = 0;
    auto [end, error] = std::from_chars(argument.data(), argument.data() + argument.size(), length);
    if (argument.empty() || error != std::errc{} || end != argument.data() + argument.size()) {
      return refuse("5.5.4", "DATA needs the message length in octets");
    }
    if (length > settings.message_size_limit) return refuse("5.3.4", "message file too big");
    request.data_length = length;
    return Unit{};
  }
  return refuse("5.5.2", "unknown command (expected MAIL, NAME, RCPT or DATA)");
}

void LineEndNormalizer::feed(std::string_view bytes, std::string& out) {
  if (bytes.empty()) return;
  std::size_t start = 0;
  for (std::size_t newline = bytes.find('\n'); newline != std::string_view::npos;
       newline = bytes.find('\n', start)) {
    bool after_cr = newline > 0 ? bytes[newline - 1] == '\r' : after_cr_;
    out.append(bytes.data() + start, newline - start);
    out += after_cr ? "\n" : "\r\n";
    start = newline + 1;
  }
  out.append(bytes.data() + start, bytes.size() - start);
  after_cr_ = bytes.back() == '\r';
  at_line_start_ = bytes.back() == '\n';
}

void LineEndNormalizer::finish(std::string& out) {
  if (!at_line_start_) out += after_cr_ ? "\n" : "\r\n";
  at_line_start_ = true;
  after_cr_ = false;
}

std::string pickup_received_header(std::string_view hostname, std::uint64_t uid,
                                   std::string_view queue_id, std::time_t time) {
  return fmt::format("Received: by {} (tern, from userid {})\r\n\tid {}; {}\r\n", hostname, uid,
                     queue_id, mime::rfc5322_date(time));
}

std::string pickup_from_field(std::string_view sender, std::string_view full_name,
                              std::string_view myorigin) {
  std::string address =
      sender.empty() ? fmt::format("MAILER-DAEMON@{}", myorigin) : std::string(sender);
  std::string name;
  for (char c : full_name) {
    if (c == '\t') c = ' ';
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) name += c;
  }
  name = std::string(trim(name));
  if (name.empty()) return fmt::format("From: {}\r\n", address);
  // RFC 5322 §3.2.3: a phrase of atoms may not hold specials; a quoted-string may hold anything
  // but '"' and '\' unescaped.
  if (name.find_first_of("()<>[]:;@\\,.\"") != std::string::npos) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    name = quoted + "\"";
  }
  return fmt::format("From: {} <{}>\r\n", name, address);
}

namespace {

struct Submitter {
  std::uint64_t uid = 0;
  std::string name;  // empty when the uid has no passwd entry
};

// Who is on the other end, as the kernel recorded at connect(): the client cannot lie about it.
std::optional<Submitter> peer_user(local::socket& socket) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return std::nullopt;
  }
  Submitter submitter{credentials.uid, ""};
  long suggested = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  int error = 0;
  while ((error = ::getpwuid_r(credentials.uid, &entry, buffer.data(), buffer.size(), &found)) ==
             ERANGE &&
         buffer.size() < (1u << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  if (error == 0 && found != nullptr) submitter.name = found->pw_name;
  return submitter;
}

// One submission. The deadline closes the socket, which ends any read or write in progress; its
// handler holds the connection, so a deadline that fires as the connection ends finds it alive.
class PickupConnection : public std::enable_shared_from_this<PickupConnection> {
 public:
  PickupConnection(local::socket socket, PickupServices& services)
      : socket_(std::move(socket)),
        services_(services),
        config_(*services.config),
        deadline_(socket_.get_executor()) {}

  asio::awaitable<void> run();

 private:
  asio::awaitable<std::string> submit();
  asio::awaitable<std::optional<std::string>> read_line();
  asio::awaitable<bool> receive_message(std::uint64_t length, queue::IncomingMessage& message,
                                        HeaderCompletion& completion);
  void log_refusal(const std::string& answer) const;

  local::socket socket_;
  PickupServices& services_;
  const config::Config& config_;
  asio::steady_timer deadline_;
  bool timed_out_ = false;
  bool client_io_ = true;  // false once the message is read: the deadline no longer applies
  std::string input_;      // read but not yet used
  Submitter submitter_;
  std::string queue_id_;  // once the queue file exists
};

asio::awaitable<void> PickupConnection::run() {
  deadline_.expires_after(kDeadline);
  deadline_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (error || !self->client_io_) return;
    self->timed_out_ = true;
    asio::error_code ignored;
    self->socket_.close(ignored);
  });
  std::string answer = co_await submit();
  if (answer.starts_with("error")) log_refusal(answer);
  answer += '\n';
  if (socket_.is_open()) co_await asio::async_write(socket_, asio::buffer(answer), use_tuple);
  deadline_.cancel();
}

void PickupConnection::log_refusal(const std::string& answer) const {
  spdlog::info("{}: reject: pickup from uid={}: {}", queue_id_.empty() ? "NOQUEUE" : queue_id_,
               submitter_.uid, std::string_view(answer).substr(7));
}

// A command line without its line ending; nullopt when the client went away, timed out, or sent a
// line longer than line_length_limit (which is never buffered whole).
asio::awaitable<std::optional<std::string>> PickupConnection::read_line() {
  auto [error, length] = co_await asio::async_read_until(
      socket_, asio::dynamic_buffer(input_, config_.line_length_limit), '\n', use_tuple);
  if (error) co_return std::nullopt;
  std::string line = input_.substr(0, length - 1);
  input_.erase(0, length);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  co_return line;
}

asio::awaitable<std::string> PickupConnection::submit() {
  auto submitter = peer_user(socket_);
  if (!submitter) {
    co_return format_pickup_refusal({"4.3.0", "cannot tell who submits (SO_PEERCRED failed)"});
  }
  submitter_ = std::move(*submitter);
  PickupSettings settings{config_.myorigin, config_.smtpd_recipient_limit,
                          config_.message_size_limit};
  PickupRequest request;
  while (!request.data_length) {
    auto line = co_await read_line();
    if (!line) {
      if (timed_out_) co_return format_pickup_refusal({"4.4.2", "timeout"});
      co_return format_pickup_refusal({"5.5.2", "command line missing or too long"});
    }
    auto applied = apply_pickup_line(request, *line, settings);
    if (!applied) co_return format_pickup_refusal(applied.error());
  }
  if (!request.sender) {
    if (submitter_.name.empty()) {
      co_return format_pickup_refusal(
          {"5.1.7",
           fmt::format("no login name found for user ID {}: give a sender (-f)", submitter_.uid)});
    }
    auto sender = local_submission_address(submitter_.name, false, config_.myorigin);
    if (!sender) co_return format_pickup_refusal({"5.1.7", "sender " + sender.error().message});
    request.sender = std::move(sender.value());
  }

  queue::Envelope envelope;
  envelope.sender = *request.sender;
  for (std::string& address : request.recipients) {
    queue::Recipient recipient;
    recipient.address = std::move(address);
    envelope.recipients.push_back(std::move(recipient));
  }
  envelope.smtputf8 = request.smtputf8;
  envelope.arrival_time = static_cast<std::int64_t>(std::time(nullptr));
  // As daemon.cpp's notifications: mail that never crossed the network comes from this host.
  envelope.client_name = "localhost";
  envelope.client_address = "127.0.0.1";
  envelope.protocol = "LOCAL";
  auto message = services_.spool->begin(envelope);
  if (!message) {
    spdlog::warn("cannot create queue file: {}", message.error().message);
    co_return format_pickup_refusal({"4.3.0", "cannot create queue file"});
  }
  queue_id_ = message->queue_id();
  const std::string& queue_id = queue_id_;
  spdlog::info("{}: uid={} from=<{}>", queue_id, submitter_.uid, envelope.sender);

  std::string received = pickup_received_header(config_.myhostname, submitter_.uid, queue_id,
                                                static_cast<std::time_t>(envelope.arrival_time));
  Status written = message->write(received);
  // What Postfix's cleanup adds to mail from sendmail: Message-ID, Date, and From.
  HeaderCompletion completion(
      {"Message-ID", "Date", "From"}, [&](const mime::HeaderScanner& scanner) {
        std::string fields = mime::missing_header_fields(
            !scanner.has_field("Message-ID"), !scanner.has_field("Date"), queue_id,
            config_.myhostname, static_cast<std::time_t>(envelope.arrival_time));
        if (!scanner.has_field("From")) {
          fields += pickup_from_field(envelope.sender, request.full_name, config_.myorigin);
        }
        return fields;
      });
  bool stored = false;
  if (written) stored = co_await receive_message(*request.data_length, message.value(), completion);
  if (!stored) {
    if (timed_out_) co_return format_pickup_refusal({"4.4.2", "timeout while reading the message"});
    if (!socket_.is_open()) co_return format_pickup_refusal({"4.4.2", "connection lost"});
    co_return format_pickup_refusal({"4.3.0", "queue file write error"});
  }
  client_io_ = false;  // from here on, the time is the server's own
  deadline_.cancel();
  std::uint64_t size = message->data_size();
  Status committed = co_await async_commit(*services_.spool, std::move(message.value()));
  if (!committed) {
    spdlog::warn("{}: cannot commit queue file: {}", queue_id, committed.error().message);
    co_return format_pickup_refusal({"4.3.0", "queue file write error"});
  }
  spdlog::info("{}: from=<{}>, size={}, nrcpt={} (queue active)", queue_id, envelope.sender, size,
               envelope.recipients.size());
  if (services_.message_queued) services_.message_queued(queue_id);
  co_return fmt::format("ok {}", queue_id);
}

// Reads exactly `length` octets (some may already be in input_) and writes them normalized and
// completed. False when the client went away or the spool could not be written.
asio::awaitable<bool> PickupConnection::receive_message(std::uint64_t length,
                                                        queue::IncomingMessage& message,
                                                        HeaderCompletion& completion) {
  LineEndNormalizer normalizer;
  std::string normalized;
  std::string completed;
  bool stored = true;
  auto store = [&](std::string_view bytes) {
    normalized.clear();
    completed.clear();
    normalizer.feed(bytes, normalized);
    completion.feed(normalized, completed);
    if (stored && !completed.empty()) stored = static_cast<bool>(message.write(completed));
  };
  std::uint64_t remaining = length;
  std::size_t buffered =
      static_cast<std::size_t>(std::min<std::uint64_t>(remaining, input_.size()));
  store(std::string_view(input_).substr(0, buffered));
  remaining -= buffered;
  input_.clear();
  std::vector<char> chunk(kReadSize);
  while (remaining > 0) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
    auto [error, count] =
        co_await socket_.async_read_some(asio::buffer(chunk.data(), want), use_tuple);
    if (error || count == 0) {
      asio::error_code ignored;
      if (!timed_out_) socket_.close(ignored);
      co_return false;
    }
    store(std::string_view(chunk.data(), count));
    remaining -= count;
  }
  normalized.clear();
  completed.clear();
  normalizer.finish(normalized);
  completion.feed(normalized, completed);
  completion.finish(completed);
  if (stored && !completed.empty()) stored = static_cast<bool>(message.write(completed));
  if (!stored) spdlog::warn("{}: queue file write error", message.queue_id());
  co_return stored;
}

asio::awaitable<void> answer(local::socket socket, PickupServices& services) {
  try {
    auto connection = std::make_shared<PickupConnection>(std::move(socket), services);
    co_await connection->run();
  } catch (const std::exception& failure) {
    spdlog::error("pickup: {}", failure.what());
  }
}

}  // namespace

std::string pickup_socket_path(const std::string& queue_directory) {
  return queue_directory + "/public/pickup";
}

Result<local::acceptor> open_pickup_socket(asio::io_context& context, const std::string& path) {
  std::string public_directory = path.substr(0, path.rfind('/'));
  std::string queue_directory = public_directory.substr(0, public_directory.rfind('/'));
  // Local users must reach public/pickup: the queue_directory needs search permission for all,
  // as Postfix's /var/spool/postfix has (0755). The spool folders below it stay 0700.
  struct stat status {};
  if (::stat(queue_directory.c_str(), &status) == 0 && (status.st_mode & 0755) != 0755) {
    if (::chmod(queue_directory.c_str(), (status.st_mode & 07777) | 0755) != 0) {
      return Error{
          fmt::format("cannot make {} mode 0755: {}", queue_directory, std::strerror(errno))};
    }
  }
  if (::mkdir(public_directory.c_str(), 0755) != 0 && errno != EEXIST) {
    return Error{fmt::format("cannot create {}: {}", public_directory, std::strerror(errno))};
  }
  ::chmod(public_directory.c_str(), 0755);  // whatever the umask made of it
  ::unlink(path.c_str());
  local::acceptor acceptor(context);
  asio::error_code error;
  acceptor.open(local::endpoint(path).protocol(), error);
  if (!error) acceptor.bind(local::endpoint(path), error);
  if (!error) acceptor.listen(64, error);
  if (error) return Error{fmt::format("pickup socket {}: {}", path, error.message())};
  if (::chmod(path.c_str(), 0666) != 0) {
    return Error{fmt::format("cannot make {} mode 0666: {}", path, std::strerror(errno))};
  }
  return acceptor;
}

asio::awaitable<void> serve_pickup_socket(local::acceptor acceptor, PickupServices& services) {
  auto executor = acceptor.get_executor();
  while (acceptor.is_open()) {
    auto [error, socket] = co_await acceptor.async_accept(use_tuple);
    if (error == asio::error::operation_aborted) break;
    if (error) {
      spdlog::warn("pickup socket: {}", error.message());
      continue;
    }
    asio::co_spawn(executor, answer(std::move(socket), services), asio::detached);
  }
}

}  // namespace tern::server
