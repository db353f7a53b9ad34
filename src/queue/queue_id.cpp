// Queue ids from the clock plus an atomic counter: unique within a process without a lock, and
// across restarts because time moves forward (the counter also breaks ties within one microsecond).
#include "queue/queue_id.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>

namespace tern::queue {

std::string new_queue_id() {
  static std::atomic<std::uint32_t> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  std::uint64_t seconds = static_cast<std::uint64_t>(micros / 1000000);
  std::uint64_t fraction = static_cast<std::uint64_t>(micros % 1000000);
  std::uint32_t sequence = counter.fetch_add(1, std::memory_order_relaxed) & 0xFFFF;
  return fmt::format("{:010X}{:05X}{:04X}", seconds, fraction, sequence);
}

bool is_queue_id(const std::string& text) {
  if (text.size() != 19) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

}  // namespace tern::queue
