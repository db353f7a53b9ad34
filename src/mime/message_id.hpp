// Message-ID: (RFC 5322 §3.6.4) and Date: (§3.6.1) fields for submitted mail that lacks them, as
// Postfix's cleanup adds them (cleanup_header_done_callback): "<YYYYMMDDhhmmss.QUEUEID@myhostname>"
// with the time in UTC, and the Message-ID before the Date.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace tern::mime {

// "<20231114221320.0123456789ABCDEF012@mail.example.org>": unique because queue ids are.
std::string make_message_id(std::string_view queue_id, std::string_view hostname, std::time_t now);

// The fields to add, each ending in CRLF ("" when none is needed), to be placed at the end of the
// header section (see HeaderScanner).
std::string missing_header_fields(bool need_message_id, bool need_date, std::string_view queue_id,
                                  std::string_view hostname, std::time_t now);

}  // namespace tern::mime
