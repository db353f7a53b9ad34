// Fuzzes the main.cf reader (config/main_cf.hpp) and the typed loader over it
// (config/config.hpp): logical lines, continuations, comments, $name expansion with its
// conditional forms, and every value check. Checks: entries are well-formed name = value pairs in
// file order; a config that loads holds only values ternd can run with (positive timeouts, valid
// ports, a TLS range it can offer), so no main.cf can start a daemon with a nonsense setting.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/strings.hpp"
#include "config/config.hpp"
#include "config/main_cf.hpp"
#include "fuzz_check.hpp"

namespace {

using tern::fuzz::visible;
using namespace tern::config;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

void check_entries(std::string_view text) {
  auto entries = parse_main_cf(text, "main.cf");
  if (!entries) {
    FUZZ_CHECK(entries.error().message.starts_with("main.cf:"),
               "error without a file name: " + entries.error().message);
    return;
  }
  int previous_line = 0;
  for (const MainCfEntry& entry : *entries) {
    FUZZ_CHECK(!entry.name.empty(), "empty parameter name");
    for (char c : entry.name) FUZZ_CHECK(is_name_char(c), "parameter name " + visible(entry.name));
    FUZZ_CHECK(tern::trim(entry.value) == entry.value, "untrimmed value " + visible(entry.value));
    FUZZ_CHECK(entry.line > previous_line, "entries out of file order");
    previous_line = entry.line;
  }
}

void check_timeout(int seconds, const char* name) {
  FUZZ_CHECK(seconds > 0, std::string(name) + " loaded as " + std::to_string(seconds));
}

void check_loaded(const LoadedConfig& loaded) {
  const Config& config = loaded.config;
  check_timeout(config.smtpd_timeout_seconds, "smtpd_timeout");
  check_timeout(config.minimal_backoff_seconds, "minimal_backoff_time");
  check_timeout(config.maximal_backoff_seconds, "maximal_backoff_time");
  check_timeout(config.queue_run_delay_seconds, "queue_run_delay");
  check_timeout(config.maximal_queue_lifetime_seconds, "maximal_queue_lifetime");
  check_timeout(config.bounce_queue_lifetime_seconds, "bounce_queue_lifetime");
  check_timeout(config.smtp_connect_timeout_seconds, "smtp_connect_timeout");
  check_timeout(config.smtp_helo_timeout_seconds, "smtp_helo_timeout");
  check_timeout(config.smtp_mail_timeout_seconds, "smtp_mail_timeout");
  check_timeout(config.smtp_rcpt_timeout_seconds, "smtp_rcpt_timeout");
  check_timeout(config.smtp_data_init_timeout_seconds, "smtp_data_init_timeout");
  check_timeout(config.smtp_data_xfer_timeout_seconds, "smtp_data_xfer_timeout");
  check_timeout(config.smtp_data_done_timeout_seconds, "smtp_data_done_timeout");
  check_timeout(config.smtp_quit_timeout_seconds, "smtp_quit_timeout");
  FUZZ_CHECK(config.maximal_backoff_seconds >= config.minimal_backoff_seconds,
             "maximal_backoff_time below minimal_backoff_time");
  FUZZ_CHECK(config.line_length_limit >= 512 && config.line_length_limit <= 1000000,
             "line_length_limit " + std::to_string(config.line_length_limit));
  FUZZ_CHECK(config.smtpd_auth_failure_limit >= 1, "smtpd_auth_failure_limit below 1");
  for (const ListenAddress& listen : config.listeners) {
    FUZZ_CHECK(listen.port > 0, "listener on port 0");
  }
  const TlsVersions& tls = config.smtpd_tls_protocols;
  FUZZ_CHECK(tls.minimum >= 0x0303 && tls.minimum <= tls.maximum && tls.maximum <= 0x0304,
             "TLS versions " + std::to_string(tls.minimum) + ".." + std::to_string(tls.maximum));
  for (const TableSpec& table : config.alias_maps) {
    FUZZ_CHECK(table.type == "hash" || table.type == "texthash" || table.type == "passwd-file",
               "alias_maps table type " + visible(table.type));
  }
  for (const std::string& domain : config.mydestination) {
    FUZZ_CHECK(tern::to_lower_ascii(domain) == domain, "mydestination not lower case");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_entries(text);
  auto loaded = load_config(text, "main.cf");
  if (loaded) check_loaded(loaded.value());
  return 0;
}
