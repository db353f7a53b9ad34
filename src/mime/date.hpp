// RFC 5322 §3.3 date-time for Received:, Date: and DSN Arrival-Date: "Sat, 28 Nov 2026 19:33:55
// +0000".
#pragma once

#include <ctime>
#include <string>

namespace tern::mime {

// Local time with its numeric zone offset and, as Postfix adds it, the zone name in a comment.
std::string rfc5322_date(std::time_t time);

}  // namespace tern::mime
