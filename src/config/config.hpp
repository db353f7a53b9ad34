// The typed configuration ternd runs with, built from main.cf syntax (main_cf.hpp) over the built-in
// defaults (parameters.hpp). Postfix parameter names wherever Postfix has the concept; see docs/configuration.md.
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

// One listening socket: "127.0.0.1:2525", "[::1]:2525", or ":25" (every inet_interfaces address).
struct ListenAddress {
  std::string role = "smtp";
  std::string host;  // numeric address; "" = every address of inet_interfaces
  std::uint16_t port = 25;
};

enum class BareNewline { Normalize, Reject };
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
  std::string smtpd_banner;               // after $name expansion
  std::vector<std::string> mydestination;  // lower-case domain names
  std::vector<Cidr> mynetworks;
  bool append_dot_mydomain = false;

  // Listeners
  std::vector<std::string> inet_interfaces;  // "all", "loopback-only" or numeric addresses
  bool inet_ipv4 = true;
  bool inet_ipv6 = true;
  std::vector<ListenAddress> smtpd_listen;
  int smtpd_threads = 0;  // 0 = one per core

  // Local recipients and delivery
  std::vector<TableSpec> alias_maps;
  std::vector<TableSpec> local_recipient_maps;
  std::string recipient_delimiter;  // e.g. "+"; empty disables
  std::string mail_root;            // Maildirs at <mail_root>/<domain>/<user>/Maildir/
  std::string home_mailbox;         // with a passwd-file home: <home>/<home_mailbox>
  std::uint64_t mailbox_size_limit = 0;  // 0 = unlimited
  std::string queue_directory;
  std::string mail_owner;          // unprivileged user ternd runs as after binding
  std::string maillog_file;        // empty: log to stderr

  // Restrictions
  bool smtpd_helo_required = false;
  std::vector<std::string> smtpd_helo_restrictions;
  std::vector<std::string> smtpd_relay_restrictions;
  std::vector<std::string> smtpd_recipient_restrictions;
  VrfyMode vrfy_mode = VrfyMode::Ambiguous;

  // Limits
  std::uint64_t message_size_limit = 10240000;
  std::size_t line_length_limit = 2048;
  std::size_t smtpd_recipient_limit = 1000;
  int smtpd_timeout_seconds = 300;
  int smtpd_hard_error_limit = 20;
  int smtpd_client_connection_count_limit = 50;
  int smtpd_connection_limit = 5000;
  BareNewline smtpd_forbid_bare_newline = BareNewline::Normalize;
  std::vector<std::string> smtpd_forbidden_commands;
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

// The embedded default config `make run` uses: loopback high ports, state under ./run, no root needed.
std::string_view embedded_default_config();

}  // namespace tern::config
