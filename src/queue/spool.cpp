// The durable spool. Messages stream into incoming/ID; commit is fdatasync + rename into active/ +
// one fsync of active/ for every batch of commits that queued up meanwhile (group commit). The
// caller's 250 waits for that callback: a crash at any instant loses no acknowledged message
// (DESIGN.md Principle 2).
#include "queue/spool.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "queue/queue_id.hpp"
#include "queue/spool_format.hpp"

namespace tern::queue {
namespace {

constexpr std::size_t kCoalesceBytes = 64 * 1024;

Error system_error(std::string_view what, const std::string& path) {
  return Error{fmt::format("{} {}: {}", what, path, std::strerror(errno))};
}

Status write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return system_error("write", path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return ok_status();
}

Status make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return system_error("mkdir", path);
  return ok_status();
}

Status sync_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return system_error("open", path);
  int result = ::fsync(fd);
  ::close(fd);
  if (result != 0) return system_error("fsync", path);
  return ok_status();
}

}  // namespace

IncomingMessage::IncomingMessage(IncomingMessage&& other) noexcept {
  *this = std::move(other);
}

IncomingMessage& IncomingMessage::operator=(IncomingMessage&& other) noexcept {
  if (this != &other) {
    abort();
    fd_ = std::exchange(other.fd_, -1);
    queue_id_ = std::move(other.queue_id_);
    incoming_path_ = std::move(other.incoming_path_);
    active_path_ = std::move(other.active_path_);
    data_size_ = std::exchange(other.data_size_, 0);
    pending_ = std::move(other.pending_);
  }
  return *this;
}

IncomingMessage::~IncomingMessage() {
  abort();
}

Status IncomingMessage::write(std::string_view bytes) {
  if (fd_ < 0) return Error{"write to a closed queue file"};
  data_size_ += bytes.size();
  if (pending_.size() + bytes.size() < kCoalesceBytes) {
    pending_.append(bytes);
    return ok_status();
  }
  if (auto flushed = flush_pending(); !flushed) return flushed;
  return write_all(fd_, bytes, incoming_path_);
}

Status IncomingMessage::flush_pending() {
  if (pending_.empty()) return ok_status();
  Status written = write_all(fd_, pending_, incoming_path_);
  pending_.clear();
  return written;
}

void IncomingMessage::abort() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(incoming_path_.c_str());
  fd_ = -1;
}

Result<std::unique_ptr<Spool>> Spool::open(const std::string& directory) {
  bool created = ::access(directory.c_str(), F_OK) != 0;
  if (auto made = make_directory(directory); !made) return made.error();
  for (const char* folder : {"incoming", "active", "deferred", "hold", "corrupt"}) {
    if (auto made = make_directory(directory + "/" + folder); !made) return made.error();
  }
  if (created) {
    if (auto synced = sync_directory(directory); !synced) return synced.error();
  }
  std::unique_ptr<Spool> spool(new Spool(directory));
  std::string active = directory + "/active";
  spool->active_dir_fd_ = ::open(active.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (spool->active_dir_fd_ < 0) return system_error("open", active);
  spool->committer_ = std::thread([raw = spool.get()] { raw->committer_loop(); });
  return spool;
}

Spool::Spool(std::string directory) : directory_(std::move(directory)) {}

Spool::~Spool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (committer_.joinable()) committer_.join();
  if (active_dir_fd_ >= 0) ::close(active_dir_fd_);
}

std::optional<std::uint64_t> Spool::free_space() const {
  struct statvfs info {};
  if (::statvfs(directory_.c_str(), &info) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
}

Result<IncomingMessage> Spool::begin(Envelope& envelope) {
  envelope.queue_id = new_queue_id();
  IncomingMessage message;
  message.queue_id_ = envelope.queue_id;
  message.incoming_path_ = directory_ + "/incoming/" + envelope.queue_id;
  message.active_path_ = directory_ + "/active/" + envelope.queue_id;
  message.fd_ =
      ::open(message.incoming_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (message.fd_ < 0) return system_error("create", message.incoming_path_);
  message.pending_ = encode_envelope(envelope);
  message.pending_.reserve(kCoalesceBytes);
  return message;
}

void Spool::commit(IncomingMessage message, std::function<void(Status)> done) {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(PendingCommit{std::move(message), std::move(done)});
  }
  wake_.notify_one();
}

// Takes every commit queued so far as one batch: each file is flushed and synced and renamed, then
// a single directory fsync makes all the renames durable together.
void Spool::committer_loop() {
  while (true) {
    std::vector<PendingCommit> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty() && stopping_) return;
      batch.swap(pending_);
    }
    std::vector<Status> results;
    results.reserve(batch.size());
    bool any_renamed = false;
    for (PendingCommit& commit : batch) {
      IncomingMessage& message = commit.message;
      Status status = message.flush_pending();
      if (status && ::fdatasync(message.fd_) != 0)
        status = system_error("fdatasync", message.incoming_path_);
      if (status && ::rename(message.incoming_path_.c_str(), message.active_path_.c_str()) != 0) {
        status = system_error("rename", message.incoming_path_);
      }
      if (status) {
        ::close(message.fd_);
        message.fd_ = -1;  // committed: nothing left to abort
        any_renamed = true;
      }
      results.push_back(std::move(status));
    }
    if (any_renamed && ::fsync(active_dir_fd_) != 0) {
      Error failure = system_error("fsync", directory_ + "/active");
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (results[i]) {
          ::unlink(batch[i].message.active_path_.c_str());
          results[i] = failure;
        }
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i].message.abort();  // removes the incoming file of a failed commit
      batch[i].done(std::move(results[i]));
    }
  }
}

}  // namespace tern::queue
