// The command is glue: every decision is in send_options (usage), message_builder (the message),
// smtp::ClientProtocol (the conversation) and send_report (what to say). The message is built
// twice when it holds 8-bit text, once as 8bit and once as quoted-printable, both in one memfd;
// the client picks one when it has seen the server's EHLO (before_transaction), so the SIZE=
// announced is that of the bytes sent.
#include "cli/send_command.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <random>

#include "base/strings.hpp"
#include "cli/send_report.hpp"
#include "cli/terminal_password.hpp"
#include "delivery/relay_credentials.hpp"
#include "delivery/smtp_client.hpp"
#include "mime/date.hpp"
#include "mime/message_builder.hpp"
#include "mime/message_id.hpp"
#include "net/tcp_connect.hpp"
#include "net/tls_context.hpp"
#include "smtp/remote_reply.hpp"

namespace tern::cli {
namespace {

constexpr std::string_view kDefaultSubject = "test";
constexpr std::string_view kDefaultBody = "This is a test message sent by tern send.\n";

bool has_8bit(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// The bytes a TextSource names. `option` names it in errors.
Result<std::string> read_source(const TextSource& source, std::string_view option,
                                const SendEnvironment& environment) {
  if (source.kind == TextSource::Kind::Text) return source.value;
  Result<std::string> text = source.kind == TextSource::Kind::Stdin
                                 ? environment.read_stdin()
                                 : environment.read_file(source.value);
  if (!text) return Error{fmt::format("{} {}", option, text.error().message)};
  return text;
}

std::string basename_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string domain_of(const std::string& address) {
  std::size_t at = address.rfind('@');
  return at == std::string::npos ? std::string() : address.substr(at + 1);
}

// The message as sent: one or two renderings in a memfd.
struct PreparedMessage {
  int fd = -1;
  delivery::MessageData eight_bit;  // or the only rendering
  std::optional<delivery::MessageData> seven_bit;
  bool has_8bit = false;
  bool utf8_header = false;
  ~PreparedMessage() {
    if (fd >= 0) ::close(fd);
  }
};

Status write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0)
      return Error{fmt::format("cannot write the message: {}", std::strerror(errno))};
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return ok_status();
}

// The message's renderings (the 8-bit one first); reading what the options name can fail.
Result<std::vector<std::string>> build_renderings(const SendOptions& options,
                                                  const SendEnvironment& environment,
                                                  const std::string& sender,
                                                  PreparedMessage& prepared) {
  std::vector<std::string> renderings;
  if (options.data) {
    auto data = read_source(*options.data, "--data", environment);
    if (!data) return data.error();
    std::string message = mime::normalize_line_endings(*data);
    std::size_t header_end = message.find("\r\n\r\n");
    std::string_view header = std::string_view(message).substr(0, header_end);
    prepared.has_8bit = has_8bit(message);
    prepared.utf8_header = options.smtputf8 && has_8bit(header);
    renderings.push_back(std::move(message));
  } else {
    mime::MessageSpec spec;
    spec.from = options.from;
    if (spec.from.address.empty()) spec.from.address = sender;
    spec.to = options.to;
    spec.cc = options.cc;
    spec.subject = options.subject.value_or(std::string(kDefaultSubject));
    spec.headers = options.headers;
    if (options.body) {
      auto body = read_source(*options.body, "--body", environment);
      if (!body) return body.error();
      spec.text = std::move(*body);
    } else if (!options.html) {
      spec.text = kDefaultBody;
    }
    if (options.html) {
      auto html = read_source(*options.html, "--html", environment);
      if (!html) return html.error();
      spec.html = std::move(*html);
    }
    for (const std::string& path : options.attachments) {
      auto content = environment.read_file(path);
      if (!content) return Error{fmt::format("--attach {}", content.error().message)};
      spec.attachments.push_back({basename_of(path), std::move(*content), ""});
    }
    std::string domain = domain_of(spec.from.address);
    if (domain.empty() || has_8bit(domain)) domain = environment.hostname;
    spec.date = mime::rfc5322_date(environment.now);
    spec.message_id = mime::make_message_id(environment.unique_id, domain, environment.now);
    spec.user_agent = "tern/" TERN_VERSION;
    spec.boundary_seed = environment.unique_id;
    mime::BuildOptions build{options.smtputf8, true};
    mime::BuiltMessage eight = mime::build_message(spec, build);
    prepared.has_8bit = eight.eight_bit;
    prepared.utf8_header = eight.utf8_header;
    renderings.push_back(std::move(eight.data));
    if (prepared.has_8bit && !options.eight_bit_mime) {
      build.eight_bit = false;
      renderings.push_back(mime::build_message(spec, build).data);
    }
  }
  return renderings;
}

// Both renderings one after the other in an anonymous in-memory file.
Status write_renderings(const std::vector<std::string>& renderings, PreparedMessage& prepared) {
  prepared.fd = ::memfd_create("tern-send", MFD_CLOEXEC);
  if (prepared.fd < 0) {
    return Error{fmt::format("cannot create the message file: {}", std::strerror(errno))};
  }
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < renderings.size(); ++i) {
    if (Status written = write_all(prepared.fd, renderings[i]); !written) return written;
    delivery::MessageData data{prepared.fd, offset, renderings[i].size()};
    if (i == 0) {
      prepared.eight_bit = data;
    } else {
      prepared.seven_bit = data;
    }
    offset += renderings[i].size();
  }
  return ok_status();
}

