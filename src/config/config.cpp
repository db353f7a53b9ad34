// Loading main.cf into a typed Config: the file's values over the built-in defaults, $name
// expansion, validation of every value with "file:line: what is wrong", and notices for Postfix
// parameters that have no effect in tern (so a Postfix main.cf loads and means what it says).
#include "config/config.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "base/strings.hpp"
#include "base/text_file.hpp"
#include "config/main_cf.hpp"
#include "config/parameters.hpp"

namespace tern::config {
namespace {

const std::set<std::string, std::less<>> kRecipientRestrictions{"permit_mynetworks",
                                                                "permit_sasl_authenticated",
                                                                "reject_unauth_destination",
                                                                "permit",
                                                                "reject",
                                                                "reject_invalid_helo_hostname",
                                                                "reject_invalid_hostname"};
const std::set<std::string, std::less<>> kSenderRestrictions{
    "permit_mynetworks",
    "permit_sasl_authenticated",
    "reject_sender_login_mismatch",
    "reject_authenticated_sender_login_mismatch",
    "reject_unauthenticated_sender_login_mismatch",
    "permit",
    "reject"};
const std::set<std::string, std::less<>> kHeloRestrictions{"permit_mynetworks",
                                                           "permit",
                                                           "reject",
                                                           "reject_invalid_helo_hostname",
                                                           "reject_invalid_hostname",
                                                           "reject_non_fqdn_helo_hostname",
                                                           "reject_non_fqdn_hostname"};

std::string machine_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost.localdomain";
  std::string host = to_lower_ascii(name);
  if (host.find('.') == std::string::npos) host += ".localdomain";
  return host;
}

// Values as read: name -> (text, line); the defaults fill in what the file does not set.
struct Values {
  std::map<std::string, std::pair<std::string, int>, std::less<>> from_file;
  std::string file_name;
  std::string hostname = machine_hostname();

  std::optional<std::string> raw(std::string_view name) const {
    if (auto it = from_file.find(name); it != from_file.end()) return it->second.first;
    if (name == "myhostname") return hostname;
    if (name == "mydomain") {
      // As in Postfix, the default follows myhostname, whether it came from the file or the
      // machine.
      std::string host = raw("myhostname").value_or(hostname);
      std::size_t dot = host.find('.');
      return dot == std::string::npos ? "localdomain" : host.substr(dot + 1);
    }
    if (const ParameterInfo* info = find_parameter(name)) return std::string(info->default_value);
    return std::nullopt;
  }
  int line(std::string_view name) const {
    auto it = from_file.find(name);
    return it == from_file.end() ? 0 : it->second.second;
  }
};

class Loader {
 public:
  explicit Loader(const Values& values) : values_(values) {}

  std::string text(std::string_view name) {
    auto expanded = expand_value(values_.raw(name).value_or(""),
                                 [this](std::string_view n) { return values_.raw(n); });
    if (!expanded) {
      fail(name, expanded.error().message);
      return "";
    }
    return *expanded;
  }

  std::vector<std::string> list(std::string_view name) { return split_list(text(name)); }

  bool boolean(std::string_view name) {
    std::string value = to_lower_ascii(trim(text(name)));
    if (value == "yes" || value == "true") return true;
    if (value == "no" || value == "false") return false;
    fail(name, fmt::format("bad value for {}: {} (expected yes or no)", name, value));
    return false;
  }

  std::uint64_t number(std::string_view name) {
    std::string value(trim(text(name)));
    std::uint64_t number = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || error != std::errc{} || end != value.data() + value.size()) {
      fail(name, fmt::format("bad value for {}: {} (expected a number)", name, value));
    }
    return number;
  }

  int small_number(std::string_view name) {
    std::uint64_t value = number(name);
    if (value > 1000000000) fail(name, fmt::format("value for {} is too large", name));
    return static_cast<int>(value);
  }

