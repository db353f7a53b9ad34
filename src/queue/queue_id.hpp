// Queue ids: uppercase hex, unique across threads and restarts, and sortable by arrival time, in
// the spirit of Postfix's long queue ids.
#pragma once

#include <string>

namespace tern::queue {

// 10 hex digits of seconds, 5 of microseconds, 4 of a process-wide counter: "6567A1B2C30F1A20003".
std::string new_queue_id();

// True for strings new_queue_id() could have produced (used to skip foreign files in spool
// folders).
bool is_queue_id(const std::string& text);

}  // namespace tern::queue
