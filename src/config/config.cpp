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
#include <map>
#include <set>
#include <sstream>

#include "base/strings.hpp"
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
  int seconds(std::string_view name) {
    std::string value(trim(text(name)));
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
    if (multiplier == 0 || value.empty() || error != std::errc{} ||
        end != value.data() + value.size() || number <= 0 || number > 100000000) {
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

std::vector<ListenAddress> parse_listen(Loader& loader) {
  std::vector<ListenAddress> addresses;
  for (const std::string& item : loader.list("smtpd_listen")) {
    std::size_t colon = item.rfind(':');
    std::string host = colon == std::string::npos ? "" : item.substr(0, colon);
    std::string port_text = colon == std::string::npos ? item : item.substr(colon + 1);
    unsigned port = 0;
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    bool port_ok = error == std::errc{} && end == port_text.data() + port_text.size() && port > 0 &&
                   port < 65536;
    bool host_ok = host.empty() || IpAddress::parse(host).has_value();
    if (!port_ok || !host_ok) {
      loader.fail(
          "smtpd_listen",
          fmt::format("bad listen address {} (expected host:port, [v6]:port or :port)", item));
      continue;
    }
    addresses.push_back(ListenAddress{"smtp", host, static_cast<std::uint16_t>(port)});
  }
  return addresses;
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
  for (const ListenAddress& listen : config.smtpd_listen) {
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
  config.smtpd_listen = std::move(resolved);
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
  config.smtpd_listen = parse_listen(loader);
  resolve_interfaces(loader, config);
  config.smtpd_threads = loader.small_number("smtpd_threads");
  config.alias_maps = parse_tables(loader, "alias_maps");
  config.local_recipient_maps = parse_tables(loader, "local_recipient_maps");
  config.recipient_delimiter = loader.text("recipient_delimiter");
  config.mail_root = loader.text("mail_root");
  config.home_mailbox = loader.text("home_mailbox");
  config.mailbox_size_limit = loader.number("mailbox_size_limit");
  config.queue_directory = loader.text("queue_directory");
  config.mail_owner = loader.text("mail_owner");
  config.maillog_file = loader.text("maillog_file");
  config.smtpd_helo_required = loader.boolean("smtpd_helo_required");
  loader.restrictions("smtpd_helo_restrictions", kHeloRestrictions, config.smtpd_helo_restrictions);
  loader.restrictions("smtpd_relay_restrictions", kRecipientRestrictions,
                      config.smtpd_relay_restrictions);
  loader.restrictions("smtpd_recipient_restrictions", kRecipientRestrictions,
                      config.smtpd_recipient_restrictions);
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
  return config;
}

}  // namespace

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
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{fmt::format("{}: cannot open: {}", path, std::strerror(errno))};
  std::stringstream text;
  text << in.rdbuf();
  return load_config(text.str(), path);
}

std::string_view embedded_default_config() {
  return R"(# tern's embedded default: a laptop-sized server on loopback, state under ./run, no root needed.
smtpd_listen = 127.0.0.1:2525
mydestination = localhost, localhost.localdomain, $myhostname
config_directory = run/etc
queue_directory = run/spool
mail_root = run/mail
alias_maps = texthash:${config_directory}/aliases
local_recipient_maps = passwd-file:${config_directory}/users
recipient_delimiter = +
mail_owner = nobody
)";
}

}  // namespace tern::config
