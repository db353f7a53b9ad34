// Failure counting with expiry and a bound on tracked keys: when a table is full, the entry with
// the oldest failure goes first (an attacker rotating names cannot grow memory without limit).
#include "policy/auth_throttle.hpp"

#include <algorithm>

namespace tern::policy {

int AuthThrottle::recent(Table& table, std::string_view key, Clock::time_point now) {
  auto it = table.find(key);
  if (it == table.end()) return 0;
  if (now - it->second.last > settings_.window) {
    table.erase(it);
    return 0;
  }
  return it->second.count;
}

void AuthThrottle::add(Table& table, std::string_view key, Clock::time_point now) {
  auto it = table.find(key);
  if (it != table.end() && now - it->second.last > settings_.window) it->second.count = 0;
  if (it == table.end()) {
    if (table.size() >= settings_.max_tracked) {
      auto oldest = std::min_element(table.begin(), table.end(), [](const auto& a, const auto& b) {
        return a.second.last < b.second.last;
      });
      table.erase(oldest);
    }
    it = table.emplace(std::string(key), Failures{}).first;
  }
  ++it->second.count;
  it->second.last = now;
}

std::chrono::milliseconds AuthThrottle::delay_for(std::string_view address, std::string_view login,
                                                  Clock::time_point now) {
  std::lock_guard lock(mutex_);
  int failures = std::max(recent(by_address_, address, now), recent(by_login_, login, now));
  if (failures == 0) return std::chrono::milliseconds(0);
  // 1 s after the first failure, doubling, capped.
  auto delay = settings_.base_delay;
  for (int i = 1; i < failures && delay < settings_.max_delay; ++i) delay *= 2;
  return std::min(delay, settings_.max_delay);
}

void AuthThrottle::record_failure(std::string_view address, std::string_view login,
                                  Clock::time_point now) {
  std::lock_guard lock(mutex_);
  add(by_address_, address, now);
  add(by_login_, login, now);
}

void AuthThrottle::record_success(std::string_view address, std::string_view login,
                                  Clock::time_point) {
  std::lock_guard lock(mutex_);
  if (auto it = by_address_.find(address); it != by_address_.end()) by_address_.erase(it);
  if (auto it = by_login_.find(login); it != by_login_.end()) by_login_.erase(it);
}

}  // namespace tern::policy
