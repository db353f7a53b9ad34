// libunbound in the Asio event loop. libunbound resolves on its own worker thread and signals
// answers through ub_fd(); a descriptor wait (armed only while lookups are in flight, so an idle
// resolver never keeps io_context::run() alive) calls ub_process(), which runs our callback on this
// thread. Each lookup lives in its awaiting coroutine's frame and sleeps on a timer set to its
// deadline: the callback cancels the timer to wake it; a deadline that passes first cancels the
// libunbound query, so no callback can touch a finished frame.
#include "net/resolver.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unbound.h>

#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <optional>
#include <utility>

namespace tern::net {

namespace detail {

struct ResolverCore {
  ResolverCore(asio::any_io_executor executor, ub_ctx* context, const ResolverOptions& options)
      : executor(executor),
        context(context),
        descriptor(executor),
        timeout(options.timeout),
        ipv4(options.ipv4),
        ipv6(options.ipv6) {}
  ~ResolverCore() {
    descriptor.release();  // the descriptor is libunbound's; ub_ctx_delete closes it
    ub_ctx_delete(context);
  }

  // Keeps one wait on ub_fd() pending while any lookup is in flight.
  static void watch(const std::shared_ptr<ResolverCore>& core) {
    if (core->watching || core->in_flight == 0) return;
    core->watching = true;
    core->descriptor.async_wait(
        asio::posix::descriptor_base::wait_read, [core](asio::error_code error) {
          core->watching = false;
          if (error && error != asio::error::operation_aborted) {
            // Pending lookups still end at their deadline.
            spdlog::error("resolver: waiting for libunbound: {}", error.message());
            return;
          }
          if (!error) {
            if (int status = ub_process(core->context); status != 0) {
              // A broken pipe to the worker would stay readable: stop rather than spin.
              spdlog::error("resolver: ub_process: {}", ub_strerror(status));
              return;
            }
          }
          watch(core);
        });
  }

  void lookup_finished() {
    // The last answer in: stop waiting, so that an idle io_context can return from run().
    if (--in_flight == 0) descriptor.cancel();
  }

  asio::any_io_executor executor;
  ub_ctx* context;
  asio::posix::stream_descriptor descriptor;
  std::chrono::milliseconds timeout;
  bool ipv4;
  bool ipv6;
  std::size_t in_flight = 0;
  bool watching = false;
};

}  // namespace detail

namespace {

using detail::ResolverCore;

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

constexpr int kTypeA = 1;
constexpr int kTypeMx = 15;
constexpr int kTypeAaaa = 28;
constexpr int kClassIn = 1;
constexpr int kRcodeNoError = 0;
constexpr int kRcodeNxDomain = 3;

struct ResultDeleter {
  void operator()(ub_result* result) const { ub_resolve_free(result); }
};

// One query in flight, owned by the coroutine that awaits it (it must not move: libunbound holds
// its address until the callback or ub_cancel).
class Lookup {
 public:
  Lookup(std::shared_ptr<ResolverCore> core, const std::string& name, int type)
      : core_(std::move(core)), timer_(core_->executor), name_(name), type_(type) {}
  ~Lookup() {
    if (in_flight_) abandon();
  }
  Lookup(const Lookup&) = delete;
  Lookup& operator=(const Lookup&) = delete;

  void start() {
    timer_.expires_after(core_->timeout);
    int status = ub_resolve_async(core_->context, name_.c_str(), type_, kClassIn, this,
                                  &Lookup::on_answer, &id_);
    if (status != 0) {
      error_ = status;
      return;
    }
    in_flight_ = true;
    ++core_->in_flight;
    ResolverCore::watch(core_);
  }

  // Returns once the answer is in or the deadline has passed (then the query is cancelled).
  asio::awaitable<void> finish() {
    if (in_flight_) co_await timer_.async_wait(use_tuple);
    if (in_flight_) {
      abandon();
      timed_out_ = true;
    }
  }

  bool timed_out() const { return timed_out_; }
  int error() const { return error_; }
  const ub_result* result() const { return result_.get(); }

