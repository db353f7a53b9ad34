// The typed configuration ternd runs with, built from main.cf syntax (main_cf.hpp) over the
// built-in defaults (parameters.hpp). Postfix parameter names wherever Postfix has the concept; see
// docs/configuration.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"

namespace tern::config {

// A lookup table reference such as "hash:/etc/aliases" or "passwd-file:/etc/tern/users".
struct TableSpec {
  std::string type;  // "hash", "texthash", "passwd-file"
  std::string path;
};

// What a listener serves, as Postfix's master.cf services do: MX traffic (smtp, STARTTLS optional),
// mail submission by users (submission: STARTTLS and AUTH required), or submission over TLS from
// the first byte (smtps, RFC 8314).
enum class ListenerRole { Smtp, Submission, Smtps };
std::string_view role_name(ListenerRole role);

// One listening socket: "127.0.0.1:2525", "[::1]:2525", or ":25" (every inet_interfaces address).
struct ListenAddress {
  ListenerRole role = ListenerRole::Smtp;
  std::string host;  // numeric address; "" = every address of inet_interfaces
  std::uint16_t port = 25;
};

enum class BareNewline { Normalize, Reject };
// smtp_tls_security_level: the SMTP client's TLS policy toward other servers.
enum class SmtpTlsLevel { None, May, Encrypt, Verify };
// smtpd_tls_security_level: none (no STARTTLS), may (offered), encrypt (required before mail).
enum class TlsLevel { None, May, Encrypt };
// TLS protocol versions as OpenSSL numbers (TLS1_2_VERSION = 0x0303, TLS1_3_VERSION = 0x0304).
struct TlsVersions {
  int minimum = 0x0303;
  int maximum = 0x0304;
};
enum class VrfyMode {
  Ambiguous,  // default: 252 for every address, never reveals existence
  Disabled,   // disable_vrfy_command = yes: 502
  Reveal,     // disable_vrfy_command = no: Postfix's behaviour (250/252 for known, 550 for unknown)
};

// A diagnostic found while loading: "file:line: text".
struct Diagnostic {
  enum class Level { Notice, Warning, Error } level = Level::Warning;
  std::string file;
  int line = 0;
  std::string text;
  std::string to_string() const;  // "main.cf:12: warning: unknown parameter foo"
};

struct Config {
  // Identity and domains
  std::string myhostname;
  std::string mydomain;
  std::string myorigin;
  std::string smtpd_banner;                // after $name expansion
  std::vector<std::string> mydestination;  // lower-case domain names
  std::vector<Cidr> mynetworks;
  bool append_dot_mydomain = false;

  // Listeners
  std::vector<std::string> inet_interfaces;  // "all", "loopback-only" or numeric addresses
  bool inet_ipv4 = true;
  bool inet_ipv6 = true;
  // smtpd_listen (role smtp), submission_listen and smtps_listen, resolved against inet_interfaces.
  std::vector<ListenAddress> listeners;
  int smtpd_threads = 0;  // 0 = one per core

  // Local recipients and delivery
  std::vector<TableSpec> alias_maps;
  std::vector<TableSpec> local_recipient_maps;
  std::string recipient_delimiter;       // e.g. "+"; empty disables
  std::string mail_root;                 // Maildirs at <mail_root>/<domain>/<user>/Maildir/
  std::string home_mailbox;              // with a passwd-file home: <home>/<home_mailbox>
  std::uint64_t mailbox_size_limit = 0;  // 0 = unlimited
  std::string queue_directory;
  std::string data_directory;  // state that is not mail: the self-signed certificate
  std::string mail_owner;      // unprivileged user ternd runs as after binding
  std::string maillog_file;    // empty: log to stderr