  // Postfix time values: a number with an optional unit s, m, h, d or w (default seconds).
  // `default_unit` applies to a bare number, as Postfix's does ('d' for the queue lifetimes).
  // `zero_means_off`: 0 is a valid value that turns the feature off (delay_warning_time).
  int seconds(std::string_view name, char default_unit = 's', bool zero_means_off = false) {
    std::string value(trim(text(name)));
    if (!value.empty() && std::isdigit(static_cast<unsigned char>(value.back()))) {
      value += default_unit;
    }
    int multiplier = 1;
    if (!value.empty() && !std::isdigit(static_cast<unsigned char>(value.back()))) {
      switch (value.back()) {
        case 's':
          multiplier = 1;
          break;
        case 'm':
          multiplier = 60;
          break;
        case 'h':
          multiplier = 3600;
          break;
        case 'd':
          multiplier = 86400;
          break;
        case 'w':
          multiplier = 604800;
          break;
        default:
          multiplier = 0;
      }
      value.pop_back();
    }
    long long number = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    // The product must fit the int it is kept in: "maximal_queue_lifetime = 30000" (days) would
    // wrap to a negative lifetime that expires every message at once.
    if (multiplier == 0 || value.empty() || error != std::errc{} ||
        end != value.data() + value.size() || number < 0 || (number == 0 && !zero_means_off) ||
        number > 100000000 || number * multiplier > std::numeric_limits<int>::max()) {
      fail(name,
           fmt::format("bad time value for {}: {} (expected e.g. 300s, 5m, 1h)", name, text(name)));
      return 1;
    }
    return static_cast<int>(number * multiplier);
  }

  void restrictions(std::string_view name, const std::set<std::string, std::less<>>& known,
                    std::vector<std::string>& out) {
    out = list(name);
    for (const std::string& restriction : out) {
      if (!known.contains(restriction)) {
        fail(name, fmt::format("unknown restriction {} in {}", restriction, name));
      }
    }
  }

  void fail(std::string_view name, const std::string& message) {
    if (!error_.empty()) return;
    int line = values_.line(name);
    error_ = line > 0 ? fmt::format("{}:{}: {}", values_.file_name, line, message)
                      : fmt::format("{}: default of {}: {}", values_.file_name, name, message);
  }
  const std::string& error() const { return error_; }

 private:
  const Values& values_;
  std::string error_;
};

std::vector<Cidr> parse_networks(Loader& loader) {
  std::vector<Cidr> networks;
  for (const std::string& item : loader.list("mynetworks")) {
    auto cidr = Cidr::parse(item);
    if (!cidr) {
      loader.fail("mynetworks", cidr.error().message);
      continue;
    }
    networks.push_back(*cidr);
  }
  return networks;
}

std::vector<TableSpec> parse_tables(Loader& loader, std::string_view name) {
  std::vector<TableSpec> tables;
  for (const std::string& item : loader.list(name)) {
    std::size_t colon = item.find(':');
    std::string type = colon == std::string::npos ? "" : item.substr(0, colon);
    if (type == "proxy" || type == "unix") {
      // Postfix's unix:passwd.byname: system accounts are not mail users in tern; say so.
      loader.fail(name,
                  fmt::format("{}: table type {} is not supported (use passwd-file:)", name, type));
      continue;
    }
    if (type != "hash" && type != "texthash" && type != "passwd-file") {
      loader.fail(
          name, fmt::format("{}: unsupported table {} (use hash:, texthash: or passwd-file:)", name,
                            item));
      continue;
    }
    tables.push_back(TableSpec{type, item.substr(colon + 1)});
  }
  return tables;
}

void parse_listen(Loader& loader, std::string_view name, ListenerRole role,
                  std::vector<ListenAddress>& out) {
  for (const std::string& item : loader.list(name)) {
    std::size_t colon = item.rfind(':');
    std::string host = colon == std::string::npos ? "" : item.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    std::string port_text = colon == std::string::npos ? item : item.substr(colon + 1);
    unsigned port = 0;
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    bool port_ok = error == std::errc{} && end == port_text.data() + port_text.size() && port > 0 &&
                   port < 65536;
    bool host_ok = host.empty() || IpAddress::parse(host).has_value();
    if (!port_ok || !host_ok) {
      loader.fail(
          name,
          fmt::format("bad listen address {} (expected host:port, [v6]:port or :port)", item));
      continue;
    }
    out.push_back(ListenAddress{role, host, static_cast<std::uint16_t>(port)});
  }
}

