// Local delivery: alias expansion and Maildir writes per recipient, results as values for the queue
// manager to record. Every new/ directory written is fsync'd once, before any result is returned.
#include "delivery/local_agent.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "delivery/maildir.hpp"
#include "smtp/address.hpp"

namespace tern::delivery {
namespace {

using queue::RecipientResult;
using queue::RecipientState;

RecipientResult result(std::size_t index, RecipientState state, std::string dsn, std::string text) {
  return RecipientResult{index, state, std::move(dsn), std::move(text), "local"};
}

}  // namespace

LocalDeliveryAgent::LocalDeliveryAgent(const config::Config& config,
                                       const config::RecipientDirectory& directory, Options options)
    : config_(config), directory_(directory), options_(std::move(options)) {}

std::vector<RecipientResult> LocalDeliveryAgent::deliver(const queue::DeliveryJob& job) const {
  std::vector<RecipientResult> results;
  int fd = ::open(job.spool_file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat info {};
  if (fd < 0 || ::fstat(fd, &info) != 0) {
    for (std::size_t index : job.pending) {
      results.push_back(result(index, RecipientState::Deferred, "4.3.0", "cannot open queue file"));
    }
    if (fd >= 0) ::close(fd);
    return results;
  }
  std::uint64_t length = static_cast<std::uint64_t>(info.st_size) - job.data_offset;
  std::vector<std::string> touched;
  for (std::size_t index : job.pending) {
    results.push_back(deliver_one(job, index, fd, length, touched));
  }
  ::close(fd);
  for (const std::string& maildir : touched) {
    if (auto synced = sync_new_directory(maildir); !synced) {
      // Not durable yet: report every delivery into that Maildir as deferred, so it is tried again.
      for (RecipientResult& outcome : results) {
        if (outcome.state == RecipientState::Delivered) {
          outcome =
              result(outcome.index, RecipientState::Deferred, "4.3.0", synced.error().message);
        }
      }
    }
  }
  return results;
}

RecipientResult LocalDeliveryAgent::deliver_one(const queue::DeliveryJob& job, std::size_t index,
                                                int source_fd, std::uint64_t length,
                                                std::vector<std::string>& touched) const {
  const queue::Envelope& envelope = job.envelope;
  const std::string& address = envelope.recipients[index].address;
  std::size_t at = address.rfind('@');
  std::string local = smtp::unquoted_local_part(address.substr(0, at));
  std::string domain = at == std::string::npos ? "" : address.substr(at + 1);
  if (!directory_.is_local_domain(domain)) {
    return result(index, RecipientState::Deferred, "4.3.5",
                  "not a local domain: the local delivery agent was given a remote recipient");
  }
  if (config_.mailbox_size_limit > 0 && length > config_.mailbox_size_limit) {
    return result(index, RecipientState::Bounced, "5.2.2",
                  "cannot update mailbox: message file too big");
  }
  config::Expansion expansion = directory_.expand(local, domain);
  if (expansion.status == config::Lookup::Unavailable) {
    return result(index, RecipientState::Deferred, "4.3.0",
                  fmt::format("temporary lookup failure: {}", expansion.error));
  }
  if (expansion.status == config::Lookup::NotFound) {
    if (!expansion.error.empty()) {
      return result(index, RecipientState::Bounced, "5.4.6", expansion.error);
    }
    return result(index, RecipientState::Bounced, "5.1.1", "unknown user: \"" + local + "\"");
  }
  std::vector<std::string> forwards;
  for (std::size_t target = 0; target < expansion.targets.size(); ++target) {
    const config::DeliveryTarget& destination = expansion.targets[target];
    if (destination.maildir.empty()) {
      forwards.push_back(destination.address);
      continue;
    }
    MaildirMessage message;
    message.maildir = destination.maildir;
    message.unique_name = maildir_unique_name(envelope.arrival_time, envelope.queue_id, index,
                                              target, options_.hostname);
    message.prefix = fmt::format("Return-Path: <{}>\r\nDelivered-To: {}\r\n", envelope.sender,
                                 destination.address);
    message.source_fd = source_fd;
    message.offset = job.data_offset;
    message.length = length;
    auto delivered = deliver_to_maildir(message, job.recovered);
    if (!delivered) {
      // Deferred either way, with RFC 3463's finer codes when the cause is known: X.3.1 mail
      // system full (the file system), X.2.2 mailbox full (the user's quota).
      int cause = delivered.error().system_error;
      const char* status = cause == ENOSPC ? "4.3.1" : cause == EDQUOT ? "4.2.2" : "4.2.0";
      return result(index, RecipientState::Deferred, status,
                    fmt::format("cannot update mailbox: {}", delivered.error().message));
    }
    if (std::find(touched.begin(), touched.end(), destination.maildir) == touched.end()) {
      touched.push_back(destination.maildir);
    }
  }
  if (forwards.empty()) {
    return result(index, RecipientState::Delivered, "2.0.0", "delivered to maildir");
  }
  if (!options_.forward) {
    return result(index, RecipientState::Deferred, "4.3.5",
                  "cannot forward mail to another domain");
  }
  auto forwarded = options_.forward(ForwardRequest{job, index, forwards, address});
  if (!forwarded) {
    return result(index, RecipientState::Deferred, "4.3.0",
                  fmt::format("cannot forward: {}", forwarded.error().message));
  }
  return result(index, RecipientState::Delivered, "2.0.0",
                fmt::format("forwarded as {}", *forwarded));
}

}  // namespace tern::delivery
