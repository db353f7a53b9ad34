// Connection accounting for smtpd_client_connection_count_limit (per client address) and
// smtpd_connection_limit (all clients): a connection over either limit is told 421 and closed, so one
// client cannot take every slot. Shared by all event-loop threads, hence the lock.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace tern::policy {

enum class Admission { Admitted, ClientLimit, GlobalLimit };

class ConnectionLimits {
 public:
  ConnectionLimits(int per_client_limit, int global_limit);

  // Counts the connection if admitted; each admitted connection must be released exactly once.
  Admission admit(const std::string& client_address, bool exempt_from_client_limit);
  void release(const std::string& client_address);
  int active() const;

 private:
  int per_client_limit_;
  int global_limit_;
  mutable std::mutex mutex_;
  int active_ = 0;
  std::unordered_map<std::string, int> per_client_;
};

}  // namespace tern::policy