// Postfix protocol syntax: ">=TLSv1.2", "TLSv1.2 TLSv1.3", or exclusions "!SSLv3, !TLSv1". tern
// speaks TLS 1.2 and 1.3 only, so asking for an older version is an error rather than silently
// ignored.
TlsVersions parse_tls_protocols(Loader& loader, std::string_view name) {
  static constexpr std::pair<std::string_view, int> kVersions[] = {
      {"sslv2", 0x0002},   {"sslv3", 0x0300},   {"tlsv1", 0x0301},
      {"tlsv1.1", 0x0302}, {"tlsv1.2", 0x0303}, {"tlsv1.3", 0x0304}};
  auto version_of = [](std::string_view text) -> int {
    for (auto [label, number] : kVersions) {
      if (iequals(text, label)) return number;
    }
    return 0;
  };
  int minimum = 0x0303, maximum = 0x0304;
  std::vector<int> included, excluded;
  for (const std::string& item : loader.list(name)) {
    std::string_view token = item;
    int* bound = nullptr;
    if (token.starts_with(">=")) {
      bound = &minimum;
    } else if (token.starts_with("<=")) {
      bound = &maximum;
    }
    std::string_view label = bound                    ? token.substr(2)
                             : token.starts_with("!") ? token.substr(1)
                                                      : token;
    int version = version_of(label);
    if (version == 0) {
      loader.fail(name, fmt::format("bad value for {}: {}", name, item));
      return {};
    }
    if (bound) {
      *bound = version;
    } else if (token.starts_with("!")) {
      excluded.push_back(version);
    } else {
      included.push_back(version);
    }
  }
  bool asks_for_old = minimum < 0x0303 || std::any_of(included.begin(), included.end(),
                                                      [](int version) { return version < 0x0303; });
  if (asks_for_old) {
    loader.fail(name, fmt::format("{}: tern offers TLS 1.2 and 1.3 only (use >=TLSv1.2)", name));
    return {};
  }
  auto enabled = [&](int version) {
    bool listed =
        included.empty() || std::find(included.begin(), included.end(), version) != included.end();
    bool refused = std::find(excluded.begin(), excluded.end(), version) != excluded.end();
    return version >= minimum && version <= maximum && listed && !refused;
  };
  TlsVersions versions{0, 0};
  for (int version : {0x0303, 0x0304}) {
    if (!enabled(version)) continue;
    if (versions.minimum == 0) versions.minimum = version;
    versions.maximum = version;
  }
  if (versions.minimum == 0) {
    loader.fail(name, fmt::format("{}: no TLS version is left enabled", name));
    return {};
  }
  return versions;
}

void read_tls(Loader& loader, Config& config) {
  config.smtpd_tls_cert_file = loader.text("smtpd_tls_cert_file");
  config.smtpd_tls_key_file = loader.text("smtpd_tls_key_file");
  config.smtpd_tls_chain_files = loader.list("smtpd_tls_chain_files");
  if (config.smtpd_tls_cert_file.empty() != config.smtpd_tls_key_file.empty()) {
    loader.fail("smtpd_tls_key_file", "smtpd_tls_cert_file and smtpd_tls_key_file go together");
  }
  std::string level = to_lower_ascii(trim(loader.text("smtpd_tls_security_level")));
  if (level == "none") {
    config.smtpd_tls_security_level = TlsLevel::None;
  } else if (level == "may") {
    config.smtpd_tls_security_level = TlsLevel::May;
  } else if (level == "encrypt") {
    config.smtpd_tls_security_level = TlsLevel::Encrypt;
  } else {
    loader.fail(
        "smtpd_tls_security_level",
        fmt::format("bad value for smtpd_tls_security_level: {} (none, may or encrypt)", level));
  }
  config.smtpd_tls_auth_only = loader.boolean("smtpd_tls_auth_only");
  // Opportunistic sessions use smtpd_tls_protocols, mandatory ones (encrypt, submission, smtps)
  // smtpd_tls_mandatory_protocols; one context serves both, so tern takes the narrower range.
  TlsVersions opportunistic = parse_tls_protocols(loader, "smtpd_tls_protocols");
  TlsVersions mandatory = parse_tls_protocols(loader, "smtpd_tls_mandatory_protocols");
  config.smtpd_tls_protocols = {std::max(opportunistic.minimum, mandatory.minimum),
                                std::min(opportunistic.maximum, mandatory.maximum)};
  std::string grade = to_lower_ascii(trim(loader.text("smtpd_tls_mandatory_ciphers")));
  if (grade == "high") {
    config.smtpd_tls_cipherlist = loader.text("tls_high_cipherlist");
  } else if (grade == "medium") {
    config.smtpd_tls_cipherlist = loader.text("tls_medium_cipherlist");
  } else {
    loader.fail(
        "smtpd_tls_mandatory_ciphers",
        fmt::format("bad value for smtpd_tls_mandatory_ciphers: {} (high or medium)", grade));
  }
  config.smtpd_tls_loglevel = loader.small_number("smtpd_tls_loglevel");
}

