// Resolver against real DNS servers on loopback: dnsmasq (started once, on a free port) serves MX
// records of several preferences, a null MX, A/AAAA-only names, CNAME chains and NXDOMAIN under
// "example."; a stub in the test answers SERVFAIL; a port where nothing listens gives a timeout.
// ("test." would be natural, but libunbound answers NXDOMAIN for it itself, RFC 6761.)
#include "net/resolver.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

extern char** environ;

namespace tern::net {
namespace {

using namespace std::chrono_literals;
using Addresses = std::vector<asio::ip::address>;

std::optional<std::string> dnsmasq_binary() {
  for (const char* path : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return std::nullopt;
}

// A loopback port free for both UDP and TCP right now (dnsmasq listens on both).
unsigned short free_port() {
  asio::io_context io;
  for (;;) {
    asio::ip::udp::socket udp(io, {asio::ip::make_address("127.0.0.1"), 0});
    unsigned short port = udp.local_endpoint().port();
    asio::error_code error;
    asio::ip::tcp::acceptor tcp(io);
    tcp.open(asio::ip::tcp::v4(), error);
    if (!error) tcp.bind({asio::ip::make_address("127.0.0.1"), port}, error);
    if (!error) return port;
  }
}

// dnsmasq in the foreground, answering only from its command line: no upstream, no /etc/hosts,
// NXDOMAIN for any other name under example.
class Dnsmasq {
 public:
  ~Dnsmasq() { stop(); }

  // Empty on success, else what went wrong with dnsmasq's own output.
  std::string start(const std::string& binary, const std::vector<std::string>& records) {
    char pattern[] = "/tmp/tern-dnsmasq-XXXXXX";
    int log_fd = ::mkstemp(pattern);
    if (log_fd < 0) return "mkstemp failed";
    ::close(log_fd);
    log_ = pattern;
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_port();
      std::vector<std::string> arguments = {binary,
                                            "--keep-in-foreground",
                                            "--conf-file=/dev/null",
                                            fmt::format("--port={}", port_),
                                            "--listen-address=127.0.0.1",
                                            "--bind-interfaces",
                                            "--no-resolv",
                                            "--no-hosts",
                                            "--no-negcache",
                                            "--pid-file",
                                            "--log-facility=-",
                                            "--local=/example/"};
      arguments.insert(arguments.end(), records.begin(), records.end());
      std::vector<char*> argv;
      for (std::string& argument : arguments) argv.push_back(argument.data());
      argv.push_back(nullptr);
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_APPEND, 0);
      posix_spawn_file_actions_adddup2(&actions, 1, 2);
      int spawned = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
      posix_spawn_file_actions_destroy(&actions);
      if (spawned != 0) return fmt::format("cannot start {}: {}", binary, std::strerror(spawned));
      if (wait_until_listening()) return "";
      stop();  // lost the port to someone else, or failed: try another port
    }
    std::ifstream file(log_);
    std::stringstream output;
    output << file.rdbuf();
    return "dnsmasq did not start: " + output.str();
  }

  std::string forwarder() const { return fmt::format("127.0.0.1@{}", port_); }

 private:
  bool wait_until_listening() {
    asio::io_context io;
    for (int i = 0; i < 250; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return false;
      }
      asio::ip::tcp::socket socket(io);
      asio::error_code error;
      socket.connect({asio::ip::make_address("127.0.0.1"), port_}, error);
      if (!error) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
    if (!log_.empty()) std::filesystem::remove(log_);
  }

