// Message-ID: and Date: fields in Postfix's form and order; the id's time is UTC so it does not
// depend on the server's zone, the Date: is local time with its offset (mime/date.hpp).
#include "mime/message_id.hpp"

#include <fmt/format.h>

#include "mime/date.hpp"

namespace tern::mime {

std::string make_message_id(std::string_view queue_id, std::string_view hostname, std::time_t now) {
  std::tm utc{};
  gmtime_r(&now, &utc);
  return fmt::format("<{:04}{:02}{:02}{:02}{:02}{:02}.{}@{}>", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, queue_id, hostname);
}

std::string missing_header_fields(bool need_message_id, bool need_date, std::string_view queue_id,
                                  std::string_view hostname, std::time_t now) {
  // Postfix's order: cleanup adds a missing Message-Id: first, then Date:.
  std::string fields;
  if (need_message_id) {
    fields += fmt::format("Message-ID: {}\r\n", make_message_id(queue_id, hostname, now));
  }
  if (need_date) fields += fmt::format("Date: {}\r\n", rfc5322_date(now));
  return fields;
}

}  // namespace tern::mime
