// Brute-force defence for AUTH: recent failures are counted per client address and per login, and
// every further attempt from that address or for that login waits longer before it is answered
// (1 s, 2 s, 4 s ... up to a cap). Failures are forgotten after a window; memory is bounded. One
// instance is shared by every event-loop thread; time is passed in so tests need no sleeping.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace tern::policy {

class AuthThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Settings {
    Clock::duration window = std::chrono::minutes(15);
    std::chrono::milliseconds base_delay{1000};
    std::chrono::milliseconds max_delay{10000};
    std::size_t max_tracked = 100000;  // keys per kind (addresses, logins)
  };

  explicit AuthThrottle(Settings settings) : settings_(settings) {}

  // How long to wait before answering an attempt from `address` for `login`.
  std::chrono::milliseconds delay_for(std::string_view address, std::string_view login,
                                      Clock::time_point now);
  void record_failure(std::string_view address, std::string_view login, Clock::time_point now);
  // A success clears both counters: the user knows the password, the address is theirs.
  void record_success(std::string_view address, std::string_view login, Clock::time_point now);

 private:
  struct Failures {
    int count = 0;
    Clock::time_point last;
  };
  using Table = std::map<std::string, Failures, std::less<>>;

  int recent(Table& table, std::string_view key, Clock::time_point now);
  void add(Table& table, std::string_view key, Clock::time_point now);

  Settings settings_;
  std::mutex mutex_;
  Table by_address_;
  Table by_login_;
};

}  // namespace tern::policy
