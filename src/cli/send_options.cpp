// The checks follow swaks where it has the option and tern's rules where security is at stake:
// credentials are never sent in the clear, so --auth needs TLS; --tls-verify means TLS is
// required. Port 465 without a TLS option means --tls-on-connect (RFC 8314 §3.3).
#include "cli/send_options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "base/strings.hpp"
#include "smtp/address.hpp"

namespace tern::cli {
namespace {

constexpr std::uint16_t kSmtpPort = 25;
constexpr std::uint16_t kSmtpsPort = 465;
constexpr std::size_t kMaxEnvid = 100;  // RFC 3461 §4.4

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// "Name <address>" with an address the SMTP parser accepts (UTF-8 allowed: it implies SMTPUTF8).
Result<mime::MailboxSpec> mailbox(std::string_view option, const std::string& text) {
  auto parsed = mime::parse_mailbox_argument(text);
  if (!parsed) return Error{fmt::format("{} {}", option, parsed.error().message)};
  auto path = smtp::parse_path(parsed->address, false, true);
  if (!path) {
    return Error{fmt::format("{} \"{}\": bad address: {}", option, printable_ascii(parsed->address),
                             path.error().detail)};
  }
  if (path->domain.empty()) {
    return Error{fmt::format("{} \"{}\": an address needs a domain", option,
                             printable_ascii(parsed->address))};
  }
  return parsed;
}

Status add_mailboxes(std::string_view option, const std::vector<std::string>& texts,
                     std::vector<mime::MailboxSpec>& out) {
  for (const std::string& text : texts) {
    auto parsed = mailbox(option, text);
    if (!parsed) return parsed.error();
    out.push_back(std::move(*parsed));
  }
  return ok_status();
}

Result<std::uint8_t> parse_notify(const std::string& text) {
  std::uint8_t flags = 0;
  for (const std::string& word : split_list(text)) {
    std::string upper = to_upper_ascii(word);
    if (upper == "NEVER") {
      flags |= smtp::NotifyNever;
    } else if (upper == "SUCCESS") {
      flags |= smtp::NotifySuccess;
    } else if (upper == "FAILURE") {
      flags |= smtp::NotifyFailure;
    } else if (upper == "DELAY") {
      flags |= smtp::NotifyDelay;
    } else {
      return Error{fmt::format("--dsn-notify {}: expected NEVER, or SUCCESS,FAILURE,DELAY", text)};
    }
  }
  // RFC 3461 §4.1: NEVER stands alone.
  if (flags == 0 || ((flags & smtp::NotifyNever) && flags != smtp::NotifyNever)) {
    return Error{fmt::format("--dsn-notify {}: expected NEVER, or SUCCESS,FAILURE,DELAY", text)};
  }
  return flags;
}

Result<smtp::ClientCheckpoint> parse_checkpoint(const std::string& text) {
  using smtp::ClientCheckpoint;
  for (ClientCheckpoint checkpoint :
       {ClientCheckpoint::Connect, ClientCheckpoint::Banner, ClientCheckpoint::Tls,
        ClientCheckpoint::Ehlo, ClientCheckpoint::Auth, ClientCheckpoint::Mail,
        ClientCheckpoint::Rcpt}) {
    if (iequals(text, smtp::checkpoint_name(checkpoint))) return checkpoint;
  }
  return Error{fmt::format(
      "--quit-after {}: expected connect, banner, ehlo, tls, auth, mail or rcpt", text)};
}

Status check_sources(const SendOptions& options) {
  int from_stdin = 0;
  for (const auto& source : {options.body, options.html, options.data}) {
    if (source && source->kind == TextSource::Kind::Stdin) ++from_stdin;
  }
  if (from_stdin > 1) {
    return Error{"only one of --body, --html and --data can read standard input"};
  }
  if (options.data && (options.body || options.html || options.subject ||
                       !options.headers.empty() || !options.attachments.empty())) {
    return Error{
        "--data sends a ready message as is: it cannot be combined with --subject, --header, "
        "--body, --html or --attach"};
  }
  return ok_status();
}

Status check_tls_and_auth(const SendArguments& arguments, SendOptions& options) {
  int modes = int{arguments.tls} + int{arguments.tls_optional} + int{arguments.tls_on_connect};
  if (modes > 1) {
    return Error{"choose one of --tls, --tls-optional and --tls-on-connect"};
  }
  if (arguments.tls) options.tls = TlsMode::StartTlsRequired;
  if (arguments.tls_optional) options.tls = TlsMode::StartTlsOptional;
  if (arguments.tls_on_connect) options.tls = TlsMode::OnConnect;
  if (modes == 0 && options.target.port == kSmtpsPort) {
    options.tls = TlsMode::OnConnect;
  }
  options.tls_verify = arguments.tls_verify;
  options.tls_ca_file = arguments.tls_ca_file;
  if (options.tls_verify && options.tls == TlsMode::StartTlsOptional) {
    return Error{"--tls-verify requires TLS: use it with --tls or --tls-on-connect"};
  }
  if ((options.tls_verify || !options.tls_ca_file.empty()) && options.tls == TlsMode::None) {
    options.tls = TlsMode::StartTlsRequired;
  }
  if (!options.tls_ca_file.empty()) options.tls_verify = true;

  options.auth = arguments.auth || !arguments.auth_user.empty();
  if (!arguments.auth_mechanism.empty()) {
    std::string mechanism = to_upper_ascii(arguments.auth_mechanism);
    if (mechanism == "PLAIN") {
      options.auth_mechanism = AuthMechanism::Plain;
    } else if (mechanism == "LOGIN") {
      options.auth_mechanism = AuthMechanism::Login;
    } else {
      return Error{fmt::format("--auth {}: expected PLAIN or LOGIN", arguments.auth_mechanism)};
    }
  }
  options.auth_user = arguments.auth_user;
  options.auth_password = arguments.auth_password;
  if (options.auth && options.auth_user.empty()) return Error{"--auth needs --auth-user"};
  if (!options.auth && options.auth_password) return Error{"--auth-password needs --auth-user"};
  if (options.auth && options.tls == TlsMode::None) {
    return Error{
        "--auth needs --tls, --tls-optional or --tls-on-connect: credentials are never sent in "
        "the clear"};
  }
  return ok_status();
}

}  // namespace

CLI::App* add_send_subcommand(CLI::App& app, SendArguments& arguments) {
  CLI::App* send = app.add_subcommand("send", "send a test message over SMTP, like swaks");
  SendArguments& a = arguments;
  send->add_option("-s,--server", a.server,
                   "host[:port] to talk to (default: localhost; port 25, 465 means "
                   "--tls-on-connect)");
  send->add_option("-f,--from", a.from,
                   "sender, \"Name <address>\" or address (default: your login@this host)");
  send->add_option("-t,--to", a.to, "recipient, shown in To: (repeatable)");
  send->add_option("--cc", a.cc, "recipient, shown in Cc: (repeatable)");
  send->add_option("--bcc", a.bcc, "recipient in the envelope only (repeatable)");
  send->add_option("--subject", a.subject, "Subject: (default: \"test\")");
  send->add_option("--header", a.headers, "an extra header field \"Name: value\" (repeatable)");
  send->add_option("--body", a.body, "TEXT, @file or - (standard input)");
  send->add_option("--html", a.html, "an HTML alternative: TEXT, @file or -");
  send->add_option("--attach", a.attachments, "attach FILE (repeatable)");
  send->add_option("--data", a.data, "send a ready RFC 5322 message as is: @file or -");
  send->add_option("--ehlo", a.ehlo, "name for EHLO (default: this host's name)");
  send->add_flag("--tls", a.tls, "STARTTLS, required");
  send->add_flag("--tls-optional", a.tls_optional, "STARTTLS when offered");
  send->add_flag("--tls-on-connect", a.tls_on_connect, "TLS from the first byte (port 465)");
  send->add_flag("--tls-verify", a.tls_verify,
                 "the certificate must chain to a trusted CA and match the server name");
  send->add_option("--tls-ca-file", a.tls_ca_file,
                   "PEM file of CAs to trust besides the system's (implies --tls-verify)");
  CLI::Option* auth =
      send->add_option("--auth", a.auth_mechanism, "authenticate: any offered, PLAIN or LOGIN")
          ->expected(0, 1);
  send->add_option("--auth-user", a.auth_user, "user name for AUTH (implies --auth)");
  send->add_option("--auth-password", a.auth_password,
                   "password for AUTH (default: $TERN_PASSWORD, else asked on the terminal)");
  send->add_flag("--pipeline", a.pipeline, "use PIPELINING when offered");
  send->add_option("--dsn-notify", a.dsn_notify, "NEVER, or SUCCESS,FAILURE,DELAY (RFC 3461)");
  send->add_option("--dsn-ret", a.dsn_ret, "FULL or HDRS");
  send->add_option("--envid", a.envid, "DSN envelope id");
  send->add_flag("--smtputf8", a.smtputf8, "SMTPUTF8: UTF-8 addresses and header fields as is");
  send->add_flag("--8bitmime", a.eight_bit_mime,
                 "8-bit text as 8bit with BODY=8BITMIME; fail when the server lacks 8BITMIME");
  send->add_option("--quit-after", a.quit_after,
                   "stop after connect, banner, tls, ehlo, auth, mail or rcpt");
  send->add_option("--timeout", a.timeout, "seconds for each step (default 30)");
  send->add_option("--proxy", a.proxy, "connect through an HTTP CONNECT proxy http://host:port");
  send->add_flag("-v,--verbose", a.verbose, "print the SMTP transcript");
  send->add_flag("--json", a.json, "print the result as JSON");
  send->callback([&arguments, auth] { arguments.auth = auth->count() > 0; });
  return send;
}

TextSource parse_text_source(const std::string& argument) {
  if (argument == "-") return {TextSource::Kind::Stdin, ""};
  if (!argument.empty() && argument.front() == '@') {
    return {TextSource::Kind::File, argument.substr(1)};
  }
  return {TextSource::Kind::Text, argument};
}

std::vector<std::string> SendOptions::recipients() const {
  std::vector<std::string> out;
  for (const auto* list : {&to, &cc, &bcc}) {
    for (const mime::MailboxSpec& mailbox : *list) out.push_back(mailbox.address);
  }
  return out;
}

Result<SendOptions> make_send_options(const SendArguments& arguments) {
  SendOptions options;
  auto target = net::parse_connect_target(arguments.server, kSmtpPort);
  if (!target) return Error{fmt::format("--server: {}", target.error().message)};
  options.target = *target;
  options.server_text = arguments.server;
  if (!arguments.proxy.empty()) {
    auto proxy = net::parse_proxy_url(arguments.proxy);
    if (!proxy) return Error{fmt::format("--proxy: {}", proxy.error().message)};
    options.proxy = *proxy;
    options.proxy_text = arguments.proxy;
  }
  if (!arguments.from.empty()) {
    auto from = mailbox("--from", arguments.from);
    if (!from) return from.error();
    options.from = *from;
  }
  if (Status status = add_mailboxes("--to", arguments.to, options.to); !status)
    return status.error();
  if (Status status = add_mailboxes("--cc", arguments.cc, options.cc); !status)
    return status.error();
  if (Status status = add_mailboxes("--bcc", arguments.bcc, options.bcc); !status) {
    return status.error();
  }
  if (options.recipients().empty()) return Error{"no recipients: give --to, --cc or --bcc"};

  options.subject = arguments.subject;
  for (const std::string& text : arguments.headers) {
    auto field = mime::parse_header_argument(text);
    if (!field) return field.error();
    options.headers.push_back(std::move(*field));
  }
  if (arguments.body) options.body = parse_text_source(*arguments.body);
  if (arguments.html) options.html = parse_text_source(*arguments.html);
  if (arguments.data) {
    options.data = parse_text_source(*arguments.data);
    if (options.data->kind == TextSource::Kind::Text) {
      return Error{"--data takes @file or - (standard input)"};
    }
  }
  options.attachments = arguments.attachments;
  if (Status sources = check_sources(options); !sources) return sources.error();

  if (!arguments.quit_after.empty()) {
    auto checkpoint = parse_checkpoint(arguments.quit_after);
    if (!checkpoint) return checkpoint.error();
    options.quit_after = *checkpoint;
  }
  if (Status status = check_tls_and_auth(arguments, options); !status) return status.error();
  if (options.quit_after == smtp::ClientCheckpoint::Tls && options.tls == TlsMode::None) {
    return Error{"--quit-after tls needs --tls, --tls-optional or --tls-on-connect"};
  }
  if (options.quit_after == smtp::ClientCheckpoint::Auth && !options.auth) {
    return Error{"--quit-after auth needs --auth"};
  }
  options.ehlo = arguments.ehlo;
  if (options.ehlo.find_first_of(" \t\r\n") != std::string::npos || has_non_ascii(options.ehlo)) {
    return Error{
        fmt::format("--ehlo \"{}\": one ASCII word expected", printable_ascii(options.ehlo))};
  }
  options.pipeline = arguments.pipeline;
  if (!arguments.dsn_notify.empty()) {
    auto notify = parse_notify(arguments.dsn_notify);
    if (!notify) return notify.error();
    options.dsn_notify = *notify;
  }
  if (!arguments.dsn_ret.empty()) {
    std::string ret = to_upper_ascii(arguments.dsn_ret);
    if (ret != "FULL" && ret != "HDRS") {
      return Error{fmt::format("--dsn-ret {}: expected FULL or HDRS", arguments.dsn_ret)};
    }
    options.dsn_ret = ret == "FULL" ? smtp::Ret::Full : smtp::Ret::Headers;
  }
  options.envid = arguments.envid;
  if (options.envid.size() > kMaxEnvid ||
      std::any_of(options.envid.begin(), options.envid.end(), [](char c) {
        auto octet = static_cast<unsigned char>(c);
        return octet < 0x20 || octet >= 0x7F;
      })) {
    return Error{"--envid: at most 100 printable ASCII characters (RFC 3461 §4.4)"};
  }
  bool utf8_address = has_non_ascii(options.from.address);
  for (const std::string& address : options.recipients()) {
    utf8_address = utf8_address || has_non_ascii(address);
  }
  options.smtputf8 = arguments.smtputf8 || utf8_address;
  options.eight_bit_mime = arguments.eight_bit_mime;
  if (!(arguments.timeout > 0) || arguments.timeout > 3600) {
    return Error{"--timeout: seconds, more than 0 and at most 3600"};
  }
  options.timeout_seconds = arguments.timeout;
  options.verbose = arguments.verbose;
  options.json = arguments.json;
  return options;
}

}  // namespace tern::cli
