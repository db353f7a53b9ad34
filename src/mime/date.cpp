// Dates in RFC 5322 §3.3 form, built with strftime on the local time (English names regardless of
// locale, since the names are fixed by the RFC).
#include "mime/date.hpp"

#include <fmt/format.h>

namespace tern::mime {

std::string rfc5322_date(std::time_t time) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm local{};
  localtime_r(&time, &local);
  long offset_minutes = local.tm_gmtoff / 60;
  char sign = offset_minutes < 0 ? '-' : '+';
  if (offset_minutes < 0) offset_minutes = -offset_minutes;
  std::string zone = local.tm_zone != nullptr ? local.tm_zone : "";
  return fmt::format("{}, {} {} {} {:02}:{:02}:{:02} {}{:02}{:02}{}", kDays[local.tm_wday],
                     local.tm_mday, kMonths[local.tm_mon], local.tm_year + 1900, local.tm_hour,
                     local.tm_min, local.tm_sec, sign, offset_minutes / 60, offset_minutes % 60,
                     zone.empty() ? "" : fmt::format(" ({})", zone));
}

}  // namespace tern::mime
