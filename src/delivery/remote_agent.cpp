// Remote delivery: one event loop per delivery call (the queue manager's workers are threads), DNS
// through libunbound, the MX plan of delivery/mx_plan.hpp, then smtp_client.hpp walks the hosts.
#include "delivery/remote_agent.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <map>
#include <random>

#include "base/strings.hpp"
#include "delivery/mx_plan.hpp"
#include "delivery/relay_credentials.hpp"
#include "mime/address_fields.hpp"
#include "mime/dsn.hpp"
#include "net/resolver.hpp"

namespace tern::delivery {
namespace {

using queue::RecipientResult;
using queue::RecipientState;

std::string domain_of(const std::string& address) {
  std::size_t at = address.rfind('@');
  return at == std::string::npos ? "" : to_lower_ascii(address.substr(at + 1));
}

RecipientResult failed_result(std::size_t index, const PlanFailure& failure) {
  return RecipientResult{index,
                         failure.permanent ? RecipientState::Bounced : RecipientState::Deferred,
                         failure.status, failure.reason, "none"};
}

smtp::TlsPolicy tls_policy(config::SmtpTlsLevel level) {
  switch (level) {
    case config::SmtpTlsLevel::None:
      return smtp::TlsPolicy::None;
    case config::SmtpTlsLevel::May:
      return smtp::TlsPolicy::May;
    case config::SmtpTlsLevel::Encrypt:
      return smtp::TlsPolicy::Encrypt;
    case config::SmtpTlsLevel::Verify:
      return smtp::TlsPolicy::Verify;
  }
  return smtp::TlsPolicy::May;
}

std::chrono::milliseconds seconds(int value) {
  return std::chrono::seconds(value);
}

// The servers to try for one destination: relayhost's, or the domain's MX plan, with addresses.
asio::awaitable<Result<std::vector<SmtpServerAddress>, PlanFailure>> plan_destination(
    net::Resolver& resolver, const NextHop& hop, const std::string& domain,
    const std::string& myhostname) {
  if (hop.address) {
    co_return std::vector<SmtpServerAddress>{SmtpServerAddress{"", *hop.address, hop.port}};
  }
  MxPlan plan;
  if (!hop.lookup_mx) {
    plan = plan_without_mx(hop);
  } else {
    auto mx = co_await resolver.mx(hop.host);
    std::random_device seed;
    RandomEngine random(seed());
    auto planned = plan_mx_hosts(hop.host, mx, myhostname, random);
    if (!planned) co_return planned.error();
    plan = std::move(planned.value());
  }
  std::vector<net::DnsAnswer<std::vector<asio::ip::address>>> addresses;
  for (const MxHost& host : plan.hosts) addresses.push_back(co_await resolver.addresses(host.name));
  auto targets = plan_targets(domain, plan, addresses);
  if (!targets) co_return targets.error();
  std::vector<SmtpServerAddress> servers;
  for (const DeliveryTarget& target : *targets) {
    servers.push_back(SmtpServerAddress{target.host, target.address, hop.port});
  }
  co_return servers;
}

// Whether the message's header holds 8-bit bytes (UTF-8 with SMTPUTF8): read up to the end of the
// header section.
bool header_has_utf8(int fd, std::uint64_t offset, std::uint64_t length) {
  char buffer[16 * 1024];
  std::uint64_t read_so_far = 0;
  char previous = '\0';
  while (read_so_far < length) {
    ssize_t got = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(offset + read_so_far));
    if (got <= 0) return false;
    for (ssize_t i = 0; i < got; ++i) {
      if (static_cast<unsigned char>(buffer[i]) >= 0x80) return true;
      if (buffer[i] == '\n' && previous == '\n') return false;
      if (buffer[i] != '\r') previous = buffer[i];
    }
    read_so_far += static_cast<std::uint64_t>(got);
  }
  return false;
}

constexpr std::size_t kMaxRewrittenHeader = 256 * 1024;

// Replaces the message's header section by its rewritten form (sent as data.prefix), when the
// rules change anything; a header section larger than kMaxRewrittenHeader goes out as it is.
void rewrite_header_section(MessageData& data, const OutboundRewriting& rules) {
  std::string head(
      static_cast<std::size_t>(std::min<std::uint64_t>(data.length, kMaxRewrittenHeader)), '\0');
  std::size_t filled = 0;
  while (filled < head.size()) {
    ssize_t got = ::pread(data.fd, head.data() + filled, head.size() - filled,
                          static_cast<off_t>(data.offset + filled));
    if (got <= 0) return;
    filled += static_cast<std::size_t>(got);
  }
  std::string_view header = mime::header_section(head);
  bool complete = header.size() < head.size() || head.size() == data.length;
  if (header.empty() || !complete) return;
  std::string rewritten = mime::rewrite_address_fields(header, [&](std::string_view address) {
    return rewrite_outbound(address, AddressRole::HeaderAddress, rules);
  });
  if (rewritten == header) return;
  data.offset += header.size();
  data.length -= header.size();
  data.prefix = std::move(rewritten);
}

}  // namespace

