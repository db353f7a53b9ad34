// Who is told what: RFC 3461 NOTIFY semantics and the double-bounce rule.
#include "queue/notifications.hpp"

#include <gtest/gtest.h>

#include "smtp/parameters.hpp"

namespace tern::queue {
namespace {

Recipient recipient(std::string address, RecipientState state, std::uint8_t notify = 0) {
  Recipient r;
  r.address = std::move(address);
  r.state = state;
  r.notify = notify;
  return r;
}

TEST(NotificationsTest, BouncesGoToTheSenderByDefault) {
  Envelope envelope;
  envelope.sender = "alice@example.org";
  envelope.recipients = {recipient("a@x.test", RecipientState::Bounced),
                         recipient("b@x.test", RecipientState::Delivered),
                         recipient("c@x.test", RecipientState::Deferred),
                         recipient("d@x.test", RecipientState::Bounced)};
  std::vector<std::size_t> silenced;
  auto owed = pending_notifications(envelope, &silenced);
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0].kind, Notification::Kind::Failure);
  EXPECT_EQ(owed[0].to, "alice@example.org");
  EXPECT_EQ(owed[0].recipients, (std::vector<std::size_t>{0, 3}));
  EXPECT_TRUE(silenced.empty());
}

TEST(NotificationsTest, NotifyNeverAndSuccessOnly) {
  Envelope envelope;
  envelope.sender = "alice@example.org";
  envelope.recipients = {
      recipient("a@x.test", RecipientState::Bounced, smtp::NotifyNever),
      recipient("b@x.test", RecipientState::Bounced, smtp::NotifySuccess),
      recipient("c@x.test", RecipientState::Delivered, smtp::NotifySuccess | smtp::NotifyFailure),
      recipient("d@x.test", RecipientState::Delivered, smtp::NotifyFailure)};
  std::vector<std::size_t> silenced;
  auto owed = pending_notifications(envelope, &silenced);
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0].kind, Notification::Kind::Success);
  EXPECT_EQ(owed[0].recipients, (std::vector<std::size_t>{2}));
  EXPECT_EQ(silenced, (std::vector<std::size_t>{0, 1}));
}

TEST(NotificationsTest, AlreadyNotifiedRecipientsAreNotToldTwice) {
  Envelope envelope;
  envelope.sender = "alice@example.org";
  envelope.recipients = {recipient("a@x.test", RecipientState::Bounced)};
  envelope.recipients[0].notified = true;
  EXPECT_TRUE(pending_notifications(envelope).empty());
}

TEST(NotificationsTest, NullSenderFailuresGoToThePostmasterButNeverLoop) {
  Envelope envelope;  // a bounce that itself bounced
  envelope.recipients = {recipient("gone@x.test", RecipientState::Bounced),
                         recipient("ok@x.test", RecipientState::Delivered, smtp::NotifySuccess)};
  auto owed = pending_notifications(envelope);
  ASSERT_EQ(owed.size(), 1u);  // no success notice to <>
  EXPECT_EQ(owed[0].to, "postmaster");
  EXPECT_EQ(owed[0].recipients, (std::vector<std::size_t>{0}));

  Envelope double_bounce;  // the postmaster notice failed too: logged only
  double_bounce.recipients = {recipient("Postmaster@example.org", RecipientState::Bounced)};
  std::vector<std::size_t> silenced;
  EXPECT_TRUE(pending_notifications(double_bounce, &silenced).empty());
  EXPECT_EQ(silenced, (std::vector<std::size_t>{0}));
}

TEST(NotificationsTest, SuccessIsOursOnlyWhenTheNextHopDidNotTakeTheDsnRequest) {
  Envelope envelope;
  envelope.sender = "alice@example.org";
  envelope.recipients = {recipient("a@x.test", RecipientState::Delivered, smtp::NotifySuccess),
                         recipient("b@x.test", RecipientState::Delivered, smtp::NotifySuccess),
                         recipient("c@x.test", RecipientState::Delivered, smtp::NotifySuccess)};
  envelope.recipients[1].handoff = Handoff::RelayedWithoutDsn;
  envelope.recipients[2].handoff = Handoff::RelayedWithDsn;
  std::vector<std::size_t> silenced;
  auto owed = pending_notifications(envelope, &silenced);
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0].kind, Notification::Kind::Success);
  EXPECT_EQ(owed[0].recipients, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(silenced, std::vector<std::size_t>{2});  // the next hop reports; nothing left to do
}

TEST(NotificationsTest, DelayWarningsOnceAfterTheConfiguredTime) {
  Envelope envelope;
  envelope.sender = "alice@example.org";
  envelope.arrival_time = 1000;
  envelope.recipients = {
      recipient("a@x.test", RecipientState::Deferred),
      recipient("b@x.test", RecipientState::Deferred, smtp::NotifyFailure),
      recipient("c@x.test", RecipientState::Deferred, smtp::NotifyDelay | smtp::NotifyFailure),
      recipient("d@x.test", RecipientState::Deferred, smtp::NotifyDelay)};
  envelope.recipients[3].warned = true;
  DelayWarningPolicy too_early{1000 + 3599, 3600, 5 * 86400};
  EXPECT_TRUE(pending_notifications(envelope, nullptr, too_early).empty());
  DelayWarningPolicy off{1000 + 86400, 0, 5 * 86400};
  EXPECT_TRUE(pending_notifications(envelope, nullptr, off).empty());

  DelayWarningPolicy due{1000 + 3600, 3600, 5 * 86400};
  auto owed = pending_notifications(envelope, nullptr, due);
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0].kind, Notification::Kind::Delay);
  EXPECT_EQ(owed[0].to, "alice@example.org");
  EXPECT_EQ(owed[0].recipients, (std::vector<std::size_t>{0, 2}));  // b asked for failures only
  EXPECT_EQ(owed[0].will_retry_until, 1000 + 5 * 86400);

  envelope.sender = "";  // a notification is never warned about
  EXPECT_TRUE(pending_notifications(envelope, nullptr, due).empty());
}

}  // namespace
}  // namespace tern::queue
