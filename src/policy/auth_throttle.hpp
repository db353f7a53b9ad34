// Brute-force defence for AUTH: recent failures are counted per client address and per login, and
// every further attempt from that address or for that login waits longer before it is answered
// (1 s, 2 s, 4 s ... up to a cap). Each failure is forgotten once it is older than the window;
// memory is bounded (a cap on tracked keys, the oldest dropped first). One instance is shared by
// every event-loop thread; time is passed in so tests need no sleeping.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

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

  explicit AuthThrottle(Settings settings);

  // How long to wait before answering an attempt from `address` for `login`: none without recent
  // failures, else base_delay doubled per failure after the first, capped at max_delay. The larger
  // of the address's and the login's counts decides.
  std::chrono::milliseconds delay_for(std::string_view address, std::string_view login,
                                      Clock::time_point now);
  void record_failure(std::string_view address, std::string_view login, Clock::time_point now);
  // A success clears both counters: the user knows the password, the address is theirs.
  void record_success(std::string_view address, std::string_view login, Clock::time_point now);

  // Addresses plus logins currently tracked (at most 2 * max_tracked).
  std::size_t tracked_keys() const;

 private:
  // Recent failure times per key, and the keys in order of their latest failure so that expiry
  // and eviction reach the oldest first without a scan.
  class FailureTable {
   public:
    FailureTable(const Settings& settings, std::size_t saturation);
    std::size_t count(const std::string& key, Clock::time_point now);
    void add(const std::string& key, Clock::time_point now);
    void clear(const std::string& key);
    std::size_t size() const { return entries_.size(); }

   private:
    struct Entry {
      std::vector<Clock::time_point> failures;  // at most `saturation_`, oldest first
      std::list<const std::string*>::iterator position;
    };
    using Entries = std::map<std::string, Entry, std::less<>>;

    bool expired(Clock::time_point failure, Clock::time_point now) const;
    void erase(Entries::iterator it);
    void expire_oldest(Clock::time_point now);

    const Settings& settings_;
    std::size_t saturation_;
    Entries entries_;
    std::list<const std::string*> by_latest_failure_;  // keys of entries_, oldest first
  };

  Settings settings_;
  mutable std::mutex mutex_;
  FailureTable by_address_;
  FailureTable by_login_;
};

}  // namespace tern::policy
