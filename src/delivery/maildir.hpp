// Delivery into a Maildir (the maildir(5) spec as Dovecot and mutt read it): write tmp/NAME, fsync,
// rename into new/NAME. NAME is deterministic per queue id and recipient, so a delivery repeated
// after a crash finds its earlier copy and does not deliver twice.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.hpp"

namespace tern::delivery {

struct MaildirMessage {
  std::string maildir;       // ".../Maildir/" (created with tmp/ new/ cur/ when missing)
  std::string unique_name;   // see maildir_unique_name()
  std::string prefix;        // headers added at delivery (Return-Path:, Delivered-To:)
  int source_fd = -1;        // the spool file
  std::uint64_t offset = 0;  // where the message bytes start in it
  std::uint64_t length = 0;
};

enum class MaildirOutcome { Delivered, AlreadyThere };

// Why a delivery failed, with the errno of the failing call (0 when none), so the caller can tell
// a full file system (ENOSPC) or quota (EDQUOT) from other trouble.
struct MaildirError {
  std::string message;
  int system_error = 0;
};

// "<arrival>.T<queue id>R<recipient>D<target>.<host>", host with '/' and ':' escaped as the spec
// says.
std::string maildir_unique_name(std::int64_t arrival, const std::string& queue_id,
                                std::size_t recipient, std::size_t target, std::string_view host);

// `check_cur`: also look in cur/ for an earlier copy the reader already moved (after a crash only).
// The caller syncs new/ (see sync_new_directory) before counting the delivery as done.
Result<MaildirOutcome, MaildirError> deliver_to_maildir(const MaildirMessage& message,
                                                        bool check_cur);
Status sync_new_directory(const std::string& maildir);

}  // namespace tern::delivery
