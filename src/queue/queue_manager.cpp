// Delivery scheduling over the spool. Order of durability: a result is appended to ID.results and
// fdatasync'd before the message moves on; the message is unlinked only when every recipient is
// final. Unreadable files go to corrupt/ with a warning: one bad file never stops the queue.
#include "queue/queue_manager.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "queue/queue_id.hpp"
#include "queue/spool_files.hpp"
#include "queue/spool_format.hpp"

namespace tern::queue {
namespace {

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

Status append_durably(const std::string& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{fmt::format("open {}: {}", path, std::strerror(errno))};
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fdatasync(fd) == 0;
  std::string failure = ok ? "" : std::strerror(errno);
  ::close(fd);
  if (!ok) return Error{fmt::format("append {}: {}", path, failure)};
  return ok_status();
}

// A results log whose message is not beside it. A crash between the two unlinks of a finished
// message leaves it with no message anywhere: removed. A crash between the two renames that move a
// message between active/ and deferred/ leaves the message in `other_folder`: the log joins it
// there, since dropping it would deliver its finished recipients a second time.
void remove_orphan_results(const std::string& folder, const std::string& other_folder) {
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return;
  constexpr std::string_view kSuffix = ".results";
  std::vector<std::string> orphans;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;
    std::string message = name.substr(0, name.size() - kSuffix.size());
    if (is_queue_id(message) && ::access((folder + message).c_str(), F_OK) != 0) {
      orphans.push_back(name);
    }
  }
  ::closedir(dir);
  for (const std::string& name : orphans) {
    std::string message = name.substr(0, name.size() - kSuffix.size());
    if (::access((other_folder + message).c_str(), F_OK) == 0 &&
        ::access((other_folder + name).c_str(), F_OK) != 0 &&
        ::rename((folder + name).c_str(), (other_folder + name).c_str()) == 0) {
      continue;
    }
    ::unlink((folder + name).c_str());
  }
}

const char* status_word(RecipientState state) {
  switch (state) {
    case RecipientState::Delivered:
      return "sent";
    case RecipientState::Bounced:
      return "bounced";
    default:
      return "deferred";
  }
}

bool is_final(RecipientState state) {
  return state == RecipientState::Delivered || state == RecipientState::Bounced;
}

}  // namespace

QueueManager::QueueManager(std::string spool_directory, DeliverFunction deliver, int workers,
                           QueueTimes times)
    : directory_(std::move(spool_directory)), deliver_(std::move(deliver)), times_(times) {
  for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this] { worker_loop(); });
  retry_thread_ = std::thread([this] { retry_loop(); });
}

QueueManager::~QueueManager() {
  stop();
}

void QueueManager::submit(const std::string& queue_id) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{queue_id, false});
  }
  wake_.notify_one();
}

void QueueManager::recover() {
  std::string incoming = directory_ + "/incoming/";
  for (const std::string& id : list_queue_ids(incoming)) {
    // Never acknowledged with a 250: not a promise, so not delivered.
    ::unlink((incoming + id).c_str());
    spdlog::info("{}: removed unfinished incoming file", id);
  }
  remove_orphan_results(directory_ + "/active/", directory_ + "/deferred/");
  remove_orphan_results(directory_ + "/deferred/", directory_ + "/active/");
  std::vector<std::string> active = list_queue_ids(directory_ + "/active");
  {
    std::lock_guard lock(mutex_);
    for (const std::string& id : active) jobs_.push_back(Job{id, true});
  }
  if (!active.empty()) spdlog::info("recovered {} messages from the active queue", active.size());
  wake_.notify_all();
  // A deferred message may have been delivered by an attempt whose results were never recorded
  // (see park_unrecorded) before the stop: its first attempt after a start looks for copies too.
  requeue_deferred(/*all=*/false, {}, /*recovered=*/true);
}

void QueueManager::flush(const std::string& destination) {
  {
    std::lock_guard lock(mutex_);
    if (destination.empty()) {
      flush_requested_ = true;
    } else {
      flush_destinations_.insert(destination);
    }
  }
  retry_wake_.notify_all();
}