smtp::OutboundMessage outbound_message(const SendOptions& options, const std::string& sender,
                                       const PreparedMessage& prepared) {
  smtp::OutboundMessage message;
  message.sender = sender;
  for (const std::string& address : options.recipients()) {
    smtp::OutboundRecipient recipient{address, options.dsn_notify};
    if (options.dsn_notify != 0) {
      recipient.orcpt_type = has_8bit(address) ? "utf-8" : "rfc822";
      recipient.orcpt_address = address;
    }
    message.recipients.push_back(std::move(recipient));
  }
  message.size = prepared.eight_bit.length;
  message.body = prepared.has_8bit || options.eight_bit_mime ? smtp::Body::EightBitMime
                                                             : smtp::Body::Unspecified;
  message.smtputf8 = options.smtputf8;
  message.utf8_header = prepared.utf8_header;
  message.ret = options.dsn_ret;
  message.envid = options.envid;
  return message;
}

smtp::TlsPolicy tls_policy(const SendOptions& options) {
  if (options.tls == TlsMode::None) return smtp::TlsPolicy::None;
  if (options.tls == TlsMode::StartTlsOptional) return smtp::TlsPolicy::May;
  return options.tls_verify ? smtp::TlsPolicy::Verify : smtp::TlsPolicy::Encrypt;
}

std::string tls_mode_name(TlsMode mode) {
  if (mode == TlsMode::StartTlsOptional) return "starttls-optional";
  if (mode == TlsMode::StartTlsRequired) return "starttls";
  if (mode == TlsMode::OnConnect) return "on-connect";
  return "none";
}

smtp::ClientCredentials credentials(const SendOptions& options, const std::string& password) {
  return delivery::client_credentials({options.auth_user, password},
                                      options.auth_mechanism != AuthMechanism::Login,
                                      options.auth_mechanism != AuthMechanism::Plain);
}

// The mechanism ClientProtocol::begin_auth picks: PLAIN when offered and allowed, else LOGIN.
std::string auth_mechanism_used(const SendOptions& options, const smtp::ServerFeatures& features) {
  auto offered = [&](std::string_view name) {
    return std::find(features.auth_mechanisms.begin(), features.auth_mechanisms.end(), name) !=
           features.auth_mechanisms.end();
  };
  if (options.auth_mechanism != AuthMechanism::Login && offered("PLAIN")) return "PLAIN";
  if (options.auth_mechanism != AuthMechanism::Plain && offered("LOGIN")) return "LOGIN";
  if (options.auth_mechanism == AuthMechanism::Plain) return "PLAIN";
  if (options.auth_mechanism == AuthMechanism::Login) return "LOGIN";
  return "";
}

