// Whether the queue file system has room to accept another message (Postfix smtpd_check_queue):
// MAIL is refused for now, 452 4.3.1 Insufficient system storage, when the free space is at or
// below queue_minfree or less than 1.5 times message_size_limit. Refusing at MAIL, before any data
// is sent, keeps a filling disk from turning into failed transfers at end of data.
#pragma once

#include <cstdint>

namespace tern::policy {

// One message at the size limit must fit with half again to spare (Postfix's factor 1.5);
// `message_size_limit` 0 means no size limit, so only queue_minfree counts.
bool queue_has_room(std::uint64_t free_bytes, std::uint64_t queue_minfree,
                    std::uint64_t message_size_limit);

}  // namespace tern::policy