Status QueueManager::control(const ControlCommand& command) {
  if (command.verb == QueueVerb::Flush) {
    flush(command.domain);
    return ok_status();
  }
  const std::string& id = command.queue_id;
  std::unique_lock lock(mutex_);
  if (in_progress_.contains(id)) {
    return Error{fmt::format("{}: being delivered right now; try again in a moment", id)};
  }
  auto queued =
      std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& job) { return job.queue_id == id; });
  bool was_queued = queued != jobs_.end();
  Status done = ok_status();
  switch (command.verb) {
    case QueueVerb::Delete:
      done = delete_message(directory_, id);
      break;
    case QueueVerb::Hold:
      done = hold_message(directory_, id);
      break;
    case QueueVerb::Release:
      done = release_message(directory_, id);
      break;
    case QueueVerb::Requeue:
      done = requeue_message(directory_, id);
      break;
    case QueueVerb::Flush:
      break;
  }
  if (!done) return done;
  bool leaves_active = command.verb == QueueVerb::Delete || command.verb == QueueVerb::Hold;
  if (leaves_active && was_queued) jobs_.erase(queued);
  if (!leaves_active && !was_queued) jobs_.push_back(Job{id, unrecorded_.erase(id) > 0});
  lock.unlock();
  if (!leaves_active) wake_.notify_one();
  static constexpr const char* kWords[] = {"flushed", "removed", "placed on hold",
                                           "released from hold", "requeued"};
  spdlog::info("{}: {} by the queue tool", id, kWords[static_cast<int>(command.verb)]);
  return ok_status();
}

void QueueManager::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  retry_wake_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
  if (retry_thread_.joinable()) retry_thread_.join();
}

std::size_t QueueManager::pending() const {
  std::lock_guard lock(mutex_);
  return jobs_.size() + in_progress_.size();
}

void QueueManager::worker_loop() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;  // what is left stays in active/ and is recovered at the next start
      job = std::move(jobs_.front());
      jobs_.pop_front();
      in_progress_.insert(job.queue_id);
    }
    process(job);
    std::lock_guard lock(mutex_);
    in_progress_.erase(job.queue_id);
  }
}

void QueueManager::process(const Job& job) {
  std::string path = directory_ + "/active/" + job.queue_id;
  std::string results_path = path + ".results";
  auto move_to_corrupt = [&](const std::string& why) {
    spdlog::warn("{}: {}: moved to corrupt/", job.queue_id, why);
    ::rename(path.c_str(), (directory_ + "/corrupt/" + job.queue_id).c_str());
    ::rename(results_path.c_str(), (directory_ + "/corrupt/" + job.queue_id + ".results").c_str());
  };
  auto header = read_header(path);
  if (!header) {
    if (::access(path.c_str(), F_OK) != 0) return;  // already finished or moved
    move_to_corrupt(header.error().message);
    return;
  }
  Envelope& envelope = header->envelope;
  if (auto log = read_prefix(results_path, 16u << 20); log) {
    // A damaged log no longer says who has the message: delivering again could duplicate it,
    // dropping it could lose it. Postfix's answer for a damaged queue file: set it aside.
    if (auto applied = apply_results(*log, envelope); !applied) {
      move_to_corrupt(applied.error().message);
      return;
    }
  }
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
    if (!is_final(envelope.recipients[i].state)) pending.push_back(i);
  }
  if (!pending.empty()) {
    DeliveryJob delivery{envelope, path, header->data_offset, pending, job.recovered};
    std::vector<RecipientResult> results = deliver_(delivery);
    std::string log;
    std::int64_t now = now_seconds();
    for (const RecipientResult& result : results) {
      if (result.index >= envelope.recipients.size()) continue;
      log += encode_result(result.index, result.state, now, result.text, result.dsn,
                           result.diagnostic, result.remote_mta);
      if (result.state == RecipientState::Delivered && result.handoff != Handoff::Mailbox) {
        log += encode_handoff(result.index, result.handoff);
      }
      Recipient& recipient = envelope.recipients[result.index];
      recipient.handoff = result.handoff;
      recipient.state = result.state;
      recipient.status_text = result.text;
      recipient.dsn_status = result.dsn;
      recipient.diagnostic = result.diagnostic;
      recipient.remote_mta = result.remote_mta;
      recipient.last_attempt = now;
    }
    if (auto appended = append_durably(results_path, log); !appended) {
      // Not recorded (the spool's disk is full, say): act on nothing, but do not strand the
      // message in active/ either. It waits in deferred/ for the next queue run, and that attempt
      // looks for the copies this one may have delivered, so nobody gets the message twice.
      spdlog::warn("{}: cannot record delivery results: {}; retrying at the next queue run",
                   job.queue_id, appended.error().message);
      park_unrecorded(job.queue_id);
      return;
    }
    double delay = static_cast<double>(now - envelope.arrival_time);
    for (const RecipientResult& result : results) {
      if (result.index >= envelope.recipients.size()) continue;
      const Recipient& recipient = envelope.recipients[result.index];
      std::string orig = recipient.orcpt_address.empty()
                             ? ""
                             : fmt::format(", orig_to=<{}>", recipient.orcpt_address);
      spdlog::info("{}: to=<{}>{}, relay={}, delay={:.2f}, dsn={}, status={} ({})", job.queue_id,
                   recipient.address, orig, result.relay, delay, result.dsn,
                   status_word(result.state), result.text);
    }
  }
  if (auto expired = expire_recipients(envelope, results_path); !expired) {
    spdlog::warn("{}: cannot record expiry: {}", job.queue_id, expired.error().message);
  }
  bool all_told = notify_sender(envelope, path, header->data_offset);
  bool all_final = all_told && std::all_of(envelope.recipients.begin(), envelope.recipients.end(),
                                           [](const Recipient& r) { return is_final(r.state); });
  if (all_final) {
    ::unlink(path.c_str());
    ::unlink(results_path.c_str());
    spdlog::info("{}: removed", job.queue_id);
    return;
  }
  int attempts = envelope.attempts + 1;
  std::int64_t backoff = std::min<std::int64_t>(
      times_.maximal_backoff_seconds, static_cast<std::int64_t>(times_.minimal_backoff_seconds)
                                          << std::min(attempts - 1, 16));
  if (auto appended =
          append_durably(results_path, encode_schedule(attempts, now_seconds() + backoff));
      !appended) {
    spdlog::warn("{}: cannot record retry schedule: {}", job.queue_id, appended.error().message);
  }
  // Results file first: a message found in deferred/ always has its results beside it.
  std::string deferred = directory_ + "/deferred/" + job.queue_id;
  ::rename(results_path.c_str(), (deferred + ".results").c_str());
  ::rename(path.c_str(), deferred.c_str());
}