RemoteDeliveryAgent::RemoteDeliveryAgent(const config::Config& config,
                                         std::shared_ptr<asio::ssl::context> tls)
    : config_(config) {
  options_.helo_name = config.smtp_helo_name;
  options_.tls_policy = tls_policy(config.smtp_tls_security_level);
  options_.tls_context = std::move(tls);
  options_.timeouts = SmtpTimeouts{seconds(config.smtp_connect_timeout_seconds),
                                   seconds(config.smtp_helo_timeout_seconds),
                                   seconds(config.smtp_mail_timeout_seconds),
                                   seconds(config.smtp_rcpt_timeout_seconds),
                                   seconds(config.smtp_data_init_timeout_seconds),
                                   seconds(config.smtp_data_xfer_timeout_seconds),
                                   seconds(config.smtp_data_done_timeout_seconds),
                                   seconds(config.smtp_quit_timeout_seconds)};
  rewriting_.masquerade_domains = config.masquerade_domains;
  rewriting_.masquerade_exceptions = config.masquerade_exceptions;
  rewriting_.recipient_delimiter = config.recipient_delimiter;
  rewriting_.local_domains = config.mydestination;
  rewriting_.local_domains.push_back(config.myorigin);
  rewriting_.generic = load_tables(config.smtp_generic_maps, "smtp_generic_maps");
  if (config.smtp_sasl_auth_enable) {
    sasl_logins_ = load_tables(config.smtp_sasl_password_maps, "smtp_sasl_password_maps");
  }
}

std::optional<config::LookupTable> RemoteDeliveryAgent::load_tables(
    const std::vector<config::TableSpec>& tables, std::string_view parameter) {
  if (tables.empty()) return std::nullopt;
  config::LookupTable merged;
  for (const config::TableSpec& table : tables) {
    auto loaded = config::read_lookup_table(table.path);
    if (!loaded) {
      table_unavailable_ = fmt::format("{} {}:{} is unavailable: {}", parameter, table.type,
                                       table.path, loaded.error().message);
      spdlog::warn("{}: remote delivery waits until it is fixed and ternd restarted",
                   table_unavailable_);
      continue;
    }
    // The first table that has a key decides, as with Postfix's list of tables.
    merged.entries.insert(loaded->entries.begin(), loaded->entries.end());
  }
  return merged;
}

