// AUTH brute-force throttle: progressive delays per client address and per login, forgetting after
// the window, clearing on success, bounded memory, and safe use from many threads. Time is passed
// in, so nothing here sleeps.
#include "policy/auth_throttle.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace tern::policy {
namespace {

using namespace std::chrono_literals;
using Clock = AuthThrottle::Clock;
using std::chrono::milliseconds;

const Clock::time_point kStart = Clock::time_point() + 24h;

TEST(AuthThrottleTest, DefaultSettings) {
  AuthThrottle::Settings settings;
  EXPECT_EQ(settings.window, std::chrono::duration_cast<Clock::duration>(15min));
  EXPECT_EQ(settings.base_delay, 1s);
  EXPECT_EQ(settings.max_delay, 10s);
  EXPECT_EQ(settings.max_tracked, 100000u);
}

TEST(AuthThrottleTest, NoDelayWithoutFailures) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart), 0ms);
  throttle.record_failure("192.0.2.9", "mallory", kStart);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart), 0ms);
}

// 1 s after the first failure, then doubling: 2, 4, 8, and capped at 10 s from then on.
TEST(AuthThrottleTest, DelayGrowsWithFailuresUpToTheCap) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  const milliseconds expected[] = {1s, 2s, 4s, 8s, 10s, 10s, 10s};
  Clock::time_point now = kStart;
  for (milliseconds delay : expected) {
    throttle.record_failure("192.0.2.1", "alice", now);
    now += 1s;
    EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", now), delay);
  }
  for (int i = 0; i < 100; ++i) throttle.record_failure("192.0.2.1", "alice", now);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", now), 10s);
}

// One address trying many logins (password spraying) is slowed for every login it tries.
TEST(AuthThrottleTest, AddressCountsAcrossLogins) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  throttle.record_failure("192.0.2.1", "alice", kStart);
  throttle.record_failure("192.0.2.1", "bob", kStart);
  throttle.record_failure("192.0.2.1", "carol", kStart);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "dave", kStart), 4s);
  EXPECT_EQ(throttle.delay_for("192.0.2.2", "dave", kStart), 0ms);
}

// Many addresses trying one login (a distributed attack) slow every attempt at that login.
TEST(AuthThrottleTest, LoginCountsAcrossAddresses) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  throttle.record_failure("192.0.2.1", "alice", kStart);
  throttle.record_failure("198.51.100.7", "alice", kStart);
  throttle.record_failure("2001:db8::1", "alice", kStart);
  throttle.record_failure("2001:db8::2", "alice", kStart);
  EXPECT_EQ(throttle.delay_for("203.0.113.5", "alice", kStart), 8s);
  EXPECT_EQ(throttle.delay_for("203.0.113.5", "bob", kStart), 0ms);
}

TEST(AuthThrottleTest, TheLargerCountWins) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  throttle.record_failure("192.0.2.1", "alice", kStart);            // address 1, alice 1
  throttle.record_failure("192.0.2.1", "bob", kStart);              // address 2, bob 1
  throttle.record_failure("192.0.2.1", "carol", kStart);            // address 3
  throttle.record_failure("192.0.2.2", "alice", kStart);            // alice 2
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart), 4s);  // max(3, 2)
  EXPECT_EQ(throttle.delay_for("192.0.2.2", "alice", kStart), 2s);  // max(1, 2)
  EXPECT_EQ(throttle.delay_for("192.0.2.2", "bob", kStart), 1s);    // max(1, 1)
}

TEST(AuthThrottleTest, FailuresAreForgottenAfterTheWindow) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  for (int i = 0; i < 5; ++i) throttle.record_failure("192.0.2.1", "alice", kStart);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart + 14min), 10s);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart + 15min + 1s), 0ms);
  EXPECT_EQ(throttle.delay_for("192.0.2.9", "alice", kStart + 16min), 0ms);
  // Counting starts afresh.
  throttle.record_failure("192.0.2.1", "alice", kStart + 16min);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart + 16min), 1s);
}

// Each failure expires on its own: an old one does not linger because a newer one followed.
TEST(AuthThrottleTest, EachFailureExpiresOnItsOwn) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  throttle.record_failure("192.0.2.1", "alice", kStart);
  throttle.record_failure("192.0.2.1", "alice", kStart + 10min);
  throttle.record_failure("192.0.2.1", "alice", kStart + 12min);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart + 12min), 4s);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart + 16min), 2s);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart + 26min), 1s);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart + 28min), 0ms);
  EXPECT_EQ(throttle.tracked_keys(), 0u);
}

// A key hammered past the cap still expires: only its most recent failures are kept, and they
// decide when it is forgotten.
TEST(AuthThrottleTest, SaturatedKeyExpiresWithItsNewestFailures) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  for (int i = 0; i < 1000; ++i) {
    throttle.record_failure("192.0.2.1", "alice", kStart + std::chrono::seconds(i));
  }
  Clock::time_point last = kStart + 999s;
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", last + 14min), 10s);
  // The failures one to four seconds before the last have now expired too.
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", last + 15min), 1s);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", last + 15min + 1s), 0ms);
}

TEST(AuthThrottleTest, LoginsDifferingInCaseAreOneLogin) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  throttle.record_failure("192.0.2.1", "Alice", kStart);
  throttle.record_failure("192.0.2.2", "ALICE", kStart);
  throttle.record_failure("192.0.2.3", "alice", kStart);
  EXPECT_EQ(throttle.delay_for("192.0.2.4", "aLiCe", kStart), 4s);
  throttle.record_success("192.0.2.4", "ALICE", kStart);
  EXPECT_EQ(throttle.delay_for("192.0.2.4", "alice", kStart), 0ms);
}

