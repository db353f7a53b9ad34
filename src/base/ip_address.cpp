// IPv4/IPv6 addresses and CIDR networks (mynetworks). Parsing goes through inet_pton, so only
// numeric forms are accepted; host bits in a network are masked, as Postfix does.
#include "base/ip_address.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

namespace tern {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  // inet_pton reads a C string: "1.2.3.4\0junk" would pass for 1.2.3.4.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string copy(text);
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.is_v4 = true;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.is_v4 = false;
    return address;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4 ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

IpAddress IpAddress::unmapped() const {
  if (is_v4) return *this;
  for (int i = 0; i < 10; ++i) {
    if (bytes[i] != 0) return *this;
  }
  if (bytes[10] != 0xff || bytes[11] != 0xff) return *this;
  IpAddress v4;
  v4.is_v4 = true;
  for (int i = 0; i < 4; ++i) v4.bytes[i] = bytes[12 + i];
  return v4;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  std::string_view address_text = text;
  std::optional<int> prefix;
  if (std::size_t slash = text.rfind('/'); slash != std::string_view::npos) {
    address_text = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    int value = -1;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
      return Error{fmt::format("bad network address: {}", text)};
    }
    prefix = value;
  }
  auto address = IpAddress::parse(address_text);
  if (!address) return Error{fmt::format("bad network address: {}", text)};
  int max_prefix = address->is_v4 ? 32 : 128;
  int length = prefix.value_or(max_prefix);
  if (length < 0 || length > max_prefix) return Error{fmt::format("bad network address: {}", text)};
  Cidr cidr{*address, length};
  for (int bit = length; bit < max_prefix; ++bit) {
    cidr.network.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  return cidr;
}

bool Cidr::contains(const IpAddress& candidate) const {
  IpAddress address = candidate.unmapped();
  if (address.is_v4 != network.is_v4) return false;
  for (int bit = 0; bit < prefix_length; ++bit) {
    std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if ((address.bytes[bit / 8] & mask) != (network.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

std::string Cidr::to_string() const {
  return fmt::format("{}/{}", network.to_string(), prefix_length);
}

}  // namespace tern
