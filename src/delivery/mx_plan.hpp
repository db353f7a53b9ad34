// Where to send mail for a domain, decided from DNS answers with no I/O (RFC 5321 §5.1): MX hosts
// by preference, equal preferences in random order, the domain itself when it has no MX (implicit
// MX), null MX refused (RFC 7505), MX records at or below our own preference dropped so mail never
// loops back to us; then each host's addresses in that order. Also parses relayhost / next-hop
// syntax ("[host]:port", "host:port", "host"). Every outcome carries a reason a log line can show.
#pragma once

#include <asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "net/resolver.hpp"

namespace tern::delivery {

// Shuffles equal-preference MX hosts; seeded by the caller, so tests are deterministic.
using RandomEngine = std::mt19937_64;

// A next hop, as Postfix's relayhost or a transport's nexthop names it.
struct NextHop {
  std::string host;  // domain or host name (final dot removed), or an IP address
  std::uint16_t port = 25;
  bool lookup_mx = true;                     // false for "[host]" and IP addresses
  std::optional<asio::ip::address> address;  // set when `host` is an IP address: no DNS at all

  bool operator==(const NextHop&) const = default;
};

// "[host]", "[host]:port", "host", "host:port", "[192.0.2.1]", "[2001:db8::1]:587",
// "[ipv6:2001:db8::1]". Brackets turn off the MX lookup (Postfix); so does an IP address. The port
// is a number or one of smtp, submission, submissions, smtps.
Result<NextHop> parse_relayhost(std::string_view text);

// Why delivery to a domain cannot even start.
struct PlanFailure {
  bool permanent = false;  // bounce now (5.x.x), or defer and retry (4.x.x)
  std::string status;      // RFC 3463 enhanced status code, e.g. "5.1.10"
  std::string reason;  // Postfix's text, e.g. "Domain example.org does not accept mail (nullMX)"

  bool operator==(const PlanFailure&) const = default;
};

struct MxHost {
  std::string name;  // lower case, without the final dot
  std::uint16_t preference = 0;

  bool operator==(const MxHost&) const = default;
};

struct MxPlan {
  std::vector<MxHost> hosts;  // in the order to try: best preference first
  bool implicit_mx = false;   // no MX records: the domain's own address records (RFC 5321 §5.1)
  bool found_myself = false;  // we are a listed MX: less preferred hosts were dropped
  bool no_mx_lookup = false;  // a "[host]" next hop: its addresses only
  std::string reason;         // how the list was built, for the log
};

// The plan for a next hop that is not looked up as a domain's MX ("[host]", lookup_mx false).
// (With an IP address there is nothing to look up: connect to hop.address.)
MxPlan plan_without_mx(const NextHop& hop);

// RFC 5321 §5.1 and RFC 7505 over the MX answer for `domain`. `myhostname` is this server's name
// (Postfix myhostname), compared without regard to case or a final dot.
Result<MxPlan, PlanFailure> plan_mx_hosts(std::string_view domain,
                                          const net::DnsAnswer<std::vector<net::MxRecord>>& mx,
                                          std::string_view myhostname, RandomEngine& random);

// One address to connect to.
struct DeliveryTarget {
  std::string host;  // the MX host name, for logs ("mx.example.org[192.0.2.1]:25") and TLS
  asio::ip::address address;
  std::uint16_t preference = 0;

  bool operator==(const DeliveryTarget&) const = default;
};

// The addresses of the plan's hosts in the plan's order (each host's addresses as the DNS gave
// them, duplicates removed); `addresses[i]` is the answer for `plan.hosts[i]` (a size mismatch is a
// programmer error: std::invalid_argument). Hosts without addresses are skipped; when no host has
// one, the failure follows Postfix: a DNS failure defers (4.4.3), a backup MX whose better hosts
// have no address defers (4.4.4 "unable to find primary relay"), an implicit MX without addresses
// bounces (5.4.4), MX hosts or a "[host]" that all lack addresses defer (4.4.4): a typo in an MX
// record or in relayhost must not bounce mail.
Result<std::vector<DeliveryTarget>, PlanFailure> plan_targets(
    std::string_view domain, const MxPlan& plan,
    std::span<const net::DnsAnswer<std::vector<asio::ip::address>>> addresses);

}  // namespace tern::delivery
