// Notifications built from queue records: the DSN action per recipient follows the notice's kind
// and the recipient's handoff; the original is read back from the spool file past its header.
#include "delivery/bounce.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace tern::delivery {
namespace {

class BounceTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-bounce-test-XXXXXX";
    int fd = ::mkstemp(pattern);
    ASSERT_GE(fd, 0);
    ::close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << kHeader << kOriginal;
    envelope_.queue_id = "6553F1000000A0001";
    envelope_.sender = "alice@example.org";
    envelope_.arrival_time = 1700000000;
    queue::Recipient relayed;
    relayed.address = "bob@remote.example";
    relayed.state = queue::RecipientState::Delivered;
    relayed.dsn_status = "2.0.0";
    relayed.handoff = queue::Handoff::RelayedWithoutDsn;
    relayed.remote_mta = "dns; mx.remote.example";
    relayed.diagnostic = "smtp; 250 2.0.0 Ok: queued as X";
    queue::Recipient waiting;
    waiting.address = "carol@slow.example";
    waiting.state = queue::RecipientState::Deferred;
    waiting.dsn_status = "4.4.1";
    waiting.status_text = "connect to mx.slow.example[192.0.2.9]:25: Connection refused";
    envelope_.recipients = {relayed, waiting};
  }
  void TearDown() override { std::remove(path_.c_str()); }

  std::string build(const queue::Notification& notice) {
    auto text = build_notification({envelope_, notice, path_, sizeof(kHeader) - 1},
                                   "mail.example.org", "<n1@mail.example.org>", 1700003600);
    EXPECT_TRUE(text) << text.error().message;
    return text ? *text : "";
  }

  static constexpr char kHeader[] = "SPOOL HEADER\n";
  static constexpr char kOriginal[] =
      "Subject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\nbody\r\n";
  std::string path_;
  queue::Envelope envelope_;
};

TEST_F(BounceTest, SuccessThroughANextHopWithoutDsnIsRelayed) {
  queue::Notification notice{queue::Notification::Kind::Success, "alice@example.org", {0}};
  std::string text = build(notice);
  EXPECT_NE(text.find("Subject: Successful Mail Delivery Report"), std::string::npos) << text;
  EXPECT_NE(text.find("Final-Recipient: rfc822; bob@remote.example"), std::string::npos);
  EXPECT_NE(text.find("Action: relayed"), std::string::npos) << text;
  EXPECT_NE(text.find("Remote-MTA: dns; mx.remote.example"), std::string::npos);
  EXPECT_NE(text.find("Message-ID: <m1@example.org>"), std::string::npos);  // the header returned
  EXPECT_EQ(text.find("SPOOL HEADER"), std::string::npos);

  envelope_.recipients[0].handoff = queue::Handoff::Mailbox;
  EXPECT_NE(build(notice).find("Action: delivered"), std::string::npos);
}

TEST_F(BounceTest, DelayWarningSaysDelayedAndUntilWhen) {
  queue::Notification notice{
      queue::Notification::Kind::Delay, "alice@example.org", {1}, 1700000000 + 5 * 86400};
  std::string text = build(notice);
  EXPECT_NE(text.find("Subject: Delayed Mail (still being retried)"), std::string::npos) << text;
  EXPECT_NE(text.find("THIS IS A WARNING ONLY"), std::string::npos);
  EXPECT_NE(text.find("Action: delayed"), std::string::npos);
  EXPECT_NE(text.find("Status: 4.4.1"), std::string::npos);
  EXPECT_NE(text.find("Will-Retry-Until: "), std::string::npos) << text;
  EXPECT_NE(text.find("It will be retried until it is 5 day(s) old."), std::string::npos) << text;
}

TEST_F(BounceTest, FailureIsFailedWithItsDiagnostic) {
  envelope_.recipients[1].state = queue::RecipientState::Bounced;
  envelope_.recipients[1].dsn_status = "5.1.1";
  envelope_.recipients[1].diagnostic = "smtp; 550 5.1.1 <carol@slow.example>: User unknown";
  queue::Notification notice{queue::Notification::Kind::Failure, "alice@example.org", {1}};
  std::string text = build(notice);
  EXPECT_NE(text.find("Action: failed"), std::string::npos) << text;
  EXPECT_NE(text.find("Diagnostic-Code: smtp; 550 5.1.1"), std::string::npos);
}

TEST_F(BounceTest, AMissingSpoolFileIsAnError) {
  path_ = "/nonexistent/spool/file";
  queue::Notification notice{queue::Notification::Kind::Failure, "alice@example.org", {1}};
  auto text = build_notification({envelope_, notice, path_, 0}, "mail.example.org", "<n@x>", 0);
  EXPECT_FALSE(text);
}

}  // namespace
}  // namespace tern::delivery