void read_protocols(Loader& loader, Config& config) {
  config.inet_ipv4 = config.inet_ipv6 = false;
  for (const std::string& item : loader.list("inet_protocols")) {
    std::string value = to_lower_ascii(item);
    if (value == "all") {
      config.inet_ipv4 = config.inet_ipv6 = true;
    } else if (value == "ipv4") {
      config.inet_ipv4 = true;
    } else if (value == "ipv6") {
      config.inet_ipv6 = true;
    } else {
      loader.fail("inet_protocols", fmt::format("bad value for inet_protocols: {}", item));
    }
  }
}

// Listeners on ":port" bind to inet_interfaces: "all", "loopback-only" or numeric addresses.
void resolve_interfaces(Loader& loader, Config& config) {
  std::vector<ListenAddress> resolved;
  for (const ListenAddress& listen : config.listeners) {
    if (!listen.host.empty()) {
      resolved.push_back(listen);
      continue;
    }
    for (const std::string& interface : config.inet_interfaces) {
      if (interface == "all") {
        resolved.push_back(listen);
      } else if (interface == "loopback-only" || interface == "localhost") {
        if (config.inet_ipv4) resolved.push_back({listen.role, "127.0.0.1", listen.port});
        if (config.inet_ipv6) resolved.push_back({listen.role, "::1", listen.port});
      } else if (IpAddress::parse(interface)) {
        resolved.push_back({listen.role, interface, listen.port});
      } else {
        loader.fail("inet_interfaces", fmt::format("bad value for inet_interfaces: {} (numeric "
                                                   "addresses, all or loopback-only)",
                                                   interface));
      }
    }
  }
  config.listeners = std::move(resolved);
}

// Queue timing and the SMTP client (outbound delivery).
void read_outbound(Loader& loader, Config& config) {
  config.minimal_backoff_seconds = loader.seconds("minimal_backoff_time");
  config.maximal_backoff_seconds = loader.seconds("maximal_backoff_time");
  config.queue_run_delay_seconds = loader.seconds("queue_run_delay");
  config.maximal_queue_lifetime_seconds = loader.seconds("maximal_queue_lifetime", 'd');
  config.bounce_queue_lifetime_seconds = loader.seconds("bounce_queue_lifetime", 'd');
  config.delay_warning_seconds = loader.seconds("delay_warning_time", 'h', true);
  if (config.maximal_backoff_seconds < config.minimal_backoff_seconds) {
    loader.fail("maximal_backoff_time",
                "maximal_backoff_time is shorter than minimal_backoff_time");
  }
  config.relayhost = std::string(trim(loader.text("relayhost")));
  config.resolver = loader.list("resolver");
  config.smtp_helo_name = loader.text("smtp_helo_name");
  config.smtp_connect_timeout_seconds = loader.seconds("smtp_connect_timeout");
  config.smtp_helo_timeout_seconds = loader.seconds("smtp_helo_timeout");
  config.smtp_mail_timeout_seconds = loader.seconds("smtp_mail_timeout");
  config.smtp_rcpt_timeout_seconds = loader.seconds("smtp_rcpt_timeout");
  config.smtp_data_init_timeout_seconds = loader.seconds("smtp_data_init_timeout");
  config.smtp_data_xfer_timeout_seconds = loader.seconds("smtp_data_xfer_timeout");
  config.smtp_data_done_timeout_seconds = loader.seconds("smtp_data_done_timeout");
  config.smtp_quit_timeout_seconds = loader.seconds("smtp_quit_timeout");
  std::string level = to_lower_ascii(trim(loader.text("smtp_tls_security_level")));
  if (level == "none") {
    config.smtp_tls_security_level = SmtpTlsLevel::None;
  } else if (level == "may") {
    config.smtp_tls_security_level = SmtpTlsLevel::May;
  } else if (level == "encrypt") {
    config.smtp_tls_security_level = SmtpTlsLevel::Encrypt;
  } else if (level == "verify" || level == "secure") {
    config.smtp_tls_security_level = SmtpTlsLevel::Verify;
  } else {
    loader.fail("smtp_tls_security_level",
                fmt::format("bad value for smtp_tls_security_level: {} (none, may, encrypt or "
                            "verify)",
                            level));
  }
}