// Moves a message whose delivery results could not be recorded to deferred/ (renames need no free
// space on the file systems a spool lives on) and remembers that its next attempt must check for
// earlier copies. Without a new schedule line its last one is due, so the next queue run takes it.
void QueueManager::park_unrecorded(const std::string& queue_id) {
  std::string active = directory_ + "/active/" + queue_id;
  std::string deferred = directory_ + "/deferred/" + queue_id;
  std::lock_guard lock(mutex_);
  unrecorded_.insert(queue_id);
  // Results file first: a message found in deferred/ always has its results beside it.
  ::rename((active + ".results").c_str(), (deferred + ".results").c_str());
  if (::rename(active.c_str(), deferred.c_str()) != 0) {
    spdlog::warn("{}: cannot move to deferred/: {}; retrying at the next start", queue_id,
                 std::strerror(errno));
  }
}

// Recipients still deferred past the queue lifetime become bounced ("expired"), recorded before the
// sender is told.
Status QueueManager::expire_recipients(Envelope& envelope, const std::string& results_path) {
  int lifetime = envelope.sender.empty() ? times_.bounce_queue_lifetime_seconds
                                         : times_.maximal_queue_lifetime_seconds;
  std::int64_t now = now_seconds();
  if (now - envelope.arrival_time < lifetime) return ok_status();
  std::string log;
  for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
    Recipient& recipient = envelope.recipients[i];
    if (is_final(recipient.state)) continue;
    std::string text = fmt::format(
        "message expired after {} days in the queue{}{}", (now - envelope.arrival_time) / 86400,
        recipient.status_text.empty() ? "" : ": ", recipient.status_text);
    std::string status = recipient.dsn_status.empty() ? "4.4.7" : recipient.dsn_status;
    log += encode_result(i, RecipientState::Bounced, now, text, status);
    recipient.state = RecipientState::Bounced;
    recipient.status_text = text;
    recipient.dsn_status = status;
    spdlog::info("{}: to=<{}>, status=expired, returned to sender", envelope.queue_id,
                 recipient.address);
  }
  if (log.empty()) return ok_status();
  return append_durably(results_path, log);
}

