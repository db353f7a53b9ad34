// The spool file format: a text envelope header ("TERN-QUEUE 1 <length>" then one record per line,
// values
// %-escaped so any byte is safe), followed by the message bytes. Per-recipient results live in an
// append-only side log whose torn last line (a crash mid-append) is ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "queue/envelope.hpp"

namespace tern::queue {

struct SpoolHeader {
  Envelope envelope;
  std::uint64_t data_offset = 0;  // where the message bytes start
};

std::string encode_envelope(const Envelope& envelope);
// `head` must hold at least the header (reading the first 64 KiB plus the length it names is
// enough).
Result<SpoolHeader> decode_spool_header(std::string_view head);
// The header length announced by the first line, or 0 when the file does not start like a spool
// file.
std::uint64_t announced_header_length(std::string_view head);

// One line of the results log: a recipient's final or deferred state, or the message's retry
// schedule.
// `dsn` (the RFC 3463 status, e.g. "5.1.1") is kept for the delivery status notification; records
// written without it (older spools) read back with an empty status.
// `diagnostic` and `remote_mta` describe a remote server's reply for the DSN.
std::string encode_result(std::size_t recipient_index, RecipientState state, std::int64_t time,
                          std::string_view text, std::string_view dsn = "",
                          std::string_view diagnostic = "", std::string_view remote_mta = "");
// The sender was told about this recipient (a DSN was queued), so recovery never tells twice.
std::string encode_notified(std::size_t recipient_index);
// A delay warning about this recipient was queued: one per recipient, however long it waits.
std::string encode_warned(std::size_t recipient_index);
// Where a delivered recipient went (see Handoff); only written when not into a mailbox.
std::string encode_handoff(std::size_t recipient_index, Handoff handoff);
std::string encode_schedule(int attempts, std::int64_t next_attempt_time);
// Applies every complete line of `log` to `envelope`; unknown or malformed lines are errors, except
// a final line without its newline, which a crash may have torn and is ignored.
Status apply_results(std::string_view log, Envelope& envelope);

std::string escape_value(std::string_view value);
std::string unescape_value(std::string_view value);

}  // namespace tern::queue