  // Restrictions
  bool smtpd_helo_required = false;
  std::vector<std::string> smtpd_helo_restrictions;
  std::vector<std::string> smtpd_relay_restrictions;
  std::vector<std::string> smtpd_recipient_restrictions;
  VrfyMode vrfy_mode = VrfyMode::Ambiguous;
  std::vector<std::string> smtpd_sender_restrictions;
  // Submission and smtps use these instead of smtpd_relay/sender_restrictions (the mua_* names
  // Debian's master.cf uses for the same purpose).
  std::vector<std::string> mua_relay_restrictions;
  std::vector<std::string> mua_sender_restrictions;
  std::vector<TableSpec> smtpd_sender_login_maps;
  // Rewriting on the way out (delivery/address_rewriting.hpp).
  std::vector<TableSpec> smtp_generic_maps;
  bool smtp_sasl_auth_enable = false;  // AUTH toward next hops listed in smtp_sasl_password_maps
  std::vector<TableSpec> smtp_sasl_password_maps;
  std::vector<std::string> masquerade_domains;     // "example.com", "!sub.example.com"
  std::vector<std::string> masquerade_exceptions;  // local parts, e.g. "root"

  // TLS (server side)
  std::string smtpd_tls_cert_file;  // empty: a self-signed certificate made at first start
  std::string smtpd_tls_key_file;
  std::vector<std::string> smtpd_tls_chain_files;
  TlsLevel smtpd_tls_security_level = TlsLevel::May;
  bool smtpd_tls_auth_only = true;
  TlsVersions smtpd_tls_protocols;
  std::string smtpd_tls_cipherlist;  // OpenSSL cipher list for TLS 1.2, from the grade chosen
  int smtpd_tls_loglevel = 1;

  // Authentication
  bool smtpd_sasl_auth_enable = false;  // on the smtp role; submission and smtps always offer AUTH
  int smtpd_auth_failure_limit = 5;     // failed AUTH attempts per connection before 421

  // Limits
  std::uint64_t message_size_limit = 10240000;
  std::size_t line_length_limit = 2048;
  std::size_t smtpd_recipient_limit = 1000;
  int smtpd_timeout_seconds = 300;
  int smtpd_hard_error_limit = 20;
  int smtpd_client_connection_count_limit = 50;
  int smtpd_connection_limit = 5000;
  // Bytes that must stay free in the queue file system: MAIL is refused with 452 4.3.1 at or below
  // this, and also below 1.5 x message_size_limit (Postfix smtpd_check_queue).
  std::uint64_t queue_minfree = 0;
  BareNewline smtpd_forbid_bare_newline = BareNewline::Normalize;
  std::vector<std::string> smtpd_forbidden_commands;

  // Queue timing
  int minimal_backoff_seconds = 300;
  int maximal_backoff_seconds = 4000;
  int queue_run_delay_seconds = 300;
  int maximal_queue_lifetime_seconds = 5 * 86400;
  int bounce_queue_lifetime_seconds = 5 * 86400;
  int delay_warning_seconds = 0;  // delay_warning_time; 0: no delay warnings

  // Outbound delivery (the SMTP client)
  std::string relayhost;              // "[host]:port", "host:port", "host"; empty: MX lookups
  std::vector<std::string> resolver;  // DNS servers to forward to ("127.0.0.1@5353"); empty:
                                      // /etc/resolv.conf
  std::string smtp_helo_name;
  int smtp_connect_timeout_seconds = 30;
  int smtp_helo_timeout_seconds = 300;
  int smtp_mail_timeout_seconds = 300;
  int smtp_rcpt_timeout_seconds = 300;
  int smtp_data_init_timeout_seconds = 120;
  int smtp_data_xfer_timeout_seconds = 180;
  int smtp_data_done_timeout_seconds = 600;
  int smtp_quit_timeout_seconds = 300;
  SmtpTlsLevel smtp_tls_security_level = SmtpTlsLevel::May;
};

struct LoadedConfig {
  Config config;
  std::vector<Diagnostic> diagnostics;  // notices and warnings (errors make load_config fail)
  // Effective value of every parameter set in the file, expanded, in file order (postconf -n).
  std::vector<std::pair<std::string, std::string>> explicit_values;
  // Postfix parameters that were set but have no effect in tern (biff, readme_directory, ...).
  std::vector<std::string> ignored_postfix_parameters;
};

// Loads main.cf text. Errors are "file:line: what is wrong".
Result<LoadedConfig> load_config(std::string_view text, std::string_view file_name);
Result<LoadedConfig> load_config_file(const std::string& path);

// The embedded default config `make run` uses: loopback high ports, state under ./run, no root
// needed.
std::string_view embedded_default_config();

}  // namespace tern::config