// Queues the notifications the sender is owed and records them, so neither a crash nor a retry
// sends one twice. False while some notification could not be queued: the message then stays.
bool QueueManager::notify_sender(Envelope& envelope, const std::string& path,
                                 std::uint64_t data_offset) {
  if (!notify_) return true;
  std::vector<std::size_t> silenced;
  DelayWarningPolicy delay{now_seconds(), times_.delay_warning_seconds,
                           envelope.sender.empty() ? times_.bounce_queue_lifetime_seconds
                                                   : times_.maximal_queue_lifetime_seconds};
  std::vector<Notification> owed = pending_notifications(envelope, &silenced, delay);
  std::string log;
  for (std::size_t index : silenced) log += encode_notified(index);
  bool all_told = true;
  for (const Notification& notice : owed) {
    Status queued = notify_(envelope, notice, path, data_offset);
    if (!queued) {
      spdlog::warn("{}: cannot queue a delivery status notification: {}", envelope.queue_id,
                   queued.error().message);
      all_told = false;
      continue;
    }
    // A delay warning is not the last word: the bounce or success notice may still follow.
    bool warning = notice.kind == Notification::Kind::Delay;
    for (std::size_t index : notice.recipients) {
      log += warning ? encode_warned(index) : encode_notified(index);
    }
  }
  if (log.empty()) return all_told;
  if (auto appended = append_durably(path + ".results", log); !appended) {
    spdlog::warn("{}: cannot record notifications: {}", envelope.queue_id,
                 appended.error().message);
    return false;
  }
  return all_told;
}

bool QueueManager::waits_for(const std::string& path,
                             const std::set<std::string>& destinations) const {
  auto header = read_header(path);
  if (!header) return false;
  Envelope& envelope = header->envelope;
  if (auto log = read_prefix(path + ".results", 16u << 20); log) {
    (void)apply_results(*log, envelope);
  }
  return std::any_of(
      envelope.recipients.begin(), envelope.recipients.end(), [&](const Recipient& recipient) {
        return !is_final(recipient.state) &&
               std::any_of(destinations.begin(), destinations.end(), [&](const std::string& d) {
                 return in_flush_destination(recipient.address, d);
               });
      });
}

// Moves deferred messages back to active/ and queues them. `recovered` marks every one as possibly
// delivered already; those parked by park_unrecorded are marked anyway.
void QueueManager::requeue_deferred(bool all, const std::set<std::string>& destinations,
                                    bool recovered) {
  std::string deferred = directory_ + "/deferred/";
  std::string active = directory_ + "/active/";
  std::int64_t now = now_seconds();
  std::vector<std::string> due;
  for (const std::string& id : list_queue_ids(deferred)) {
    if (!all) {
      auto log = read_prefix(deferred + id + ".results", 16u << 20);
      std::int64_t next = log ? next_attempt_time(*log) : 0;
      if (next > now && (destinations.empty() || !waits_for(deferred + id, destinations))) {
        continue;
      }
    }
    // Under the queue lock, so a `tern queue` change to the same message (control()) never lands
    // between the two renames.
    std::lock_guard lock(mutex_);
    if (::access((deferred + id).c_str(), F_OK) != 0) continue;  // held or deleted meanwhile
    ::rename((deferred + id + ".results").c_str(), (active + id + ".results").c_str());
    if (::rename((deferred + id).c_str(), (active + id).c_str()) == 0) {
      bool parked = unrecorded_.erase(id) > 0;
      jobs_.push_back(Job{id, recovered || parked});
      due.push_back(id);
    }
  }
  if (!due.empty()) wake_.notify_all();
}

void QueueManager::retry_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    retry_wake_.wait_for(lock, std::chrono::seconds(times_.queue_run_delay_seconds), [this] {
      return stopping_ || flush_requested_ || !flush_destinations_.empty();
    });
    if (stopping_) break;
    bool all = std::exchange(flush_requested_, false);
    std::set<std::string> destinations = std::exchange(flush_destinations_, {});
    lock.unlock();
    requeue_deferred(all, destinations);
    lock.lock();
  }
}

}  // namespace tern::queue