  pid_t pid_ = 0;
  unsigned short port_ = 0;
  std::string log_;
};

// Answers every query with SERVFAIL: the header with QR, RA and rcode 2, and the question.
asio::awaitable<void> answer_servfail(asio::ip::udp::socket& socket, int& queries) {
  for (;;) {
    std::array<unsigned char, 512> query;
    asio::ip::udp::endpoint client;
    auto [error, size] = co_await socket.async_receive_from(
        asio::buffer(query), client, asio::experimental::as_tuple(asio::use_awaitable));
    if (error) co_return;  // closed by the test
    if (size < 12) continue;
    std::size_t end = 12;  // the question: a name, then type and class
    while (end < size && query[end] != 0) end += query[end] + 1;
    end += 5;
    if (end > size) continue;
    ++queries;
    std::vector<unsigned char> reply(query.begin(), query.begin() + end);
    reply[2] = static_cast<unsigned char>(0x80 | (query[2] & 0x79));  // QR, opcode, RD
    reply[3] = 0x80 | 2;                                              // RA, SERVFAIL
    std::fill(reply.begin() + 4, reply.begin() + 12, 0);
    reply[5] = 1;  // QDCOUNT 1
    co_await socket.async_send_to(asio::buffer(reply), client,
                                  asio::experimental::as_tuple(asio::use_awaitable));
  }
}

class ResolverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto binary = dnsmasq_binary();
    if (!binary) return;
    server_ = new Dnsmasq;
    start_error_ = new std::string(
        server_->start(*binary, {
                                    // Two hosts at 10 and one at 20, listed worst first.
                                    "--mx-host=multi.example,mx-c.multi.example,20",
                                    "--mx-host=multi.example,mx-a.multi.example,10",
                                    "--mx-host=multi.example,mx-b.multi.example,10",
                                    "--host-record=mx-a.multi.example,192.0.2.10",
                                    "--host-record=mx-b.multi.example,192.0.2.11,2001:db8::11",
                                    "--host-record=mx-c.multi.example,192.0.2.20",
                                    // No MX: delivery would use the domain's own addresses.
                                    "--host-record=plain.example,192.0.2.30,2001:db8::30",
                                    "--host-record=v4only.example,192.0.2.31",
                                    "--host-record=v6only.example,2001:db8::32",
                                    // RFC 7505 null MX.
                                    "--mx-host=nullmx.example,.,0",
                                    // CNAME chains, for addresses and for MX.
                                    "--cname=alias1.example,alias2.example",
                                    "--cname=alias2.example,plain.example",
                                    "--cname=mxalias.example,multi.example",
                                }));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }

  void SetUp() override {
    if (server_ == nullptr)
      GTEST_SKIP() << "dnsmasq is not installed (scripts/deps.sh installs it)";
    ASSERT_TRUE(start_error_->empty()) << *start_error_;
  }

  std::unique_ptr<Resolver> make_resolver(ResolverOptions options = {}) {
    if (options.forwarders.empty()) options.forwarders = {server_->forwarder()};
    auto resolver = Resolver::create(io_.get_executor(), options);
    EXPECT_TRUE(resolver) << (resolver ? "" : resolver.error().message);
    return resolver ? std::move(resolver).value() : nullptr;
  }

  // Runs one lookup to completion; io_.run() returning also proves nothing is left waiting.
  template <class T>
  T run(asio::awaitable<T> lookup) {
    std::optional<T> result;
    asio::co_spawn(io_, std::move(lookup), [&](std::exception_ptr error, T value) {
      if (error) std::rethrow_exception(error);
      result = std::move(value);
    });
    io_.restart();
    io_.run();
    EXPECT_TRUE(result.has_value());
    return result ? std::move(*result) : T{};
  }

  static std::vector<std::string> texts(const Addresses& addresses) {
    std::vector<std::string> out;
    for (const auto& address : addresses) out.push_back(address.to_string());
    return out;
  }

  static inline Dnsmasq* server_ = nullptr;
  static inline std::string* start_error_ = nullptr;
  asio::io_context io_;
};

TEST_F(ResolverTest, MxRecordsWithSeveralPreferences) {
  auto resolver = make_resolver();
  ASSERT_TRUE(resolver);
  auto answer = run(resolver->mx("multi.example"));
  ASSERT_EQ(answer.status, DnsStatus::found) << answer.reason;
  EXPECT_EQ(answer.reason, "");
  std::vector<MxRecord> records = answer.records;
  std::sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
    return std::tie(a.preference, a.exchange) < std::tie(b.preference, b.exchange);
  });
  EXPECT_EQ(records, (std::vector<MxRecord>{{10, "mx-a.multi.example"},
                                            {10, "mx-b.multi.example"},
                                            {20, "mx-c.multi.example"}}));
  EXPECT_FALSE(answer.secure);  // no trust anchor configured
}

