// MX planning as plain data in, plan out: RFC 5321 §5.1 order and shuffling, implicit MX, RFC 7505
// null MX, loop avoidance against myhostname, address planning with Postfix's status codes, and
// relayhost syntax.
#include "delivery/mx_plan.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

namespace tern::delivery {
namespace {

using net::DnsStatus;
using MxAnswer = net::DnsAnswer<std::vector<net::MxRecord>>;
using AddressAnswer = net::DnsAnswer<std::vector<asio::ip::address>>;

MxAnswer mx_found(std::vector<net::MxRecord> records) {
  return {DnsStatus::found, std::move(records), "", false};
}

MxAnswer mx_failed(DnsStatus status, std::string reason) {
  return {status, {}, std::move(reason), false};
}

AddressAnswer addresses_found(std::vector<std::string> texts) {
  AddressAnswer answer{DnsStatus::found, {}, "", false};
  for (const std::string& text : texts) answer.records.push_back(asio::ip::make_address(text));
  return answer;
}

AddressAnswer addresses_failed(DnsStatus status, std::string reason) {
  return {status, {}, std::move(reason), false};
}

// "name (preference)" per host, in plan order.
std::vector<std::string> order(const MxPlan& plan) {
  std::vector<std::string> out;
  for (const MxHost& host : plan.hosts)
    out.push_back(fmt::format("{} ({})", host.name, host.preference));
  return out;
}

std::vector<std::string> order(const std::vector<DeliveryTarget>& targets) {
  std::vector<std::string> out;
  for (const DeliveryTarget& target : targets) {
    out.push_back(fmt::format("{}[{}]", target.host, target.address.to_string()));
  }
  return out;
}

constexpr const char* kMe = "mail.example.net";

TEST(MxPlanTest, HostsAreSortedByPreference) {
  RandomEngine random(1);
  auto plan = plan_mx_hosts(
      "example.org",
      mx_found({{30, "c.example.org"}, {10, "a.example.org."}, {20, "B.Example.Org"}}), kMe,
      random);
  ASSERT_TRUE(plan);
  EXPECT_EQ(order(*plan), (std::vector<std::string>{"a.example.org (10)", "b.example.org (20)",
                                                    "c.example.org (30)"}));
  EXPECT_FALSE(plan->implicit_mx);
  EXPECT_FALSE(plan->found_myself);
  EXPECT_EQ(plan->reason,
            "MX hosts for example.org: a.example.org (10), b.example.org (20), c.example.org (30)");
}

TEST(MxPlanTest, EqualPreferencesAreShuffledAndSeedsReplay) {
  auto answer = mx_found(
      {{20, "z.example.org"}, {10, "a.example.org"}, {10, "b.example.org"}, {10, "c.example.org"}});
  std::set<std::vector<std::string>> seen;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    RandomEngine random(seed);
    auto plan = plan_mx_hosts("example.org", answer, kMe, random);
    ASSERT_TRUE(plan);
    ASSERT_EQ(plan->hosts.size(), 4u);
    EXPECT_EQ(plan->hosts.back().name, "z.example.org");  // never ahead of a better preference
    seen.insert(order(*plan));

    RandomEngine replay(seed);
    auto again = plan_mx_hosts("example.org", answer, kMe, replay);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->hosts, plan->hosts);  // a given seed always gives the same order
  }
  EXPECT_EQ(seen.size(), 6u);  // all 3! orders of the preference-10 hosts occur
}

TEST(MxPlanTest, NoMxRecordsMeansTheDomainItself) {
  RandomEngine random(1);
  auto plan = plan_mx_hosts("Example.ORG.", mx_failed(DnsStatus::no_data, "no data"), kMe, random);
  ASSERT_TRUE(plan);
  EXPECT_EQ(order(*plan), (std::vector<std::string>{"example.org (0)"}));
  EXPECT_TRUE(plan->implicit_mx);
  EXPECT_EQ(plan->reason, "no MX record for example.org: delivering to its address (implicit MX)");
}

