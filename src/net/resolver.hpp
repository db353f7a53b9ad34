// DNS lookups for outbound delivery (RFC 5321 §5.1): MX records and a host's A/AAAA addresses,
// asynchronously through libunbound, inside the Asio event loop (ub_fd() readiness, then
// ub_process()). Every answer says which of four things happened (records, NXDOMAIN, no data,
// temporary failure) with the text Postfix logs for it; no lookup outlives its deadline. CNAMEs are
// followed by libunbound.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tern::net {

namespace detail {
// The libunbound context and the watch on its descriptor, shared with lookups in flight.
struct ResolverCore;
}  // namespace detail

enum class DnsStatus {
  found,      // NOERROR with records of the asked type
  not_found,  // NXDOMAIN: the name does not exist (permanent)
  no_data,    // NOERROR but no record of that type (NODATA)
  try_again,  // SERVFAIL, timeout, refused, DNSSEC failure...: ask again later
};

std::string_view to_string(DnsStatus status);

template <class Records>
struct DnsAnswer {
  DnsStatus status = DnsStatus::try_again;
  Records records{};
  // Postfix's text when status is not `found`: "Host or domain name not found. Name service error
  // for name=example.org type=MX: Host not found[, try again]".
  std::string reason;
  bool secure = false;  // DNSSEC-validated (never, until a trust anchor is configured)

  bool found() const { return status == DnsStatus::found; }
};

struct MxRecord {
  std::uint16_t preference = 0;
  // The host name without its final dot; "." is the root, as in a null MX (RFC 7505).
  std::string exchange;

  bool operator==(const MxRecord&) const = default;
};

struct ResolverOptions {
  // Servers to forward every query to, as "address" or "address@port" (e.g. "127.0.0.1@5353").
  // Empty: the nameservers of /etc/resolv.conf.
  std::vector<std::string> forwarders;
  bool ipv4 = true;  // addresses() asks for A records
  bool ipv6 = true;  // addresses() asks for AAAA records
  // A lookup not answered by then is a temporary failure; it also caps libunbound's own
  // per-server retry timeout.
  std::chrono::milliseconds timeout{10000};
};

// One per event-loop thread: create it, call it and destroy it on that thread's executor. Lookups
// (awaitables) outliving it complete normally: they share its libunbound context.
class Resolver {
 public:
  static Result<std::unique_ptr<Resolver>> create(asio::any_io_executor executor,
                                                  const ResolverOptions& options);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // The MX records of `domain`, in the order the server gave them (sorting is policy:
  // delivery/mx_plan).
  asio::awaitable<DnsAnswer<std::vector<MxRecord>>> mx(std::string domain);
  // The A and/or AAAA records of `host` (per ResolverOptions), IPv4 first. Found if either type
  // has records; otherwise a temporary failure of either wins, then NXDOMAIN, then no data.
  asio::awaitable<DnsAnswer<std::vector<asio::ip::address>>> addresses(std::string host);

 private:
  explicit Resolver(std::shared_ptr<detail::ResolverCore> core) : core_(std::move(core)) {}
  std::shared_ptr<detail::ResolverCore> core_;
};

}  // namespace tern::net