std::vector<RecipientResult> RemoteDeliveryAgent::deliver(
    const queue::DeliveryJob& job, const std::vector<std::size_t>& indexes) const {
  std::vector<RecipientResult> results;
  if (indexes.empty()) return results;
  auto defer_all = [&](const std::string& status, const std::string& text) {
    for (std::size_t index : indexes)
      results.push_back(failed_result(index, {false, status, text}));
    return results;
  };
  if (!table_unavailable_.empty()) return defer_all("4.3.0", table_unavailable_);
  std::optional<NextHop> relay;
  if (!config_.relayhost.empty()) {
    auto parsed = parse_relayhost(config_.relayhost);
    if (!parsed) return defer_all("4.3.5", parsed.error().message);
    relay = std::move(parsed.value());
  }
  int fd = ::open(job.spool_file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat info {};
  if (fd < 0 || ::fstat(fd, &info) != 0) {
    if (fd >= 0) ::close(fd);
    return defer_all("4.3.0", "cannot open queue file");
  }
  MessageData data{fd, job.data_offset, static_cast<std::uint64_t>(info.st_size) - job.data_offset};
  bool utf8_header = job.envelope.smtputf8 && header_has_utf8(fd, data.offset, data.length);
  if (!rewriting_.empty()) rewrite_header_section(data, rewriting_);

  // Recipients by destination: all to relayhost when one is set, else by domain.
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t index : indexes) {
    groups[relay ? "" : domain_of(job.envelope.recipients[index].address)].push_back(index);
  }
  asio::io_context context(1);
  net::ResolverOptions resolver_options;
  resolver_options.forwarders = config_.resolver;
  resolver_options.ipv4 = config_.inet_ipv4;
  resolver_options.ipv6 = config_.inet_ipv6;
  auto resolver = net::Resolver::create(context.get_executor(), resolver_options);
  if (!resolver) {
    ::close(fd);
    return defer_all("4.3.0", fmt::format("DNS resolver: {}", resolver.error().message));
  }
  auto run = [&]() -> asio::awaitable<void> {
    for (const auto& [domain, members] : groups) {
      NextHop hop = relay ? *relay : NextHop{domain, 25, true, std::nullopt};
      auto servers = co_await plan_destination(**resolver, hop, domain, config_.myhostname);
      if (!servers) {
        for (std::size_t index : members) results.push_back(failed_result(index, servers.error()));
        continue;
      }
      SmtpClientOptions options = options_;
      if (sasl_logins_) {
        auto login =
            find_sasl_login(*sasl_logins_, sasl_lookup_keys(relay ? config_.relayhost : domain));
        if (!login) {
          for (std::size_t index : members) {
            results.push_back(failed_result(index, {false, "4.3.0", login.error().message}));
          }
          continue;
        }
        if (*login) options.credentials = client_credentials(**login);
      }
      smtp::OutboundMessage message =
          outbound_message(job.envelope, members, data.size(), utf8_header);
      if (!rewriting_.empty()) {
        message.sender = rewrite_outbound(message.sender, AddressRole::Sender, rewriting_);
        for (smtp::OutboundRecipient& recipient : message.recipients) {
          recipient.address =
              rewrite_outbound(recipient.address, AddressRole::EnvelopeRecipient, rewriting_);
        }
      }
      SmtpDelivery delivery = co_await deliver_to_servers(*servers, message, data, options);
      for (std::size_t i = 0; i < members.size() && i < delivery.recipients.size(); ++i) {
        const smtp::RecipientOutcome& outcome = delivery.recipients[i];
        RecipientResult result = recipient_result(members[i], outcome);
        result.diagnostic = outcome.diagnostic_code;
        result.handoff =
            outcome.remote_dsn ? queue::Handoff::RelayedWithDsn : queue::Handoff::RelayedWithoutDsn;
        if (!outcome.diagnostic_code.empty()) {
          // "mx.example.org[192.0.2.1]:25" -> "dns; mx.example.org"
          std::string host = outcome.relay.substr(0, outcome.relay.find('['));
          if (!host.empty() && host != "none") result.remote_mta = "dns; " + host;
        }
        results.push_back(std::move(result));
      }
    }
  };
  asio::co_spawn(context, run(), [](std::exception_ptr failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      spdlog::error("remote delivery failed: {}", error.what());
    }
  });
  context.run();
  ::close(fd);
  // Whatever an exception left without a result is deferred, never dropped.
  for (std::size_t index : indexes) {
    bool decided = std::any_of(results.begin(), results.end(), [&](const RecipientResult& result) {
      return result.index == index;
    });
    if (!decided)
      results.push_back(failed_result(index, {false, "4.3.0", "remote delivery failed"}));
  }
  return results;
}

}  // namespace tern::delivery