 private:
  static void on_answer(void* self, int error, ub_result* result) {
    auto* lookup = static_cast<Lookup*>(self);
    lookup->result_.reset(result);
    lookup->error_ = error;
    lookup->in_flight_ = false;
    lookup->core_->lookup_finished();
    lookup->timer_.cancel();  // wakes finish()
  }

  void abandon() {
    // Cancelled, libunbound never calls back with our (soon dangling) address.
    ub_cancel(core_->context, id_);
    in_flight_ = false;
    core_->lookup_finished();
  }

  std::shared_ptr<ResolverCore> core_;  // first: outlives the timer below
  asio::steady_timer timer_;
  std::string name_;
  int type_;
  int id_ = 0;
  bool in_flight_ = false;
  bool timed_out_ = false;
  int error_ = 0;
  std::unique_ptr<ub_result, ResultDeleter> result_;
};

std::string_view type_name(int type) {
  switch (type) {
    case kTypeA:
      return "A";
    case kTypeMx:
      return "MX";
    case kTypeAaaa:
      return "AAAA";
  }
  return "?";
}

// Postfix's wording (dns_lookup.c, dns_strerror.c), so that log readers and tools recognise it.
std::string failure_text(DnsStatus status, std::string_view name, int type) {
  std::string_view detail = status == DnsStatus::not_found ? "Host not found"
                            : status == DnsStatus::no_data
                                ? "Host found but no data record of requested type"
                                : "Host not found, try again";
  return fmt::format("Host or domain name not found. Name service error for name={} type={}: {}",
                     name, type_name(type), detail);
}

std::string malformed_reply_text(std::string_view name, int type) {
  return fmt::format(
      "Name service error for name={} type={}: Malformed or unexpected name server reply", name,
      type_name(type));
}

// Printable ASCII without spaces; anything else (empty, control characters, UTF-8 U-labels that
// were not converted to A-labels) is never sent to a name server.
bool plausible_name(std::string_view name) {
  if (name.empty() || name.size() > 254) return false;
  for (char c : name) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

// Status of a finished lookup, and the reason text when it found nothing.
std::pair<DnsStatus, std::string> classify(const Lookup& lookup, std::string_view name, int type) {
  const ub_result* result = lookup.result();
  DnsStatus status = DnsStatus::try_again;
  if (lookup.timed_out()) {
    spdlog::debug("resolver: {} {}: no answer within the deadline", name, type_name(type));
  } else if (lookup.error() != 0 || result == nullptr) {
    spdlog::warn("resolver: {} {}: {}", name, type_name(type), ub_strerror(lookup.error()));
  } else if (result->bogus) {
    // A DNSSEC validation failure may be an attack or a broken zone: defer, as Postfix does.
    spdlog::warn("resolver: {} {}: DNSSEC validation failed: {}", name, type_name(type),
                 result->why_bogus ? result->why_bogus : "bogus");
  } else if (result->havedata) {
    status = DnsStatus::found;
  } else if (result->nxdomain || result->rcode == kRcodeNxDomain) {
    status = DnsStatus::not_found;
  } else if (result->rcode == kRcodeNoError) {
    status = DnsStatus::no_data;
  }
  // Any other rcode (SERVFAIL, REFUSED, FORMERR...) stays a temporary failure.
  if (status == DnsStatus::found) return {status, ""};
  return {status, failure_text(status, name, type)};
}

// A domain name in uncompressed wire format to text, without the final dot ("." for the root).
// Bytes outside letters, digits, '-' and '_' are written \DDD as in zone files, so a label holding
// a dot or a space cannot pass for something else.
std::optional<std::string> wire_name(const unsigned char* data, std::size_t size) {
  std::string text;
  std::size_t at = 0;
  while (at < size) {
    std::size_t length = data[at++];
    if (length == 0) return text.empty() ? std::string(".") : text;
    if (length > 63 || at + length > size) return std::nullopt;  // compressed or truncated
    if (!text.empty()) text += '.';
    for (std::size_t i = 0; i < length; ++i) {
      unsigned char c = data[at + i];
      bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
      if (plain) {
        text += static_cast<char>(c);
      } else {
        text += fmt::format("\\{:03d}", c);
      }
    }
    at += length;
  }
  return std::nullopt;  // no terminating root label
}

template <class Records>
DnsAnswer<Records> malformed_name_answer(std::string_view name, int type) {
  DnsAnswer<Records> answer;
  answer.status = DnsStatus::not_found;
  answer.reason = fmt::format("Name service error for name={} type={}: Malformed domain name", name,
                              type_name(type));
  return answer;
}

}  // namespace

std::string_view to_string(DnsStatus status) {
  switch (status) {
    case DnsStatus::found:
      return "found";
    case DnsStatus::not_found:
      return "not found";
    case DnsStatus::no_data:
      return "no data";
    case DnsStatus::try_again:
      return "try again";
  }
  return "?";
}

Result<std::unique_ptr<Resolver>> Resolver::create(asio::any_io_executor executor,
                                                   const ResolverOptions& options) {
  if (!options.ipv4 && !options.ipv6) {
    return Error{"resolver: neither IPv4 nor IPv6 addresses are enabled"};
  }
  if (options.timeout.count() <= 0) return Error{"resolver: the timeout must be positive"};
  ub_ctx* raw = ub_ctx_create();
  if (raw == nullptr) return Error{"resolver: cannot create a libunbound context"};
  auto core = std::make_shared<ResolverCore>(executor, raw, options);
  ub_ctx* context = core->context;
  auto fail = [](std::string_view step, int status) {
    return Error{fmt::format("resolver: {}: {}", step, ub_strerror(status))};
  };
  // A worker thread, not a forked process (libunbound's default), in a multi-threaded daemon.
  if (int status = ub_ctx_async(context, 1); status != 0) return fail("threads", status);
  // Forwarders on loopback (a local cache, the tests' server) are the common case; unbound's own
  // default refuses to query them.
  if (int status = ub_ctx_set_option(context, "do-not-query-localhost:", "no"); status != 0) {
    return fail("do-not-query-localhost", status);
  }
  // libunbound backs off a silent server up to 120 s by default; our deadline cuts lookups
  // shorter anyway, so stop its retries at the same horizon.
  std::string max_rtt = std::to_string(options.timeout.count());
  if (int status = ub_ctx_set_option(context, "infra-cache-max-rtt:", max_rtt.c_str());
      status != 0) {
    return fail("infra-cache-max-rtt", status);
  }
  for (const std::string& forwarder : options.forwarders) {
    if (int status = ub_ctx_set_fwd(context, forwarder.c_str()); status != 0) {
      return fail(fmt::format("forwarder {}", forwarder), status);
    }
  }
  if (options.forwarders.empty()) {
    if (int status = ub_ctx_resolvconf(context, nullptr); status != 0) {
      return fail("/etc/resolv.conf", status);
    }
  }
  int fd = ub_fd(context);
  if (fd < 0) return Error{"resolver: libunbound has no descriptor to wait on"};
  asio::error_code error;
  core->descriptor.assign(fd, error);
  if (error) return Error{fmt::format("resolver: watching libunbound: {}", error.message())};
  return std::unique_ptr<Resolver>(new Resolver(std::move(core)));
}

Resolver::~Resolver() = default;

namespace {

// The lookups are free coroutines holding the shared core, not member coroutines: an awaitable
// may be started after the Resolver that made it is gone.
asio::awaitable<DnsAnswer<std::vector<MxRecord>>> lookup_mx(std::shared_ptr<ResolverCore> core,
                                                            std::string domain) {
  using Answer = DnsAnswer<std::vector<MxRecord>>;
  if (!plausible_name(domain))
    co_return malformed_name_answer<std::vector<MxRecord>>(domain, kTypeMx);
  Lookup lookup(core, domain, kTypeMx);
  lookup.start();
  co_await lookup.finish();
  Answer answer;
  std::tie(answer.status, answer.reason) = classify(lookup, domain, kTypeMx);
  if (answer.status != DnsStatus::found) co_return answer;
  const ub_result* result = lookup.result();
  answer.secure = result->secure != 0;
  for (int i = 0; result->data[i] != nullptr; ++i) {
    const auto* data = reinterpret_cast<const unsigned char*>(result->data[i]);
    std::size_t size = static_cast<std::size_t>(result->len[i]);
    std::optional<std::string> exchange;
    if (size >= 3) exchange = wire_name(data + 2, size - 2);
    if (!exchange) {
      Answer malformed;
      malformed.reason = malformed_reply_text(domain, kTypeMx);
      co_return malformed;
    }
    auto preference = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
    answer.records.push_back({preference, std::move(*exchange)});
  }
  co_return answer;
}

asio::awaitable<DnsAnswer<std::vector<asio::ip::address>>> lookup_addresses(
    std::shared_ptr<ResolverCore> core, std::string host) {
  using Answer = DnsAnswer<std::vector<asio::ip::address>>;
  std::vector<int> types;
  if (core->ipv4) types.push_back(kTypeA);
  if (core->ipv6) types.push_back(kTypeAaaa);
  if (!plausible_name(host)) {
    co_return malformed_name_answer<std::vector<asio::ip::address>>(host, types.front());
  }
  // Both queries fly at once; the lookups must not move once started.
  std::array<std::optional<Lookup>, 2> lookups;
  for (std::size_t i = 0; i < types.size(); ++i) {
    lookups[i].emplace(core, host, types[i]);
    lookups[i]->start();
  }
  for (std::size_t i = 0; i < types.size(); ++i) co_await lookups[i]->finish();

  Answer answer;
  std::optional<std::pair<DnsStatus, std::string>> try_again, not_found, no_data;
  // A "found" answer whose records were all unusable (cannot happen with libunbound) defers.
  std::pair<DnsStatus, std::string> fallback{DnsStatus::try_again,
                                             failure_text(DnsStatus::try_again, host, types[0])};
  bool all_secure = true;
  for (std::size_t i = 0; i < types.size(); ++i) {
    auto [status, reason] = classify(*lookups[i], host, types[i]);
    if (status == DnsStatus::try_again && !try_again) try_again.emplace(status, reason);
    if (status == DnsStatus::not_found && !not_found) not_found.emplace(status, reason);
    if (status == DnsStatus::no_data) no_data.emplace(status, reason);
    if (status != DnsStatus::found) continue;
    const ub_result* result = lookups[i]->result();
    all_secure = all_secure && result->secure != 0;
    std::size_t expected = types[i] == kTypeA ? 4 : 16;
    for (int j = 0; result->data[j] != nullptr; ++j) {
      if (static_cast<std::size_t>(result->len[j]) != expected) {
        Answer malformed;
        malformed.reason = malformed_reply_text(host, types[i]);
        co_return malformed;
      }
      const auto* data = reinterpret_cast<const unsigned char*>(result->data[j]);
      if (types[i] == kTypeA) {
        asio::ip::address_v4::bytes_type bytes;
        std::copy(data, data + 4, bytes.begin());
        answer.records.emplace_back(asio::ip::address_v4(bytes));
      } else {
        asio::ip::address_v6::bytes_type bytes;
        std::copy(data, data + 16, bytes.begin());
        answer.records.emplace_back(asio::ip::address_v6(bytes));
      }
    }
  }
  if (!answer.records.empty()) {
    answer.status = DnsStatus::found;
    answer.secure = all_secure;
    co_return answer;
  }
  // Nothing found: a temporary failure may hide records, so it wins over the permanent answers.
  auto& [status, reason] = try_again   ? *try_again
                           : not_found ? *not_found
                           : no_data   ? *no_data
                                       : fallback;
  answer.status = status;
  answer.reason = std::move(reason);
  co_return answer;
}

}  // namespace

// Not coroutines themselves: they hand the core to the lookup before `this` can dangle.
asio::awaitable<DnsAnswer<std::vector<MxRecord>>> Resolver::mx(std::string domain) {
  return lookup_mx(core_, std::move(domain));
}

asio::awaitable<DnsAnswer<std::vector<asio::ip::address>>> Resolver::addresses(std::string host) {
  return lookup_addresses(core_, std::move(host));
}

}  // namespace tern::net