Config build(Loader& loader) {
  Config config;
  config.myhostname = loader.text("myhostname");
  config.mydomain = loader.text("mydomain");
  config.myorigin = loader.text("myorigin");
  config.smtpd_banner = loader.text("smtpd_banner");
  for (const std::string& domain : loader.list("mydestination")) {
    config.mydestination.push_back(to_lower_ascii(domain));
  }
  config.mynetworks = parse_networks(loader);
  config.append_dot_mydomain = loader.boolean("append_dot_mydomain");
  config.inet_interfaces = loader.list("inet_interfaces");
  read_protocols(loader, config);
  parse_listen(loader, "smtpd_listen", ListenerRole::Smtp, config.listeners);
  parse_listen(loader, "submission_listen", ListenerRole::Submission, config.listeners);
  parse_listen(loader, "smtps_listen", ListenerRole::Smtps, config.listeners);
  resolve_interfaces(loader, config);
  config.smtpd_threads = loader.small_number("smtpd_threads");
  config.alias_maps = parse_tables(loader, "alias_maps");
  config.local_recipient_maps = parse_tables(loader, "local_recipient_maps");
  config.recipient_delimiter = loader.text("recipient_delimiter");
  config.mail_root = loader.text("mail_root");
  config.home_mailbox = loader.text("home_mailbox");
  config.mailbox_size_limit = loader.number("mailbox_size_limit");
  config.queue_directory = loader.text("queue_directory");
  config.data_directory = loader.text("data_directory");
  config.mail_owner = loader.text("mail_owner");
  config.maillog_file = loader.text("maillog_file");
  config.smtpd_helo_required = loader.boolean("smtpd_helo_required");
  loader.restrictions("smtpd_helo_restrictions", kHeloRestrictions, config.smtpd_helo_restrictions);
  loader.restrictions("smtpd_relay_restrictions", kRecipientRestrictions,
                      config.smtpd_relay_restrictions);
  loader.restrictions("smtpd_recipient_restrictions", kRecipientRestrictions,
                      config.smtpd_recipient_restrictions);
  loader.restrictions("smtpd_sender_restrictions", kSenderRestrictions,
                      config.smtpd_sender_restrictions);
  loader.restrictions("mua_relay_restrictions", kRecipientRestrictions,
                      config.mua_relay_restrictions);
  loader.restrictions("mua_sender_restrictions", kSenderRestrictions,
                      config.mua_sender_restrictions);
  config.smtpd_sender_login_maps = parse_tables(loader, "smtpd_sender_login_maps");
  config.smtp_generic_maps = parse_tables(loader, "smtp_generic_maps");
  config.smtp_sasl_auth_enable = loader.boolean("smtp_sasl_auth_enable");
  config.smtp_sasl_password_maps = parse_tables(loader, "smtp_sasl_password_maps");
  for (const std::string& domain : loader.list("masquerade_domains")) {
    config.masquerade_domains.push_back(to_lower_ascii(domain));
  }
  config.masquerade_exceptions = loader.list("masquerade_exceptions");
  read_tls(loader, config);
  config.smtpd_sasl_auth_enable = loader.boolean("smtpd_sasl_auth_enable");
  config.smtpd_auth_failure_limit = loader.small_number("smtpd_auth_failure_limit");
  if (config.smtpd_auth_failure_limit < 1) {
    loader.fail("smtpd_auth_failure_limit", "smtpd_auth_failure_limit must be at least 1");
  }
  std::string vrfy = to_lower_ascii(trim(loader.text("disable_vrfy_command")));
  if (vrfy == "ambiguous") {
    config.vrfy_mode = VrfyMode::Ambiguous;
  } else if (vrfy == "yes") {
    config.vrfy_mode = VrfyMode::Disabled;
  } else if (vrfy == "no") {
    config.vrfy_mode = VrfyMode::Reveal;
  } else {
    loader.fail("disable_vrfy_command",
                fmt::format("bad value for disable_vrfy_command: {} (yes, no or ambiguous)", vrfy));
  }
  config.message_size_limit = loader.number("message_size_limit");
  config.line_length_limit = loader.number("line_length_limit");
  if (config.line_length_limit < 512 || config.line_length_limit > 1000000) {
    loader.fail("line_length_limit", "line_length_limit must be between 512 and 1000000");
  }
  config.smtpd_recipient_limit = loader.number("smtpd_recipient_limit");
  config.smtpd_timeout_seconds = loader.seconds("smtpd_timeout");
  config.smtpd_hard_error_limit = loader.small_number("smtpd_hard_error_limit");
  config.smtpd_client_connection_count_limit =
      loader.small_number("smtpd_client_connection_count_limit");
  config.smtpd_connection_limit = loader.small_number("smtpd_connection_limit");
  config.queue_minfree = loader.number("queue_minfree");
  std::string bare = to_lower_ascii(trim(loader.text("smtpd_forbid_bare_newline")));
  if (bare == "normalize" || bare == "no") {
    config.smtpd_forbid_bare_newline = BareNewline::Normalize;
  } else if (bare == "reject" || bare == "yes") {
    config.smtpd_forbid_bare_newline = BareNewline::Reject;
  } else {
    loader.fail(
        "smtpd_forbid_bare_newline",
        fmt::format("bad value for smtpd_forbid_bare_newline: {} (normalize or reject)", bare));
  }
  config.smtpd_forbidden_commands = loader.list("smtpd_forbidden_commands");
  read_outbound(loader, config);
  return config;
}

}  // namespace

