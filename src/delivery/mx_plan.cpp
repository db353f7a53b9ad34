// MX and next-hop policy for outbound delivery, pure: RFC 5321 §5.1 (MX order, implicit MX, never
// to ourselves or a less preferred host), RFC 7505 (null MX), and Postfix's status codes and texts
// for each way a destination can be unusable (smtp_addr.c), so bounces and logs read the same.
#include "delivery/mx_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <utility>

#include "base/strings.hpp"

namespace tern::delivery {
namespace {

// Lower case, without the final dot: how DNS names compare (RFC 4343).
std::string canonical_name(std::string_view name) {
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  return to_lower_ascii(name);
}

// Letters, digits, '-' and '_' in dot-separated labels of 1..63 octets, at most 253 in all.
bool valid_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
    if (!allowed || ++label > 63) return false;
  }
  return label > 0;
}

std::optional<asio::ip::address> ip_address(std::string_view text) {
  asio::error_code error;
  asio::ip::address address = asio::ip::make_address(std::string(text), error);
  if (error) return std::nullopt;
  return address;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text == "smtp") return 25;
  if (text == "submission") return 587;
  if (text == "submissions" || text == "smtps") return 465;  // RFC 8314
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::string describe_hosts(const std::vector<MxHost>& hosts) {
  std::string text;
  for (const MxHost& host : hosts) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} ({})", host.name, host.preference);
  }
  return text;
}

PlanFailure loops_back(std::string_view domain) {
  return {true, "5.4.6", fmt::format("mail for {} loops back to myself", domain)};
}

}  // namespace

Result<NextHop> parse_relayhost(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error{fmt::format("bad relayhost \"{}\": {}", text, why)};
  };
  NextHop hop;
  std::string_view host = text;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    std::string_view rest = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected ':port' after ']'");
      port = rest.substr(1);
      if (port.empty()) return bad("empty port");
    }
    hop.lookup_mx = false;
    // RFC 5321 §4.1.3 address literal syntax, as in user@[IPv6:2001:db8::1].
    if (istarts_with(host, "ipv6:")) {
      host.remove_prefix(5);
      auto address = ip_address(host);
      if (!address || !address->is_v6()) return bad("not an IPv6 address after 'ipv6:'");
    }
  } else {
    std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      if (host.find(':', colon + 1) != std::string_view::npos) {
        return bad("an IPv6 address must be in brackets, as [2001:db8::1]");
      }
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) return bad("empty port");
    }
  }
  if (host.empty()) return bad("no host");
  if (!port.empty()) {
    auto number = parse_port(port);
    if (!number) return bad(fmt::format("bad port \"{}\"", port));
    hop.port = *number;
  }
  if (auto address = ip_address(host)) {
    hop.host = address->to_string();
    hop.address = address;
    hop.lookup_mx = false;  // an address has no MX records
    return hop;
  }
  std::string name = canonical_name(host);
  if (!valid_host_name(name)) return bad("not a valid host name");
  hop.host = std::move(name);
  return hop;
}

