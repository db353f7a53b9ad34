// The local delivery agent (Postfix local(8) for Maildir): expands each recipient through the
// aliases and users of the local domains and writes one Maildir copy per target, with Return-Path:
// and Delivered-To: prepended. Mail for other domains is deferred: outbound SMTP delivery does not
// exist yet.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/recipient_directory.hpp"
#include "queue/queue_manager.hpp"

namespace tern::delivery {

class LocalDeliveryAgent {
 public:
  struct Options {
    std::string hostname;  // for Maildir file names
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
