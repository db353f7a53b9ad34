// Failure counting with per-failure expiry and a bound on tracked keys. Only as many failure times
// are kept per key as it takes to reach the maximum delay ("saturation"): more would not change
// any answer, so memory per key stays small however hard one address or login is hammered.
#include "policy/auth_throttle.hpp"

#include <algorithm>

#include "base/strings.hpp"

namespace tern::policy {
namespace {

// Keys come from the network: an address is short, a login is bounded by the SASL layer, and this
// bound keeps a misbehaving caller from storing megabytes per key.
constexpr std::size_t kMaxKeyLength = 512;

// Failures after which the delay reaches max_delay (base_delay doubled per further failure).
std::size_t saturation_of(const AuthThrottle::Settings& settings) {
  constexpr std::size_t kLimit = 64;
  std::size_t failures = 1;
  auto delay = settings.base_delay;
  while (delay < settings.max_delay && failures < kLimit) {
    delay = delay.count() > 0 ? delay * 2 : settings.max_delay;
    ++failures;
  }
  return failures;
}

std::string address_key(std::string_view address) {
  return std::string(address.substr(0, kMaxKeyLength));
}

// Logins differ only in case are one login (the users file is matched that way), so an attacker
// cannot reset the count by changing case.
std::string login_key(std::string_view login) {
  return to_lower_ascii(login.substr(0, kMaxKeyLength));
}

}  // namespace

AuthThrottle::FailureTable::FailureTable(const Settings& settings, std::size_t saturation)
    : settings_(settings), saturation_(saturation) {}

bool AuthThrottle::FailureTable::expired(Clock::time_point failure, Clock::time_point now) const {
  return now - failure > settings_.window;
}

void AuthThrottle::FailureTable::erase(Entries::iterator it) {
  by_latest_failure_.erase(it->second.position);
  entries_.erase(it);
}

// Drops whole entries whose latest failure has expired, oldest first, so that forgotten keys do
// not linger until eviction. Stops at the first live entry: the order is by latest failure.
void AuthThrottle::FailureTable::expire_oldest(Clock::time_point now) {
  while (!by_latest_failure_.empty()) {
    auto it = entries_.find(*by_latest_failure_.front());
    if (!expired(it->second.failures.back(), now)) break;
    erase(it);
  }
}

std::size_t AuthThrottle::FailureTable::count(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  std::vector<Clock::time_point>& failures = it->second.failures;
  std::erase_if(failures, [&](Clock::time_point failure) { return expired(failure, now); });
  if (failures.empty()) {
    erase(it);
    return 0;
  }
  return failures.size();
}

void AuthThrottle::FailureTable::add(const std::string& key, Clock::time_point now) {
  if (key.empty()) return;
  expire_oldest(now);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (settings_.max_tracked == 0) return;
    if (entries_.size() >= settings_.max_tracked) erase(entries_.find(*by_latest_failure_.front()));
    it = entries_.emplace(key, Entry{}).first;
    it->second.position = by_latest_failure_.insert(by_latest_failure_.end(), &it->first);
  } else {
    by_latest_failure_.splice(by_latest_failure_.end(), by_latest_failure_, it->second.position);
  }
  std::vector<Clock::time_point>& failures = it->second.failures;
  // Threads may record slightly out of order; keep the times sorted.
  failures.insert(std::upper_bound(failures.begin(), failures.end(), now), now);
  if (failures.size() > saturation_) failures.erase(failures.begin());
}

void AuthThrottle::FailureTable::clear(const std::string& key) {
  if (auto it = entries_.find(key); it != entries_.end()) erase(it);
}

AuthThrottle::AuthThrottle(Settings settings)
    : settings_(settings),
      by_address_(settings_, saturation_of(settings_)),
      by_login_(settings_, saturation_of(settings_)) {}

std::chrono::milliseconds AuthThrottle::delay_for(std::string_view address, std::string_view login,
                                                  Clock::time_point now) {
  std::string address_id = address_key(address);
  std::string login_id = login_key(login);
  std::lock_guard lock(mutex_);
  std::size_t failures =
      std::max(by_address_.count(address_id, now), by_login_.count(login_id, now));
  if (failures == 0) return std::chrono::milliseconds(0);
  // base_delay after the first failure, doubling, capped.
  auto delay = settings_.base_delay;
  for (std::size_t i = 1; i < failures && delay < settings_.max_delay; ++i) delay *= 2;
  return std::min(delay, settings_.max_delay);
}

void AuthThrottle::record_failure(std::string_view address, std::string_view login,
                                  Clock::time_point now) {
  std::string address_id = address_key(address);
  std::string login_id = login_key(login);
  std::lock_guard lock(mutex_);
  by_address_.add(address_id, now);
  by_login_.add(login_id, now);
}

void AuthThrottle::record_success(std::string_view address, std::string_view login,
                                  Clock::time_point) {
  std::string address_id = address_key(address);
  std::string login_id = login_key(login);
  std::lock_guard lock(mutex_);
  by_address_.clear(address_id);
  by_login_.clear(login_id);
}

std::size_t AuthThrottle::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return by_address_.size() + by_login_.size();
}

}  // namespace tern::policy