Result<MxPlan, PlanFailure> plan_mx_hosts(std::string_view domain,
                                          const net::DnsAnswer<std::vector<net::MxRecord>>& mx,
                                          std::string_view myhostname, RandomEngine& random) {
  std::string destination = canonical_name(domain);
  std::string me = canonical_name(myhostname);
  switch (mx.status) {
    case net::DnsStatus::not_found:
      return PlanFailure{true, "5.4.4", mx.reason};
    case net::DnsStatus::try_again:
      return PlanFailure{false, "4.4.3", mx.reason};
    case net::DnsStatus::no_data:
    case net::DnsStatus::found:
      break;
  }
  MxPlan plan;
  if (mx.status == net::DnsStatus::no_data || mx.records.empty()) {
    // RFC 5321 §5.1: no MX records, the domain itself is the one host, as if "MX 0 domain".
    if (destination == me) return loops_back(destination);
    plan.hosts.push_back({destination, 0});
    plan.implicit_mx = true;
    plan.reason =
        fmt::format("no MX record for {}: delivering to its address (implicit MX)", destination);
    return plan;
  }
  // RFC 7505 §3: a single MX "0 ." says the domain accepts no mail. Any MX set made only of roots
  // means the same; a root mixed with real hosts names no host and is dropped.
  bool any_root = false;
  for (const net::MxRecord& record : mx.records) {
    std::string name = canonical_name(record.exchange);
    if (name == "." || name.empty()) {
      any_root = true;
      continue;
    }
    plan.hosts.push_back({std::move(name), record.preference});
  }
  if (plan.hosts.empty()) {
    return PlanFailure{true, "5.1.10",
                       fmt::format("Domain {} does not accept mail (nullMX)", destination)};
  }
  // RFC 5321 §5.1: lowest preference first; hosts of equal preference in random order, to spread
  // the load. Shuffle, then a stable sort keeps the random order within each preference.
  std::shuffle(plan.hosts.begin(), plan.hosts.end(), random);
  std::stable_sort(plan.hosts.begin(), plan.hosts.end(),
                   [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  std::string notes;
  if (any_root) notes += "; ignored a null MX among real MX hosts";
  // RFC 5321 §5.1: if we are listed, drop our record and every one that is not better than it:
  // those hosts would send the mail back to us.
  auto self = std::find_if(plan.hosts.begin(), plan.hosts.end(),
                           [&](const MxHost& host) { return host.name == me; });
  if (self != plan.hosts.end()) {
    std::uint16_t own = self->preference;
    if (own <= plan.hosts.front().preference) return loops_back(destination);
    auto first_dropped = std::find_if(plan.hosts.begin(), plan.hosts.end(),
                                      [own](const MxHost& host) { return host.preference >= own; });
    plan.hosts.erase(first_dropped, plan.hosts.end());
    plan.found_myself = true;
    notes += fmt::format("; dropped preference {} and above: {} is listed there", own, me);
  }
  plan.reason =
      fmt::format("MX hosts for {}: {}{}", destination, describe_hosts(plan.hosts), notes);
  return plan;
}

MxPlan plan_without_mx(const NextHop& hop) {
  MxPlan plan;
  plan.hosts.push_back({hop.host, 0});
  plan.no_mx_lookup = true;
  plan.reason = fmt::format("[{}]:{}: no MX lookup", hop.host, hop.port);
  return plan;
}

Result<std::vector<DeliveryTarget>, PlanFailure> plan_targets(
    std::string_view domain, const MxPlan& plan,
    std::span<const net::DnsAnswer<std::vector<asio::ip::address>>> addresses) {
  if (addresses.size() != plan.hosts.size()) {
    throw std::invalid_argument("plan_targets: one address answer per planned host");
  }
  std::vector<DeliveryTarget> targets;
  const std::string* try_again = nullptr;
  const std::string* last_failure = nullptr;
  for (std::size_t i = 0; i < plan.hosts.size(); ++i) {
    const auto& answer = addresses[i];
    if (!answer.found()) {
      if (answer.status == net::DnsStatus::try_again && try_again == nullptr) {
        try_again = &answer.reason;
      }
      last_failure = &answer.reason;
      continue;
    }
    for (const asio::ip::address& address : answer.records) {
      bool seen = std::any_of(targets.begin(), targets.end(),
                              [&](const DeliveryTarget& t) { return t.address == address; });
      if (!seen) targets.push_back({plan.hosts[i].name, address, plan.hosts[i].preference});
    }
  }
  if (!targets.empty()) return targets;
  std::string destination = canonical_name(domain);
  if (try_again != nullptr) return PlanFailure{false, "4.4.3", *try_again};
  if (plan.found_myself) {
    return PlanFailure{false, "4.4.4",
                       fmt::format("unable to find primary relay for {}", destination)};
  }
  std::string reason = last_failure != nullptr
                           ? *last_failure
                           : fmt::format("no host to deliver to for {}", destination);
  if (plan.implicit_mx) return PlanFailure{true, "5.4.4", std::move(reason)};
  return PlanFailure{false, "4.4.4", std::move(reason)};
}

}  // namespace tern::delivery