delivery::SmtpServerAddress server_address(const net::ConnectTarget& target,
                                           const asio::ip::tcp::socket& socket) {
  delivery::SmtpServerAddress server;
  server.port = target.port;
  asio::error_code not_literal;
  asio::ip::address literal = asio::ip::make_address(target.host, not_literal);
  if (!not_literal) {
    server.address = literal;  // host stays empty: "192.0.2.1[192.0.2.1]"
    return server;
  }
  server.host = target.host;
  asio::error_code ignored;
  server.address = socket.remote_endpoint(ignored).address();  // through a proxy: the proxy's
  return server;
}

asio::awaitable<void> converse(const SendOptions& options, const smtp::OutboundMessage& message,
                               const delivery::MessageData& data,
                               const delivery::SmtpClientOptions& client, SendFacts& facts) {
  auto timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000));
  auto connection = co_await net::connect_tcp(options.target, options.proxy, timeout);
  if (!connection) {
    facts.connect_error = connection.error().message;
    co_return;
  }
  facts.peer = connection->peer;
  delivery::SmtpServerAddress server = server_address(options.target, connection->socket);
  facts.attempt = co_await delivery::deliver_over_connection(std::move(connection->socket), server,
                                                             message, data, client);
}

}  // namespace

int run_send_command(const SendOptions& options, const SendEnvironment& environment,
                     std::ostream& out, std::ostream& errors) {
  std::string sender = options.from.address.empty()
                           ? fmt::format("{}@{}", environment.login, environment.hostname)
                           : options.from.address;
  PreparedMessage prepared;
  auto renderings = build_renderings(options, environment, sender, prepared);
  if (!renderings) {
    errors << "tern: " << renderings.error().message << "\n";
    return kSendUsage;
  }
  if (Status written = write_renderings(*renderings, prepared); !written) {
    errors << "tern: " << written.error().message << "\n";
    return kSendLocalError;
  }
  std::string password;
  if (options.auth) {
    if (options.auth_password) {
      password = *options.auth_password;
    } else if (environment.password_variable) {
      password = *environment.password_variable;
    } else {
      auto typed = environment.ask_password(fmt::format("Password for {}: ", options.auth_user));
      if (!typed) {
        errors << "tern: " << typed.error().message
               << " (give --auth-password or set TERN_PASSWORD)\n";
        return kSendUsage;
      }
      password = std::move(*typed);
    }
  }

  std::shared_ptr<asio::ssl::context> tls_context;
  if (options.tls != TlsMode::None) {
    net::TlsClientSettings settings;
    settings.ca_file = options.tls_ca_file;
    auto context = net::make_client_tls_context(settings);
    if (!context) {
      errors << "tern: " << context.error().message << "\n";
      return kSendUsage;
    }
    tls_context = *context;
  }

  SendFacts facts;
  facts.server = options.server_text;
  facts.proxy = options.proxy_text;
  facts.sender = sender;
  facts.recipients = options.recipients();
  facts.tls_mode = tls_mode_name(options.tls);
  facts.auth_user = options.auth ? options.auth_user : "";
  facts.quit_after = options.quit_after;
  facts.smtputf8 = options.smtputf8;
  facts.dsn_requested = options.dsn_notify != 0 || options.dsn_ret != smtp::Ret::Unspecified ||
                        !options.envid.empty();

  smtp::OutboundMessage message = outbound_message(options, sender, prepared);
  delivery::MessageData data = prepared.eight_bit;
  facts.size = message.size;
  facts.eight_bit = message.body == smtp::Body::EightBitMime;

  delivery::SmtpClientOptions client;
  client.helo_name = options.ehlo.empty() ? environment.hostname : options.ehlo;
  client.tls_policy = tls_policy(options);
  client.tls_context = tls_context;
  client.tls_on_connect = options.tls == TlsMode::OnConnect;
  client.pipelining = options.pipeline;
  if (options.auth) client.credentials = credentials(options, password);
  client.auth_required = options.auth;
  auto timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000));
  client.timeouts = {timeout, timeout, timeout, timeout, timeout, timeout, timeout, timeout};
  client.keep_transcript = options.verbose;
  client.quit_after = options.quit_after;
  client.reply_observer = [&facts](smtp::ClientStage stage, std::size_t recipient,
                                   std::string_view raw) {
    facts.replies.push_back({stage, recipient, smtp::parse_remote_reply(raw).diagnostic});
  };
  client.before_transaction = [&](const smtp::ServerFeatures& features,
                                  smtp::OutboundMessage& chosen) -> Status {
    if (options.eight_bit_mime && !features.eight_bit_mime) {
      return Error{"8BITMIME is required (--8bitmime), but was not offered by the server"};
    }
    if (prepared.seven_bit && !features.eight_bit_mime) {
      // RFC 6152 §3: 8-bit data only to a server that said 8BITMIME; the other rendering is 7-bit.
      data = *prepared.seven_bit;
      chosen.body = smtp::Body::Unspecified;
      chosen.size = data.length;
    }
    facts.size = chosen.size;
    facts.eight_bit = chosen.body == smtp::Body::EightBitMime;
    return ok_status();
  };

  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, converse(options, message, data, client, facts),
                 [&failure](std::exception_ptr error) { failure = error; });
  io.run();
  if (!password.empty()) ::explicit_bzero(password.data(), password.size());
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      errors << "tern: " << error.what() << "\n";
    }
    return kSendLocalError;
  }
  facts.quit_as_asked = facts.attempt.quit_as_asked;
  if (options.auth && !facts.connect_error) {
    facts.auth_mechanism = auth_mechanism_used(options, facts.attempt.features);
  }

  SendReport report = make_send_report(facts);
  if (options.json) {
    out << send_report_json(facts, report, options.verbose).dump(2) << "\n";
  } else {
    for (const std::string& line : facts.attempt.transcript) {
      out << format_transcript_line(line, environment.colour) << "\n";
    }
    if (!report.summary.empty()) out << report.summary << "\n";
  }
  out.flush();
  for (const std::string& warning : report.warnings) errors << "tern: warning: " << warning << "\n";
  for (const std::string& line : report.errors) errors << "tern: " << line << "\n";
  return report.exit_code;
}

