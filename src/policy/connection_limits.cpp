// Per-client and global connection counting (Postfix anvil's connection count, in process).
// A limit of 0 means unlimited, as in Postfix.
#include "policy/connection_limits.hpp"

namespace tern::policy {

ConnectionLimits::ConnectionLimits(int per_client_limit, int global_limit)
    : per_client_limit_(per_client_limit), global_limit_(global_limit) {}

Admission ConnectionLimits::admit(const std::string& client_address, bool exempt_from_client_limit) {
  std::lock_guard lock(mutex_);
  if (global_limit_ > 0 && active_ >= global_limit_) return Admission::GlobalLimit;
  int& count = per_client_[client_address];
  if (!exempt_from_client_limit && per_client_limit_ > 0 && count >= per_client_limit_) {
    if (count == 0) per_client_.erase(client_address);
    return Admission::ClientLimit;
  }
  ++count;
  ++active_;
  return Admission::Admitted;
}

void ConnectionLimits::release(const std::string& client_address) {
  std::lock_guard lock(mutex_);
  auto it = per_client_.find(client_address);
  if (it == per_client_.end()) return;
  --active_;
  if (--it->second == 0) per_client_.erase(it);
}

int ConnectionLimits::active() const {
  std::lock_guard lock(mutex_);
  return active_;
}

}  // namespace tern::policy