std::string_view role_name(ListenerRole role) {
  switch (role) {
    case ListenerRole::Smtp:
      return "smtp";
    case ListenerRole::Submission:
      return "submission";
    case ListenerRole::Smtps:
      return "smtps";
  }
  return "smtp";
}

std::string Diagnostic::to_string() const {
  const char* word = level == Level::Notice    ? "notice"
                     : level == Level::Warning ? "warning"
                                               : "error";
  if (line > 0) return fmt::format("{}:{}: {}: {}", file, line, word, text);
  if (!file.empty()) return fmt::format("{}: {}: {}", file, word, text);
  return fmt::format("{}: {}", word, text);
}

Result<LoadedConfig> load_config(std::string_view text, std::string_view file_name) {
  auto entries = parse_main_cf(text, file_name);
  if (!entries) return entries.error();
  LoadedConfig loaded;
  Values values;
  values.file_name = std::string(file_name);
  for (const MainCfEntry& entry : *entries) {
    const ParameterInfo* info = find_parameter(entry.name);
    if (values.from_file.contains(entry.name)) {
      loaded.diagnostics.push_back(
          {Diagnostic::Level::Warning, values.file_name, entry.line,
           fmt::format("{} is set again; the later value wins", entry.name)});
    }
    values.from_file[entry.name] = {entry.value, entry.line};
    if (info == nullptr) {
      loaded.diagnostics.push_back({Diagnostic::Level::Warning, values.file_name, entry.line,
                                    fmt::format("unknown parameter {}", entry.name)});
    } else if (info->kind == ParameterKind::PostfixNoEffect) {
      loaded.diagnostics.push_back(
          {Diagnostic::Level::Notice, values.file_name, entry.line,
           fmt::format("Postfix parameter {} has no effect in tern", entry.name)});
      loaded.ignored_postfix_parameters.push_back(entry.name);
    }
  }
  Loader loader(values);
  loaded.config = build(loader);
  // Expanding every explicit value also catches errors in parameters tern does not act on.
  for (const auto& [name, value] : values.from_file) {
    (void)value;
    if (find_parameter(name) == nullptr) continue;
    loaded.explicit_values.emplace_back(name, loader.text(name));
  }
  if (!loader.error().empty()) return Error{loader.error()};
  std::sort(loaded.explicit_values.begin(), loaded.explicit_values.end(),
            [&values](const auto& a, const auto& b) {
              return values.line(a.first) < values.line(b.first);
            });
  return loaded;
}

Result<LoadedConfig> load_config_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  return load_config(*text, path);
}

std::string_view embedded_default_config() {
  return R"(# tern's embedded default: a laptop-sized server on loopback, state under ./run, no root needed.
smtpd_listen = 127.0.0.1:2525
submission_listen = 127.0.0.1:2587
smtps_listen = 127.0.0.1:2465
mydestination = localhost, localhost.localdomain, $myhostname
config_directory = run/etc
queue_directory = run/spool
data_directory = run/data
mail_root = run/mail
alias_maps = texthash:${config_directory}/aliases
local_recipient_maps = passwd-file:${config_directory}/users
recipient_delimiter = +
mail_owner = nobody
)";
}

}  // namespace tern::config