TEST(MxPlanTest, NullMxRefusesMail) {
  RandomEngine random(1);
  auto plan = plan_mx_hosts("example.org", mx_found({{0, "."}}), kMe, random);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error(),
            (PlanFailure{true, "5.1.10", "Domain example.org does not accept mail (nullMX)"}));
}

TEST(MxPlanTest, NullMxAmongRealHostsIsIgnored) {
  RandomEngine random(1);
  auto plan =
      plan_mx_hosts("example.org", mx_found({{0, "."}, {10, "mx.example.org"}}), kMe, random);
  ASSERT_TRUE(plan);
  EXPECT_EQ(order(*plan), (std::vector<std::string>{"mx.example.org (10)"}));
  EXPECT_EQ(plan->reason,
            "MX hosts for example.org: mx.example.org (10); ignored a null MX among real MX hosts");
}

TEST(MxPlanTest, NxdomainBouncesAndDnsFailureDefers) {
  RandomEngine random(1);
  const std::string nx =
      "Host or domain name not found. Name service error for name=nx.example type=MX: Host not "
      "found";
  auto bounced = plan_mx_hosts("nx.example", mx_failed(DnsStatus::not_found, nx), kMe, random);
  ASSERT_FALSE(bounced);
  EXPECT_EQ(bounced.error(), (PlanFailure{true, "5.4.4", nx}));

  const std::string again = nx + ", try again";
  auto deferred = plan_mx_hosts("nx.example", mx_failed(DnsStatus::try_again, again), kMe, random);
  ASSERT_FALSE(deferred);
  EXPECT_EQ(deferred.error(), (PlanFailure{false, "4.4.3", again}));
}

TEST(MxPlanTest, BestMxIsMyselfLoopsBack) {
  RandomEngine random(1);
  auto plan =
      plan_mx_hosts("example.org",
                    mx_found({{10, "MAIL.example.net."}, {20, "backup.example.org"}}), kMe, random);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error(),
            (PlanFailure{true, "5.4.6", "mail for example.org loops back to myself"}));
}

TEST(MxPlanTest, MyselfAtTheBestPreferenceLoopsBackEvenWithAPeer) {
  // RFC 5321 §5.1: records of equal preference to ours are dropped too.
  RandomEngine random(1);
  auto plan =
      plan_mx_hosts("example.org", mx_found({{10, kMe}, {10, "peer.example.org"}}), kMe, random);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().status, "5.4.6");
}

TEST(MxPlanTest, AsBackupMxOnlyBetterHostsRemain) {
  RandomEngine random(1);
  auto plan = plan_mx_hosts("example.org",
                            mx_found({{10, "primary.example.org"},
                                      {20, kMe},
                                      {20, "peer.example.org"},
                                      {30, "worse.example.org"}}),
                            kMe, random);
  ASSERT_TRUE(plan);
  EXPECT_EQ(order(*plan), (std::vector<std::string>{"primary.example.org (10)"}));
  EXPECT_TRUE(plan->found_myself);
  EXPECT_EQ(plan->reason,
            "MX hosts for example.org: primary.example.org (10); dropped preference 20 and above: "
            "mail.example.net is listed there");
}

TEST(MxPlanTest, ImplicitMxForMyOwnNameLoopsBack) {
  RandomEngine random(1);
  auto plan = plan_mx_hosts("mail.example.net", mx_failed(DnsStatus::no_data, ""), kMe, random);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error(),
            (PlanFailure{true, "5.4.6", "mail for mail.example.net loops back to myself"}));
}

