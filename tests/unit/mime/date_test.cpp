// RFC 5322 §3.3 dates: the shape for any time and zone, and exact strings under fixed zones.
#include "mime/date.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <regex>
#include <string>

namespace tern::mime {
namespace {

// Sets TZ for one test and puts the previous value back.
class ZoneGuard {
 public:
  explicit ZoneGuard(const char* zone) {
    if (const char* old = std::getenv("TZ")) previous_ = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ZoneGuard() {
    if (previous_) {
      ::setenv("TZ", previous_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> previous_;
};

const std::regex kShape(
    R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )"
    R"(\d{4} \d\d:\d\d:\d\d [+-]\d{4}( \(\w+\))?$)");

TEST(DateTest, NowHasTheRfc5322Shape) {
  std::string date = rfc5322_date(std::time(nullptr));
  EXPECT_TRUE(std::regex_match(date, kShape)) << date;
}

TEST(DateTest, EveryMonthAndWeekdayHasTheShape) {
  ZoneGuard zone("UTC");
  for (std::time_t time = 1700000000; time < 1700000000 + 400 * 86400; time += 86400 + 3607) {
    std::string date = rfc5322_date(time);
    EXPECT_TRUE(std::regex_match(date, kShape)) << date;
  }
}

TEST(DateTest, FixedTimesInUtc) {
  ZoneGuard zone("UTC");
  EXPECT_EQ(rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000 (UTC)");
  EXPECT_EQ(rfc5322_date(1700000000), "Tue, 14 Nov 2023 22:13:20 +0000 (UTC)");
  EXPECT_EQ(rfc5322_date(1709210096), "Thu, 29 Feb 2024 12:34:56 +0000 (UTC)");
}

TEST(DateTest, OffsetsEastAndWestOfUtc) {
  {
    ZoneGuard zone("EET-2");  // POSIX: two hours east
    EXPECT_EQ(rfc5322_date(1700000000), "Wed, 15 Nov 2023 00:13:20 +0200 (EET)");
  }
  {
    ZoneGuard zone("NST+3:30");  // three and a half hours west
    EXPECT_EQ(rfc5322_date(1700000000), "Tue, 14 Nov 2023 18:43:20 -0330 (NST)");
  }
}

}  // namespace
}  // namespace tern::mime