namespace {

// Everything left on `fd`; `name` for the error.
Result<std::string> read_all(int fd, const std::string& name) {
  std::string content;
  char buffer[65536];
  while (true) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error{fmt::format("{}: {}", name, std::strerror(errno))};
    if (got == 0) return content;
    content.append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace

Result<std::string> read_whole_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("{}: {}", path, std::strerror(errno))};
  Result<std::string> content = read_all(fd, path);
  ::close(fd);
  return content;
}

SendEnvironment process_send_environment() {
  SendEnvironment environment;
  environment.read_stdin = [] { return read_all(STDIN_FILENO, "standard input"); };
  environment.ask_password = [](std::string_view prompt) {
    return read_password_from_terminal(prompt);
  };
  if (const char* password = std::getenv("TERN_PASSWORD")) {
    environment.password_variable = password;
  }
  environment.read_file = read_whole_file;
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof hostname - 1) == 0 && hostname[0] != '\0') {
    environment.hostname = hostname;
  } else {
    environment.hostname = "localhost";
  }
  const passwd* entry = ::getpwuid(::getuid());
  const char* user = std::getenv("USER");
  environment.login = entry ? entry->pw_name : user ? user : "root";
  environment.now = std::time(nullptr);
  std::random_device random;
  environment.unique_id = fmt::format("{:08X}{:08X}", random(), random());
  environment.colour = ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
  return environment;
}

}  // namespace tern::cli