TEST(MxPlanTest, TargetsFollowTheHostsAndSkipHostsWithoutAddresses) {
  RandomEngine random(1);
  auto plan = plan_mx_hosts("example.org",
                            mx_found({{10, "a.example.org"},
                                      {20, "b.example.org"},
                                      {30, "c.example.org"},
                                      {40, "d.example.org"}}),
                            kMe, random);
  ASSERT_TRUE(plan);
  std::vector<AddressAnswer> addresses = {
      addresses_found({"2001:db8::1", "192.0.2.1"}),
      addresses_failed(DnsStatus::not_found, "b not found"), addresses_found({"192.0.2.3"}),
      addresses_found({"192.0.2.1", "192.0.2.4"}),  // 192.0.2.1 is a's: tried once
  };
  auto targets = plan_targets("example.org", *plan, addresses);
  ASSERT_TRUE(targets);
  EXPECT_EQ(order(*targets),
            (std::vector<std::string>{"a.example.org[2001:db8::1]", "a.example.org[192.0.2.1]",
                                      "c.example.org[192.0.2.3]", "d.example.org[192.0.2.4]"}));
  EXPECT_EQ(targets->front().preference, 10);
}

TEST(MxPlanTest, ImplicitMxWithoutAddressBounces) {
  RandomEngine random(1);
  auto plan = plan_mx_hosts("example.org", mx_failed(DnsStatus::no_data, ""), kMe, random);
  ASSERT_TRUE(plan);
  const std::string reason =
      "Host or domain name not found. Name service error for name=example.org type=A: Host found "
      "but no data record of requested type";
  std::vector<AddressAnswer> addresses = {addresses_failed(DnsStatus::no_data, reason)};
  auto targets = plan_targets("example.org", *plan, addresses);
  ASSERT_FALSE(targets);
  EXPECT_EQ(targets.error(), (PlanFailure{true, "5.4.4", reason}));
}

TEST(MxPlanTest, DnsFailureOfAnyHostDefers) {
  RandomEngine random(1);
  auto plan = plan_mx_hosts("example.org", mx_found({{10, "a.example.org"}, {20, "b.example.org"}}),
                            kMe, random);
  ASSERT_TRUE(plan);
  std::vector<AddressAnswer> addresses = {addresses_failed(DnsStatus::try_again, "a try again"),
                                          addresses_failed(DnsStatus::not_found, "b not found")};
  auto targets = plan_targets("example.org", *plan, addresses);
  ASSERT_FALSE(targets);
  EXPECT_EQ(targets.error(), (PlanFailure{false, "4.4.3", "a try again"}));
}

TEST(MxPlanTest, MxHostsWithoutAnyAddressDefer) {
  // Postfix (smtp_defer_mxaddr): a broken MX record is the receiver's error to fix, not a bounce.
  RandomEngine random(1);
  auto plan = plan_mx_hosts("example.org", mx_found({{10, "a.example.org"}, {20, "b.example.org"}}),
                            kMe, random);
  ASSERT_TRUE(plan);
  std::vector<AddressAnswer> addresses = {addresses_failed(DnsStatus::not_found, "a not found"),
                                          addresses_failed(DnsStatus::no_data, "b no data")};
  auto targets = plan_targets("example.org", *plan, addresses);
  ASSERT_FALSE(targets);
  EXPECT_EQ(targets.error(), (PlanFailure{false, "4.4.4", "b no data"}));
}

TEST(MxPlanTest, BackupMxWithoutReachablePrimaryDefers) {
  RandomEngine random(1);
  auto plan =
      plan_mx_hosts("example.org", mx_found({{10, "primary.example.org"}, {20, kMe}}), kMe, random);
  ASSERT_TRUE(plan);
  std::vector<AddressAnswer> addresses = {addresses_failed(DnsStatus::not_found, "not found")};
  auto targets = plan_targets("example.org", *plan, addresses);
  ASSERT_FALSE(targets);
  EXPECT_EQ(targets.error(),
            (PlanFailure{false, "4.4.4", "unable to find primary relay for example.org"}));
}

