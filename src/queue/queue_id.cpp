// Queue ids from the clock plus a sequence: unique and increasing within a process, and across
// restarts because time moves forward (the sequence breaks ties within one microsecond).
#include "queue/queue_id.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <mutex>

namespace tern::queue {

std::string new_queue_id() {
  // (microseconds, sequence) only ever moves forward: ids made one after another in a process are
  // strictly increasing even when the 16-bit sequence wraps within one microsecond (it carries
  // into the microseconds) or the clock steps back. A few nanoseconds under a lock per message.
  static std::mutex mutex;
  static std::uint64_t last_micros = 0;
  static std::uint32_t last_sequence = 0;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto micros = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now).count());
  std::uint32_t sequence = 0;
  {
    std::lock_guard lock(mutex);
    if (micros > last_micros) {
      last_micros = micros;
      last_sequence = 0;
    } else if (++last_sequence > 0xFFFF) {
      ++last_micros;
      last_sequence = 0;
    }
    micros = last_micros;
    sequence = last_sequence;
  }
  return fmt::format("{:010X}{:05X}{:04X}", micros / 1000000, micros % 1000000, sequence);
}

bool is_queue_id(const std::string& text) {
  if (text.size() != 19) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

}  // namespace tern::queue
