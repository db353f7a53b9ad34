// Message-ID:/Date: for submitted mail: Postfix's id form with the time in UTC whatever the zone,
// Postfix's order (Message-ID before Date), and the whole path a submission session takes: scan a
// message arriving in pieces, then insert exactly the missing fields.
#include "mime/message_id.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/header_scanner.hpp"

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

constexpr std::string_view kQueueId = "6553F1A00B1C2D0001A";
constexpr std::string_view kHost = "mail.example.org";
constexpr std::time_t kNow = 1700000000;  // Tue, 14 Nov 2023 22:13:20 UTC

TEST(MessageIdTest, PostfixFormInUtc) {
  ZoneGuard zone("EET-2");  // local time is already the 15th: the id must not follow it
  EXPECT_EQ(make_message_id(kQueueId, kHost, kNow),
            "<20231114221320.6553F1A00B1C2D0001A@mail.example.org>");
  EXPECT_EQ(make_message_id("A", "h", 0), "<19700101000000.A@h>");
  EXPECT_EQ(make_message_id("B", "h.example", 1709210096), "<20240229123456.B@h.example>");
}

TEST(MessageIdTest, MissingFieldsInPostfixOrder) {
  ZoneGuard zone("UTC");
  EXPECT_EQ(missing_header_fields(true, true, kQueueId, kHost, kNow),
            "Message-ID: <20231114221320.6553F1A00B1C2D0001A@mail.example.org>\r\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n");
  EXPECT_EQ(missing_header_fields(true, false, kQueueId, kHost, kNow),
            "Message-ID: <20231114221320.6553F1A00B1C2D0001A@mail.example.org>\r\n");
  EXPECT_EQ(missing_header_fields(false, true, kQueueId, kHost, kNow),
            "Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n");
  EXPECT_EQ(missing_header_fields(false, false, kQueueId, kHost, kNow), "");
}

TEST(MessageIdTest, DateIsLocalTimeIdIsUtc) {
  ZoneGuard zone("EET-2");
  EXPECT_EQ(missing_header_fields(true, true, "Q", "h", kNow),
            "Message-ID: <20231114221320.Q@h>\r\n"
            "Date: Wed, 15 Nov 2023 00:13:20 +0200 (EET)\r\n");
}

// What the session does for submitted mail, pieces in and spool bytes out.
std::string submit(std::string_view message, std::size_t piece) {
  HeaderScanner scanner({"Message-ID", "Date"});
  std::string pending;
  std::string spooled;
  for (std::size_t start = 0; start < message.size() || start == 0; start += piece) {
    pending.append(message.substr(start, piece));
    bool last = start + piece >= message.size();
    HeaderScanner::Step step = last ? scanner.finish(pending) : scanner.feed(pending);
    std::string_view ready(pending.data(), step.consumed);
    if (step.header_end) {
      std::string fields = missing_header_fields(!scanner.has_field("Message-ID"),
                                                 !scanner.has_field("Date"), kQueueId, kHost, kNow);
      spooled += ready.substr(0, step.header_end->offset);
      spooled += header_insertion(*step.header_end, fields);
      spooled += ready.substr(step.header_end->offset);
    } else {
      spooled += ready;
    }
    pending.erase(0, step.consumed);
    if (last) break;
  }
  return spooled;
}

TEST(MessageIdTest, SubmittedMessageGetsExactlyTheMissingFields) {
  ZoneGuard zone("UTC");
  const std::string id = "Message-ID: <20231114221320.6553F1A00B1C2D0001A@mail.example.org>\r\n";
  const std::string date = "Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n";
  const std::string header = "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n";
  const std::string body = "\r\nHello Bob,\r\nMessage-ID: in the body\r\n";
  struct Case {
    std::string message, expected;
  };
  const std::vector<Case> cases = {
      {header + body, header + id + date + body},
      {header + "Date: Mon, 13 Nov 2023 08:00:00 +0100\r\n" + body,
       header + "Date: Mon, 13 Nov 2023 08:00:00 +0100\r\n" + id + body},
      {header + "message-id: <x@y>\r\n" + body, header + "message-id: <x@y>\r\n" + date + body},
      {header + "Message-Id: <x@y>\r\nDate: z\r\n" + body,
       header + "Message-Id: <x@y>\r\nDate: z\r\n" + body},
      {"", id + date},
      {"Subject: no body", "Subject: no body\r\n" + id + date},
  };
  for (const Case& c : cases) {
    for (std::size_t piece = 1; piece <= c.message.size() + 1; ++piece) {
      ASSERT_EQ(submit(c.message, piece), c.expected) << "pieces of " << piece;
    }
  }
}

}  // namespace
}  // namespace tern::mime
