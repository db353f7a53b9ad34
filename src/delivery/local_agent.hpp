// The local delivery agent (Postfix local(8) for Maildir): expands each recipient through the
// aliases and users of the local domains and writes one Maildir copy per target, with Return-Path:
// and Delivered-To: prepended. Aliases that forward elsewhere resubmit the message for those
// addresses. Recipients of other domains are the remote agent's, not this one's.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/result.hpp"

#include "config/config.hpp"
#include "config/recipient_directory.hpp"
#include "queue/queue_manager.hpp"

namespace tern::delivery {

class LocalDeliveryAgent {
 public:
  // An alias that names addresses in other domains: the message is queued anew for them (as
  // Postfix's local(8) resubmits it), with Delivered-To: for the forwarding address. Returns the
  // new queue id.
  struct ForwardRequest {
    const queue::DeliveryJob& job;
    std::size_t index;                   // the recipient whose alias forwards
    std::vector<std::string> addresses;  // where to
    std::string delivered_to;            // the recipient's address
  };
  using ForwardFunction = std::function<Result<std::string>(const ForwardRequest&)>;

  struct Options {
    std::string hostname;       // for Maildir file names
    ForwardFunction forward{};  // null: forwards are deferred
  };
  LocalDeliveryAgent(const config::Config& config, const config::RecipientDirectory& directory,
                     Options options);

  std::vector<queue::RecipientResult> deliver(const queue::DeliveryJob& job) const;

 private:
  queue::RecipientResult deliver_one(const queue::DeliveryJob& job, std::size_t index,
                                     int source_fd, std::uint64_t length,
                                     std::vector<std::string>& touched) const;

  const config::Config& config_;
  const config::RecipientDirectory& directory_;
  Options options_;
};

}  // namespace tern::delivery
