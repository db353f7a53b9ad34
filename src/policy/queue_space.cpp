// Queue space admission. free_bytes / 1.5 > message_size_limit is decided exactly in integers
// (2 x free > 3 x limit), with free_bytes split as 3a + b so nothing overflows near 2^64.
#include "policy/queue_space.hpp"

namespace tern::policy {

bool queue_has_room(std::uint64_t free_bytes, std::uint64_t queue_minfree,
                    std::uint64_t message_size_limit) {
  if (free_bytes <= queue_minfree) return false;
  if (message_size_limit == 0) return true;
  std::uint64_t a = free_bytes / 3;
  std::uint64_t b = free_bytes % 3;
  std::uint64_t quotient = 2 * a + (2 * b) / 3;  // floor(2 x free / 3)
  bool remainder = (2 * b) % 3 != 0;
  return quotient > message_size_limit || (quotient == message_size_limit && remainder);
}

}  // namespace tern::policy