TEST_F(ResolverTest, NullMxIsTheRoot) {
  auto resolver = make_resolver();
  ASSERT_TRUE(resolver);
  auto answer = run(resolver->mx("nullmx.example"));
  ASSERT_EQ(answer.status, DnsStatus::found) << answer.reason;
  EXPECT_EQ(answer.records, (std::vector<MxRecord>{{0, "."}}));
}

TEST_F(ResolverTest, DomainWithOnlyAddressesHasNoMxData) {
  auto resolver = make_resolver();
  ASSERT_TRUE(resolver);
  auto mx = run(resolver->mx("plain.example"));
  EXPECT_EQ(mx.status, DnsStatus::no_data);
  EXPECT_TRUE(mx.records.empty());
  EXPECT_EQ(mx.reason,
            "Host or domain name not found. Name service error for name=plain.example type=MX: "
            "Host found but no data record of requested type");
  auto addresses = run(resolver->addresses("plain.example"));
  ASSERT_EQ(addresses.status, DnsStatus::found) << addresses.reason;
  EXPECT_EQ(texts(addresses.records), (std::vector<std::string>{"192.0.2.30", "2001:db8::30"}));
}

TEST_F(ResolverTest, AddressesOfOneFamilyAreFoundAlone) {
  auto resolver = make_resolver();
  ASSERT_TRUE(resolver);
  auto v4 = run(resolver->addresses("v4only.example"));
  ASSERT_EQ(v4.status, DnsStatus::found) << v4.reason;
  EXPECT_EQ(texts(v4.records), (std::vector<std::string>{"192.0.2.31"}));
  auto v6 = run(resolver->addresses("v6only.example"));
  ASSERT_EQ(v6.status, DnsStatus::found) << v6.reason;
  EXPECT_EQ(texts(v6.records), (std::vector<std::string>{"2001:db8::32"}));
}

TEST_F(ResolverTest, OptionsChooseTheAddressFamilies) {
  auto v4_resolver = make_resolver({.forwarders = {}, .ipv4 = true, .ipv6 = false});
  ASSERT_TRUE(v4_resolver);
  auto v4 = run(v4_resolver->addresses("plain.example"));
  EXPECT_EQ(texts(v4.records), (std::vector<std::string>{"192.0.2.30"}));
  // An IPv4-only resolver finds nothing for an IPv6-only host: NODATA for the A query.
  auto none = run(v4_resolver->addresses("v6only.example"));
  EXPECT_EQ(none.status, DnsStatus::no_data);
  EXPECT_EQ(none.reason,
            "Host or domain name not found. Name service error for name=v6only.example type=A: "
            "Host found but no data record of requested type");

  auto v6_resolver = make_resolver({.forwarders = {}, .ipv4 = false, .ipv6 = true});
  ASSERT_TRUE(v6_resolver);
  auto v6 = run(v6_resolver->addresses("plain.example"));
  EXPECT_EQ(texts(v6.records), (std::vector<std::string>{"2001:db8::30"}));

  EXPECT_FALSE(
      Resolver::create(io_.get_executor(), {.forwarders = {}, .ipv4 = false, .ipv6 = false}));
}

TEST_F(ResolverTest, CnameChainsAreFollowed) {
  auto resolver = make_resolver();
  ASSERT_TRUE(resolver);
  auto addresses = run(resolver->addresses("alias1.example"));  // -> alias2 -> plain
  ASSERT_EQ(addresses.status, DnsStatus::found) << addresses.reason;
  EXPECT_EQ(texts(addresses.records), (std::vector<std::string>{"192.0.2.30", "2001:db8::30"}));
  auto mx = run(resolver->mx("mxalias.example"));  // -> multi.example
  ASSERT_EQ(mx.status, DnsStatus::found) << mx.reason;
  EXPECT_EQ(mx.records.size(), 3u);
}

