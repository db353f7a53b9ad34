// The notification decision; see notifications.hpp.
#include "queue/notifications.hpp"

#include "base/strings.hpp"
#include "smtp/parameters.hpp"

namespace tern::queue {
namespace {

bool is_postmaster(const std::string& address) {
  return iequals(std::string_view(address).substr(0, address.find('@')), "postmaster");
}

}  // namespace

std::vector<Notification> pending_notifications(const Envelope& envelope,
                                                std::vector<std::size_t>* silenced,
                                                const DelayWarningPolicy& delay) {
  Notification failure{
      Notification::Kind::Failure, envelope.sender.empty() ? "postmaster" : envelope.sender, {}};
  Notification success{Notification::Kind::Success, envelope.sender, {}};
  Notification warning{Notification::Kind::Delay,
                       envelope.sender,
                       {},
                       envelope.arrival_time + delay.queue_lifetime_seconds};
  bool warnings_due = delay.delay_warning_seconds > 0 && !envelope.sender.empty() &&
                      delay.now - envelope.arrival_time >= delay.delay_warning_seconds;
  for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
    const Recipient& recipient = envelope.recipients[i];
    if (recipient.notified) continue;
    // No NOTIFY parameter means FAILURE (and DELAY), as RFC 3461 §4.1 leaves to the MTA.
    std::uint8_t notify =
        recipient.notify == 0 ? static_cast<std::uint8_t>(smtp::NotifyFailure) : recipient.notify;
    if (recipient.state == RecipientState::Bounced) {
      // A failed double bounce (to the postmaster, from <>) is only logged: reporting it would
      // go to the postmaster again, and could loop.
      bool double_bounce_failed = envelope.sender.empty() && is_postmaster(recipient.address);
      if ((notify & smtp::NotifyFailure) != 0 && !double_bounce_failed) {
        failure.recipients.push_back(i);
      } else if (silenced != nullptr) {
        silenced->push_back(i);
      }
    } else if (recipient.state == RecipientState::Delivered) {
      // Success notices go to a real sender only; <> never gets mail. A next hop that took the
      // DSN request sends its own.
      if ((notify & smtp::NotifySuccess) != 0 && !envelope.sender.empty() &&
          recipient.handoff != Handoff::RelayedWithDsn) {
        success.recipients.push_back(i);
      } else if (silenced != nullptr && recipient.handoff == Handoff::RelayedWithDsn &&
                 (notify & smtp::NotifySuccess) != 0) {
        silenced->push_back(i);
      }
    } else if (recipient.state == RecipientState::Deferred && warnings_due && !recipient.warned) {
      // No NOTIFY: the MTA's choice (RFC 3461 §4.1); like Postfix, warn once delay_warning_time
      // is set.
      bool wants_delay = recipient.notify == 0 || (recipient.notify & smtp::NotifyDelay) != 0;
      if (wants_delay) warning.recipients.push_back(i);
    }
  }
  std::vector<Notification> owed;
  if (!failure.recipients.empty()) owed.push_back(std::move(failure));
  if (!success.recipients.empty()) owed.push_back(std::move(success));
  if (!warning.recipients.empty()) owed.push_back(std::move(warning));
  return owed;
}

}  // namespace tern::queue
