// Reading the spool's files: a file's first bytes, a message's envelope header, the queue ids in a
// folder, and the retry time in a results log. Shared by the queue manager and the queue tools,
// which read the same files the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "queue/spool_format.hpp"

namespace tern::queue {

// Up to `limit` bytes from the start of the file.
Result<std::string> read_prefix(const std::string& path, std::size_t limit);
// The envelope header of a spool file (however long it is, within 16 MiB).
Result<SpoolHeader> read_header(const std::string& path);
// The queue ids of the messages in a folder, in arrival order (ids sort by time).
std::vector<std::string> list_queue_ids(const std::string& folder);
// The time of the last "schedule" record of a results log (0 when there is none).
std::int64_t next_attempt_time(const std::string& log);

}  // namespace tern::queue
