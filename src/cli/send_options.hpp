// `tern send` command line (swaks-like): the options declared on CLI11 into plain strings
// (SendArguments), then checked and turned into SendOptions by a pure function, so every usage
// error — bad combinations, no recipients, a bad address, port or value — is one line of text and
// exit status 2 before anything is read or connected. Files named by @file and the password are
// read later, by the command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "mime/mailbox_field.hpp"
#include "mime/message_builder.hpp"
#include "net/http_connect.hpp"
#include "net/tcp_connect.hpp"
#include "smtp/client_protocol.hpp"
#include "smtp/parameters.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace tern::cli {

// What CLI11 fills in: every value as typed.
struct SendArguments {
  std::string server = "localhost";
  std::string from;
  std::vector<std::string> to, cc, bcc;
  std::optional<std::string> subject;
  std::vector<std::string> headers;
  std::optional<std::string> body, html, data;
  std::vector<std::string> attachments;
  std::string ehlo;
  bool tls = false, tls_optional = false, tls_on_connect = false, tls_verify = false;
  std::string tls_ca_file;
  bool auth = false;  // --auth given, with or without a mechanism
  std::string auth_mechanism;
  std::string auth_user;
  std::optional<std::string> auth_password;
  bool pipeline = false;
  std::string dsn_notify, dsn_ret, envid;
  bool smtputf8 = false, eight_bit_mime = false;
  std::string quit_after;
  double timeout = 30;
  std::string proxy;
  bool verbose = false, json = false;
};

// Declares `send` on `app`; parsing fills `arguments`. Returns the subcommand.
CLI::App* add_send_subcommand(CLI::App& app, SendArguments& arguments);

// A text argument: TEXT as is, @file read from the file, "-" read from standard input.
struct TextSource {
  enum class Kind { Text, File, Stdin };
  Kind kind = Kind::Text;
  std::string value;  // the text, or the file name
};
TextSource parse_text_source(const std::string& argument);

enum class TlsMode { None, StartTlsOptional, StartTlsRequired, OnConnect };
enum class AuthMechanism { Any, Plain, Login };

struct SendOptions {
  net::ConnectTarget target;
  std::string server_text;  // --server as given, for reports
  std::optional<net::ProxyAddress> proxy;
  std::string proxy_text;
  mime::MailboxSpec from;
  std::vector<mime::MailboxSpec> to, cc, bcc;
  std::optional<std::string> subject;
  std::vector<mime::HeaderField> headers;
  std::optional<TextSource> body, html, data;
  std::vector<std::string> attachments;  // paths
  std::string ehlo;                      // empty: the local host name
  TlsMode tls = TlsMode::None;
  bool tls_verify = false;
  std::string tls_ca_file;
  bool auth = false;
  AuthMechanism auth_mechanism = AuthMechanism::Any;
  std::string auth_user;
  std::optional<std::string> auth_password;
  bool pipeline = false;
  std::uint8_t dsn_notify = 0;  // smtp::NotifyFlag bits
  smtp::Ret dsn_ret = smtp::Ret::Unspecified;
  std::string envid;
  bool smtputf8 = false;        // asked for, or implied by a UTF-8 address
  bool eight_bit_mime = false;  // 8BITMIME required
  std::optional<smtp::ClientCheckpoint> quit_after;
  double timeout_seconds = 30;
  bool verbose = false;
  bool json = false;

  // Every envelope recipient in order: To, Cc, then Bcc.
  std::vector<std::string> recipients() const;
};

// Checks `arguments`; the error is the usage line without "tern: ".
Result<SendOptions> make_send_options(const SendArguments& arguments);

}  // namespace tern::cli
