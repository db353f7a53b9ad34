// IpAddress/Cidr: v4/v6 and CIDR parsing, host-bit masking, errors, contains() incl. v4-mapped.
#include "base/ip_address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tern {
namespace {

IpAddress ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

Cidr cidr(std::string_view text) {
  auto network = Cidr::parse(text);
  EXPECT_TRUE(network.ok()) << text << ": " << (network.ok() ? "" : network.error().message);
  return network.ok() ? network.value() : Cidr{};
}

TEST(IpAddressTest, ParsesIpv4) {
  IpAddress address = ip("192.0.2.17");
  EXPECT_TRUE(address.is_v4);
  EXPECT_EQ(address.bytes[0], 192);
  EXPECT_EQ(address.bytes[1], 0);
  EXPECT_EQ(address.bytes[2], 2);
  EXPECT_EQ(address.bytes[3], 17);
  EXPECT_EQ(address.to_string(), "192.0.2.17");
}

TEST(IpAddressTest, ParsesIpv6WithAndWithoutBrackets) {
  struct Case {
    std::string_view text, canonical;
  };
  const Case cases[] = {
      {"::1", "::1"},
      {"[::1]", "::1"},
      {"2001:DB8:0:0::1", "2001:db8::1"},
      {"[2001:db8::abcd]", "2001:db8::abcd"},
      {"::", "::"},
      {"::ffff:127.0.0.1", "::ffff:127.0.0.1"},
  };
  for (const Case& c : cases) {
    IpAddress address = ip(c.text);
    EXPECT_FALSE(address.is_v4) << c.text;
    EXPECT_EQ(address.to_string(), c.canonical) << c.text;
  }
  EXPECT_EQ(ip("[::1]"), ip("::1"));
  EXPECT_EQ(ip("::1").bytes[15], 1);
}

TEST(IpAddressTest, BracketedIpv4IsAccepted) {
  EXPECT_EQ(ip("[10.1.2.3]"), ip("10.1.2.3"));
}

TEST(IpAddressTest, RejectsNonNumericAndMalformed) {
  for (std::string_view text : {"", "abc", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1",
                                "1.2.3.4/8", "[1.2.3.4", "1.2.3.4]", "[]", "::1::2", "12345::1",
                                " 1.2.3.4", "1.2.3.4 ", "fe80::1%eth0", "[[::1]]"}) {
    EXPECT_FALSE(IpAddress::parse(text).has_value()) << '"' << text << '"';
  }
}

// Found by fuzz/address: inet_pton reads a C string, so text after a NUL was ignored.
TEST(IpAddressTest, RejectsTextAfterANul) {
  using namespace std::string_view_literals;
  for (std::string_view text : {"1.2.3.4\0junk"sv, "::1\0"sv, "[10.0.0.1\0]"sv}) {
    EXPECT_FALSE(IpAddress::parse(text).has_value()) << text.size();
  }
  EXPECT_FALSE(Cidr::parse("10.0.0.0\0/8"sv));
}

TEST(IpAddressTest, UnmappedTurnsMappedIpv6IntoIpv4) {
  IpAddress mapped = ip("::ffff:127.0.0.1");
  EXPECT_EQ(mapped.unmapped(), ip("127.0.0.1"));
  EXPECT_TRUE(mapped.unmapped().is_v4);
  // Not mapped: unchanged.
  EXPECT_EQ(ip("::1").unmapped(), ip("::1"));
  EXPECT_EQ(ip("::fffe:127.0.0.1").unmapped(), ip("::fffe:127.0.0.1"));
  EXPECT_EQ(ip("1::ffff:127.0.0.1").unmapped(), ip("1::ffff:127.0.0.1"));
  EXPECT_EQ(ip("10.0.0.1").unmapped(), ip("10.0.0.1"));
}

TEST(CidrTest, ParsesNetworks) {
  struct Case {
    std::string_view text;
    std::string_view network;
    int prefix;
    bool is_v4;
  };
  const Case cases[] = {
      {"127.0.0.0/8", "127.0.0.0", 8, true},
      {"10.129.0.0/16", "10.129.0.0", 16, true},
      {"0.0.0.0/0", "0.0.0.0", 0, true},
      {"192.0.2.1", "192.0.2.1", 32, true},  // a host
      {"192.0.2.1/32", "192.0.2.1", 32, true},
      {"[::1]/128", "::1", 128, false},
      {"::1/128", "::1", 128, false},
      {"[2001:db8::]/32", "2001:db8::", 32, false},
      {"::1", "::1", 128, false},
      {"[::1]", "::1", 128, false},
  };
  for (const Case& c : cases) {
    Cidr network = cidr(c.text);
    EXPECT_EQ(network.network.to_string(), c.network) << c.text;
    EXPECT_EQ(network.prefix_length, c.prefix) << c.text;
    EXPECT_EQ(network.network.is_v4, c.is_v4) << c.text;
  }
}

TEST(CidrTest, HostBitsAreMasked) {
  EXPECT_EQ(cidr("10.1.2.3/8").to_string(), "10.0.0.0/8");
  EXPECT_EQ(cidr("10.129.255.255/16").to_string(), "10.129.0.0/16");
  EXPECT_EQ(cidr("192.168.1.255/25").to_string(), "192.168.1.128/25");
  EXPECT_EQ(cidr("192.168.1.255/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(cidr("2001:db8:ffff::1/32").to_string(), "2001:db8::/32");
  EXPECT_EQ(cidr("[2001:db8::ff]/121").to_string(), "2001:db8::80/121");
}

TEST(CidrTest, RejectsBadNetworksWithTheTextInTheMessage) {
  for (std::string_view text :
       {"10.0.0.0/33", "abc", "1.2.3.4/", "::1/129", "[::1]/129", "10.0.0.0/-1", "10.0.0.0/8x",
        "10.0.0.0/ 8", "/8", "", "10.0.0/8", "localhost/8", "10.0.0.0/8/8"}) {
    auto network = Cidr::parse(text);
    ASSERT_FALSE(network.ok()) << '"' << text << '"';
    EXPECT_EQ(network.error().message, "bad network address: " + std::string(text));
  }
}

TEST(CidrTest, ContainsIpv4) {
  struct Case {
    std::string_view network, address;
    bool inside;
  };
  const Case cases[] = {
      {"127.0.0.0/8", "127.0.0.1", true},
      {"127.0.0.0/8", "127.255.255.255", true},
      {"127.0.0.0/8", "128.0.0.0", false},
      {"127.0.0.0/8", "126.255.255.255", false},
      {"10.129.0.0/16", "10.129.200.3", true},
      {"10.129.0.0/16", "10.130.0.1", false},
      {"10.1.2.3/8", "10.200.0.1", true},  // masked on parse
      {"192.168.1.128/25", "192.168.1.127", false},
      {"192.168.1.128/25", "192.168.1.128", true},
      {"192.0.2.1", "192.0.2.1", true},
      {"192.0.2.1", "192.0.2.2", false},
      {"0.0.0.0/0", "203.0.113.9", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(cidr(c.network).contains(ip(c.address)), c.inside)
        << c.address << " in " << c.network;
  }
}

TEST(CidrTest, ContainsIpv6) {
  EXPECT_TRUE(cidr("[::1]/128").contains(ip("::1")));
  EXPECT_TRUE(cidr("[::1]/128").contains(ip("[::1]")));
  EXPECT_FALSE(cidr("[::1]/128").contains(ip("::2")));
  EXPECT_TRUE(cidr("2001:db8::/32").contains(ip("2001:db8:1234::5")));
  EXPECT_FALSE(cidr("2001:db8::/32").contains(ip("2001:db9::5")));
  EXPECT_TRUE(cidr("::/0").contains(ip("fe80::1")));
}

TEST(CidrTest, Ipv4MappedIpv6MatchesIpv4Networks) {
  EXPECT_TRUE(cidr("127.0.0.0/8").contains(ip("::ffff:127.0.0.1")));
  EXPECT_TRUE(cidr("10.129.0.0/16").contains(ip("::ffff:10.129.3.4")));
  EXPECT_FALSE(cidr("127.0.0.0/8").contains(ip("::ffff:128.0.0.1")));
  EXPECT_TRUE(cidr("192.0.2.7").contains(ip("[::ffff:192.0.2.7]")));
}

TEST(CidrTest, Ipv4AndIpv6NeverMatchEachOther) {
  EXPECT_FALSE(cidr("127.0.0.0/8").contains(ip("::1")));
  EXPECT_FALSE(cidr("[::1]/128").contains(ip("127.0.0.1")));
  // Even /0 does not cross families: 0.0.0.0/0 is "all IPv4", ::/0 compared with an IPv4 client
  // is a mismatch, not a match.
  EXPECT_FALSE(cidr("0.0.0.0/0").contains(ip("2001:db8::1")));
  EXPECT_FALSE(cidr("::/0").contains(ip("10.0.0.1")));
  // An IPv6 address whose first bytes look like 127.x is not IPv4.
  EXPECT_FALSE(cidr("127.0.0.0/8").contains(ip("7f00::1")));
  // ::1 is not a mapped address, so it does not match 0.0.0.1.
  EXPECT_FALSE(cidr("0.0.0.1").contains(ip("::1")));
}

}  // namespace
}  // namespace tern
