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
                                                std::vector<std::size_t>* silenced) {
  Notification failure{
      Notification::Kind::Failure, envelope.sender.empty() ? "postmaster" : envelope.sender, {}};
  Notification success{Notification::Kind::Success, envelope.sender, {}};
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
      // Success notices go to a real sender only; <> never gets mail.
      if ((notify & smtp::NotifySuccess) != 0 && !envelope.sender.empty()) {
        success.recipients.push_back(i);
      }
    }
  }
  std::vector<Notification> owed;
  if (!failure.recipients.empty()) owed.push_back(std::move(failure));
  if (!success.recipients.empty()) owed.push_back(std::move(success));
  return owed;
}

}  // namespace tern::queue