TEST(MxPlanTest, BracketedRelayhostIsOneHostAndNeverBounces) {
  auto hop = parse_relayhost("[smtp.example.net]:587");
  ASSERT_TRUE(hop);
  MxPlan plan = plan_without_mx(*hop);
  EXPECT_EQ(order(plan), (std::vector<std::string>{"smtp.example.net (0)"}));
  EXPECT_TRUE(plan.no_mx_lookup);
  EXPECT_EQ(plan.reason, "[smtp.example.net]:587: no MX lookup");
  std::vector<AddressAnswer> addresses = {addresses_failed(DnsStatus::not_found, "typo")};
  auto targets = plan_targets("example.org", plan, addresses);
  ASSERT_FALSE(targets);
  EXPECT_EQ(targets.error(), (PlanFailure{false, "4.4.4", "typo"}));
}

TEST(MxPlanTest, OneAddressAnswerPerHostIsRequired) {
  RandomEngine random(1);
  auto plan = plan_mx_hosts("example.org", mx_found({{10, "a.example.org"}}), kMe, random);
  ASSERT_TRUE(plan);
  EXPECT_THROW((void)plan_targets("example.org", *plan, {}), std::invalid_argument);
}

TEST(RelayhostTest, Forms) {
  struct Case {
    const char* text;
    std::string host;
    std::uint16_t port;
    bool lookup_mx;
    bool address;
  };
  const Case cases[] = {
      {"mail.example.org", "mail.example.org", 25, true, false},
      {"Example.ORG.", "example.org", 25, true, false},
      {"example.org:2525", "example.org", 2525, true, false},
      {"[mail.example.org]", "mail.example.org", 25, false, false},
      {"[mail.example.org]:587", "mail.example.org", 587, false, false},
      {"[mail.example.org]:submission", "mail.example.org", 587, false, false},
      {"relay.example.org:smtps", "relay.example.org", 465, true, false},
      {"[192.0.2.1]", "192.0.2.1", 25, false, true},
      {"[192.0.2.1]:2525", "192.0.2.1", 2525, false, true},
      {"192.0.2.1", "192.0.2.1", 25, false, true},
      {"[2001:db8::1]:587", "2001:db8::1", 587, false, true},
      {"[IPv6:2001:DB8::1]", "2001:db8::1", 25, false, true},
  };
  for (const Case& c : cases) {
    auto hop = parse_relayhost(c.text);
    ASSERT_TRUE(hop) << c.text << ": " << hop.error().message;
    EXPECT_EQ(hop->host, c.host) << c.text;
    EXPECT_EQ(hop->port, c.port) << c.text;
    EXPECT_EQ(hop->lookup_mx, c.lookup_mx) << c.text;
    EXPECT_EQ(hop->address.has_value(), c.address) << c.text;
  }
}

TEST(RelayhostTest, MistakesAreClearErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "no host"},
      {"[]", "no host"},
      {"[mail.example.org", "missing ']'"},
      {"[mail.example.org]587", "expected ':port' after ']'"},
      {"[mail.example.org]:", "empty port"},
      {"mail.example.org:", "empty port"},
      {"mail.example.org:0", "bad port \"0\""},
      {"mail.example.org:65536", "bad port \"65536\""},
      {"mail.example.org:imap", "bad port \"imap\""},
      {"2001:db8::1", "an IPv6 address must be in brackets"},
      {"[ipv6:192.0.2.1]", "not an IPv6 address after 'ipv6:'"},
      {"mail..example.org", "not a valid host name"},
      {"mail.example.org, backup.example.org", "not a valid host name"},
      {"[bad host]", "not a valid host name"},
  };
  for (const auto& [text, why] : cases) {
    auto hop = parse_relayhost(text);
    ASSERT_FALSE(hop) << text;
    EXPECT_NE(hop.error().message.find(why), std::string::npos) << hop.error().message;
    EXPECT_EQ(hop.error().message.rfind(fmt::format("bad relayhost \"{}\": ", text), 0), 0u)
        << hop.error().message;
  }
}

}  // namespace
}  // namespace tern::delivery
