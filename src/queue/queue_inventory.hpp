// What is in the queue, for the queue tools (Postfix's mailq/postqueue -p and -j, postcat -h):
// every message in active/, deferred/ and hold/ with its envelope, size and per-recipient state,
// read straight from the spool files. Read-only, so it is safe while ternd runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "queue/envelope.hpp"

namespace tern::queue {

struct QueuedMessage {
  std::string folder;             // "active", "deferred" or "hold"
  Envelope envelope;              // recipients carry their state and last status text
  std::uint64_t size = 0;         // message bytes
  std::uint64_t data_offset = 0;  // where they start in the spool file
  std::string path;
};

// Every queued message, oldest first. Files that cannot be read are skipped with a reason in
// `problems`.
std::vector<QueuedMessage> list_queue(const std::string& spool_directory,
                                      std::vector<std::string>* problems = nullptr);
Result<QueuedMessage> find_queued(const std::string& spool_directory, const std::string& queue_id);
// The header section of a queued message, as stored (with tern's Received: first).
Result<std::string> queued_headers(const QueuedMessage& message);

// mailq's text (Postfix's layout: "-Queue ID-  --Size-- ----Arrival Time----
// -Sender/Recipient-------",
// '*' after an active id, '!' after a held one, deferral reasons in parentheses).
std::string format_mailq(const std::vector<QueuedMessage>& messages);
// postqueue -j: one JSON object per line, Postfix's field names.
std::string format_queue_json(const std::vector<QueuedMessage>& messages);

}  // namespace tern::queue
