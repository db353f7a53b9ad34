// Notification building: per-recipient DSN fields from the queue's records. The returned original
// is read only as far as a notification can use it (dsn.hpp returns at most bounce_size_limit of it
// whole, otherwise its header).
#include "delivery/bounce.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mime/dsn.hpp"

namespace tern::delivery {
namespace {

constexpr std::size_t kOriginalReadLimit = 1 << 20;

Result<std::string> read_original(const std::string& path, std::uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("open {}: {}", path, std::strerror(errno))};
  std::string text(kOriginalReadLimit, '\0');
  std::size_t filled = 0;
  while (filled < text.size()) {
    ssize_t got = ::pread(fd, text.data() + filled, text.size() - filled,
                          static_cast<off_t>(offset + filled));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    filled += static_cast<std::size_t>(got);
  }
  ::close(fd);
  text.resize(filled);
  return text;
}

mime::DsnRecipient::Action dsn_action(const queue::Recipient& recipient,
                                      queue::Notification::Kind kind) {
  if (kind == queue::Notification::Kind::Failure) return mime::DsnRecipient::Action::Failed;
  if (kind == queue::Notification::Kind::Delay) return mime::DsnRecipient::Action::Delayed;
  return recipient.handoff == queue::Handoff::RelayedWithoutDsn
             ? mime::DsnRecipient::Action::Relayed
             : mime::DsnRecipient::Action::Delivered;
}

mime::DsnRecipient dsn_recipient(const queue::Recipient& recipient,
                                 const queue::Notification& notice) {
  mime::DsnRecipient entry;
  entry.final_recipient = "rfc822;" + recipient.address;
  if (!recipient.orcpt_address.empty()) {
    entry.original_recipient =
        fmt::format("{};{}", recipient.orcpt_type.empty() ? "rfc822" : recipient.orcpt_type,
                    recipient.orcpt_address);
  }
  entry.action = dsn_action(recipient, notice.kind);
  if (entry.action == mime::DsnRecipient::Action::Delayed) {
    entry.will_retry_until = static_cast<std::time_t>(notice.will_retry_until);
  }
  entry.status = recipient.dsn_status;
  if (!recipient.diagnostic.empty()) {
    entry.diagnostic = recipient.diagnostic;
  } else if (!recipient.status_text.empty()) {
    entry.diagnostic = fmt::format("X-tern; {}", recipient.status_text);
  }
  entry.remote_mta = recipient.remote_mta;
  entry.last_attempt = static_cast<std::time_t>(recipient.last_attempt);
  return entry;
}

}  // namespace

std::string notification_recipient(const queue::Notification& notice, std::string_view hostname) {
  if (notice.to.find('@') == std::string::npos) return fmt::format("{}@{}", notice.to, hostname);
  return notice.to;
}

Result<std::string> build_notification(const NotificationSource& source, std::string_view hostname,
                                       std::string_view message_id, std::time_t now) {
  auto original = read_original(source.spool_file, source.data_offset);
  if (!original) return original.error();
  const queue::Envelope& envelope = source.envelope;
  mime::DsnReport report;
  report.reporting_mta = std::string(hostname);
  report.queue_id = envelope.queue_id;
  report.envid = envelope.envid;
  // A double bounce (the failed message was itself from <>) is addressed to the postmaster.
  report.original_sender =
      envelope.sender.empty() ? notification_recipient(source.notice, hostname) : envelope.sender;
  report.arrival = static_cast<std::time_t>(envelope.arrival_time);
  for (std::size_t index : source.notice.recipients) {
    if (index >= envelope.recipients.size()) continue;
    report.recipients.push_back(dsn_recipient(envelope.recipients[index], source.notice));
  }
  report.return_full_message = envelope.ret == "FULL";
  report.original_message = *original;
  report.postmaster = fmt::format("MAILER-DAEMON@{}", hostname);
  return mime::build_dsn(report, message_id, now);
}

}  // namespace tern::delivery
