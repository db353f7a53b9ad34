// The durable spool (DESIGN.md "Spool"): a message is streamed into incoming/ID while it arrives,
// then committed: data fdatasync'd, renamed into active/ID, and the directory fsync'd, before the
// caller may reply 250. Commits from many sessions are batched by one committer thread (group
// commit), so one round of directory syncs serves every message that finished in the meantime.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "queue/envelope.hpp"

namespace tern::queue {

// A message being received. Writes go straight to the file (page cache); nothing is durable until
// commit. Destroying an uncommitted message removes its incoming file.
class IncomingMessage {
 public:
  IncomingMessage() = default;
  IncomingMessage(IncomingMessage&&) noexcept;
  IncomingMessage& operator=(IncomingMessage&&) noexcept;
  ~IncomingMessage();

  const std::string& queue_id() const { return queue_id_; }
  Status write(std::string_view bytes);  // appends message data
  std::uint64_t data_size() const { return data_size_; }
  void abort();  // removes the incoming file now

 private:
  friend class Spool;
  int fd_ = -1;
  std::string queue_id_;
  std::string incoming_path_;
  std::string active_path_;
  std::uint64_t data_size_ = 0;
  std::string pending_;  // small writes are coalesced before reaching the kernel
  Status flush_pending();
};

class Spool {
 public:
  // Opens (creating if needed) the spool under `directory`: incoming/ active/ deferred/ hold/
  // corrupt/.
  static Result<std::unique_ptr<Spool>> open(const std::string& directory);
  ~Spool();

  const std::string& directory() const { return directory_; }
  // Bytes an unprivileged writer may still use in the spool's file system (statvfs f_bavail);
  // nullopt when it cannot be told.
  std::optional<std::uint64_t> free_space() const;

  // Creates incoming/ID (ID chosen here and stored in envelope.queue_id) and writes the envelope
  // header.
  Result<IncomingMessage> begin(Envelope& envelope);

  // Makes the message durable in active/ and then calls `done` from the committer thread. `done`
  // receives the error if the message could not be made durable (the caller must then reply 4xx,
  // not 250).
  void commit(IncomingMessage message, std::function<void(Status)> done);

 private:
  explicit Spool(std::string directory);
  void committer_loop();

  struct PendingCommit {
    IncomingMessage message;
    std::function<void(Status)> done;
  };
  std::string directory_;
  int active_dir_fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<PendingCommit> pending_;
  bool stopping_ = false;
  std::thread committer_;
};

}  // namespace tern::queue