TEST_F(ResolverTest, NxdomainIsNotFound) {
  auto resolver = make_resolver();
  ASSERT_TRUE(resolver);
  auto mx = run(resolver->mx("nothere.example"));
  EXPECT_EQ(mx.status, DnsStatus::not_found);
  EXPECT_EQ(mx.reason,
            "Host or domain name not found. Name service error for name=nothere.example type=MX: "
            "Host not found");
  auto addresses = run(resolver->addresses("nothere.example"));
  EXPECT_EQ(addresses.status, DnsStatus::not_found);
  EXPECT_EQ(addresses.reason,
            "Host or domain name not found. Name service error for name=nothere.example type=A: "
            "Host not found");
}

TEST_F(ResolverTest, MalformedNamesAreNeverSent) {
  auto resolver = make_resolver();
  ASSERT_TRUE(resolver);
  for (std::string name : {std::string(""), std::string("bad name.example"),
                           std::string("b\xC3\xA4r.example"), std::string("a\nb")}) {
    auto answer = run(resolver->mx(name));
    EXPECT_EQ(answer.status, DnsStatus::not_found) << name;
    EXPECT_NE(answer.reason.find("Malformed domain name"), std::string::npos) << answer.reason;
  }
}

TEST_F(ResolverTest, ServfailIsATemporaryFailure) {
  asio::ip::udp::socket stub(io_, {asio::ip::make_address("127.0.0.1"), 0});
  int queries = 0;
  asio::co_spawn(io_, answer_servfail(stub, queries), asio::detached);
  auto resolver = make_resolver(
      {.forwarders = {fmt::format("127.0.0.1@{}", stub.local_endpoint().port())}, .timeout = 3s});
  ASSERT_TRUE(resolver);
  auto start = std::chrono::steady_clock::now();
  std::optional<DnsAnswer<std::vector<MxRecord>>> answer;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        answer = co_await resolver->mx("broken.example");
        stub.close();  // lets io_.run() return
      },
      asio::detached);
  io_.run();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::try_again);
  EXPECT_EQ(answer->reason,
            "Host or domain name not found. Name service error for name=broken.example type=MX: "
            "Host not found, try again");
  EXPECT_GE(queries, 1);
  // A SERVFAIL is an answer: no waiting for the deadline.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(ResolverTest, SilentServerTimesOutAsTemporaryFailure) {
  // Nothing listens on this port: no answer ever comes, and the deadline ends the lookup.
  auto resolver =
      make_resolver({.forwarders = {fmt::format("127.0.0.1@{}", free_port())}, .timeout = 300ms});
  ASSERT_TRUE(resolver);
  auto start = std::chrono::steady_clock::now();
  auto answer = run(resolver->addresses("silent.example"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(answer.status, DnsStatus::try_again);
  EXPECT_EQ(answer.reason,
            "Host or domain name not found. Name service error for name=silent.example type=A: "
            "Host not found, try again");
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 2s);
}

TEST_F(ResolverTest, ConcurrentLookupsAllComplete) {
  auto resolver = make_resolver();
  ASSERT_TRUE(resolver);
  std::vector<std::string> seen;
  for (const char* name : {"multi.example", "plain.example", "nothere.example", "nullmx.example"}) {
    asio::co_spawn(
        io_,
        [&, name]() -> asio::awaitable<void> {
          auto answer = co_await resolver->mx(name);
          seen.push_back(fmt::format("{} {}", name, to_string(answer.status)));
        },
        asio::detached);
  }
  io_.run();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"multi.example found", "nothere.example not found",
                                            "nullmx.example found", "plain.example no data"}));
}

TEST_F(ResolverTest, LookupOutlivesTheResolver) {
  auto resolver = make_resolver();
  ASSERT_TRUE(resolver);
  auto lookup = resolver->addresses("v4only.example");
  resolver.reset();
  auto answer = run(std::move(lookup));
  ASSERT_EQ(answer.status, DnsStatus::found) << answer.reason;
  EXPECT_EQ(texts(answer.records), (std::vector<std::string>{"192.0.2.31"}));
}

TEST_F(ResolverTest, BadForwarderIsAClearError) {
  auto resolver = Resolver::create(io_.get_executor(), {.forwarders = {"not an address"}});
  ASSERT_FALSE(resolver);
  EXPECT_NE(resolver.error().message.find("forwarder not an address"), std::string::npos)
      << resolver.error().message;
}

}  // namespace
}  // namespace tern::net