// Entries whose failures have all expired are dropped as new failures arrive, not only on lookup.
TEST(AuthThrottleTest, ExpiredEntriesAreDropped) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  for (int i = 0; i < 100; ++i) {
    throttle.record_failure("192.0.2." + std::to_string(i), "user" + std::to_string(i), kStart);
  }
  EXPECT_EQ(throttle.tracked_keys(), 200u);
  throttle.record_failure("198.51.100.1", "bob", kStart + 20min);
  EXPECT_EQ(throttle.tracked_keys(), 2u);
}

TEST(AuthThrottleTest, SuccessClearsTheAddressAndTheLogin) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  throttle.record_failure("192.0.2.1", "alice", kStart);
  throttle.record_failure("192.0.2.1", "alice", kStart);
  throttle.record_failure("192.0.2.2", "bob", kStart);
  throttle.record_success("192.0.2.1", "alice", kStart + 1s);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart + 1s), 0ms);
  EXPECT_EQ(throttle.delay_for("192.0.2.7", "alice", kStart + 1s), 0ms);
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "carol", kStart + 1s), 0ms);
  // Other addresses and logins keep their counts.
  EXPECT_EQ(throttle.delay_for("192.0.2.2", "bob", kStart + 1s), 1s);
  EXPECT_EQ(throttle.delay_for("192.0.2.9", "bob", kStart + 1s), 1s);
}

TEST(AuthThrottleTest, CustomSettings) {
  AuthThrottle::Settings settings;
  settings.window = std::chrono::duration_cast<Clock::duration>(1min);
  settings.base_delay = 250ms;
  settings.max_delay = 1500ms;
  AuthThrottle throttle(settings);
  const milliseconds expected[] = {250ms, 500ms, 1000ms, 1500ms, 1500ms};
  for (milliseconds delay : expected) {
    throttle.record_failure("192.0.2.1", "alice", kStart);
    EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart), delay);
  }
  EXPECT_EQ(throttle.delay_for("192.0.2.1", "alice", kStart + 61s), 0ms);
}

// An attacker rotating addresses and names cannot grow memory without bound: past the cap the
// entry with the oldest failure is dropped, and the newest are kept.
TEST(AuthThrottleTest, TrackedKeysAreBounded) {
  AuthThrottle::Settings settings;
  settings.max_tracked = 3;
  AuthThrottle throttle(settings);
  for (int i = 0; i < 4; ++i) {
    throttle.record_failure("192.0.2." + std::to_string(i), "user" + std::to_string(i),
                            kStart + std::chrono::seconds(i));
  }
  EXPECT_EQ(throttle.tracked_keys(), 6u);
  Clock::time_point now = kStart + 10s;
  EXPECT_EQ(throttle.delay_for("192.0.2.0", "nobody", now), 0ms);  // evicted
  EXPECT_EQ(throttle.delay_for("198.51.100.1", "user0", now), 0ms);
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(throttle.delay_for("192.0.2." + std::to_string(i), "nobody", now), 1s) << i;
    EXPECT_EQ(throttle.delay_for("198.51.100.1", "user" + std::to_string(i), now), 1s) << i;
  }
}

TEST(AuthThrottleTest, ManyKeysStayBounded) {
  AuthThrottle::Settings settings;
  settings.max_tracked = 1000;
  AuthThrottle throttle(settings);
  Clock::time_point now = kStart;
  for (int i = 0; i < 5000; ++i) {
    now += 1ms;
    throttle.record_failure("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                            "user" + std::to_string(i), now);
  }
  EXPECT_EQ(throttle.tracked_keys(), 2000u);
  // The newest thousand are still counted; the very first are gone.
  EXPECT_EQ(throttle.delay_for("10.0.19.135", "x", now), 1s);  // i = 4999
  EXPECT_EQ(throttle.delay_for("x", "user4000", now), 1s);
  EXPECT_EQ(throttle.delay_for("10.0.0.0", "user0", now), 0ms);
}

// Hammers one throttle from several threads, as the event-loop threads share one instance.
void hammer(AuthThrottle& throttle) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&throttle, t] {
      const std::string address = "192.0.2." + std::to_string(t);
      for (int i = 0; i < kRounds; ++i) {
        Clock::time_point now = kStart + std::chrono::milliseconds(i);
        (void)throttle.delay_for(address, "shared", now);
        throttle.record_failure(address, "user" + std::to_string(t * kRounds + i), now);
        throttle.record_failure("203.0.113.1", "shared", now);
        if (i % 100 == 99) throttle.record_success(address, "user", now);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

TEST(AuthThrottleTest, SafeToShareBetweenThreads) {
  AuthThrottle throttle(AuthThrottle::Settings{});
  hammer(throttle);
  EXPECT_EQ(throttle.delay_for("203.0.113.1", "x", kStart + 3s), 10s);
  EXPECT_EQ(throttle.delay_for("x", "shared", kStart + 3s), 10s);

  // With a small cap, eviction runs concurrently with everything else.
  AuthThrottle::Settings settings;
  settings.max_tracked = 64;
  AuthThrottle small(settings);
  hammer(small);
  EXPECT_LE(small.delay_for("203.0.113.1", "shared", kStart + 3s), 10s);
  EXPECT_LE(small.tracked_keys(), 2 * settings.max_tracked);
}

}  // namespace
}  // namespace tern::policy
