// IP addresses and CIDR networks as plain values, for mynetworks and per-client accounting.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 networks, as a dual-stack listener reports them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tern {

struct IpAddress {
  bool is_v4 = true;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4 bytes

  static std::optional<IpAddress> parse(std::string_view text);  // "1.2.3.4", "::1", "[::1]"
  std::string to_string() const;
  // ::ffff:a.b.c.d becomes a.b.c.d; anything else is returned unchanged.
  IpAddress unmapped() const;
  bool operator==(const IpAddress&) const = default;
  auto operator<=>(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress network;
  int prefix_length = 32;

  // "127.0.0.0/8", "10.0.0.1" (a host), "[::1]/128", "::1/128".
  static Result<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& address) const;
  std::string to_string() const;
};

}  // namespace tern
