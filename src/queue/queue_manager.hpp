// The queue manager: delivers committed messages with a pluggable delivery function, records every
// per-recipient result durably before acting on it, retries deferred recipients with exponential
// backoff, and at start recovers whatever a crash or stop left in the spool. Postfix qmgr's job, in
// threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "queue/envelope.hpp"
#include "queue/notifications.hpp"
#include "queue/queue_operations.hpp"

namespace tern::queue {

struct RecipientResult {
  std::size_t index = 0;  // into Envelope::recipients
  RecipientState state = RecipientState::Deferred;
  std::string dsn;   // "2.0.0", "4.4.1", "5.1.1"
  std::string text;  // "delivered to maildir", a deferral or bounce reason
  std::string relay = "local";
  Handoff handoff = Handoff::Mailbox;  // for a delivered recipient
  // For the DSN of a remote reply (RFC 3464 §2.3.5, §2.3.6): "smtp; 550 5.1.1 ..." and
  // "dns; mx.example.org"; empty for this side's own decisions.
  std::string diagnostic{};
  std::string remote_mta{};
};

// Delivers the pending recipients of one message whose bytes start at data_offset in the spool
// file. `recovered` is true when the message may have been partly delivered before a crash.
struct DeliveryJob {
  const Envelope& envelope;
  const std::string& spool_file;
  std::uint64_t data_offset;
  const std::vector<std::size_t>& pending;
  bool recovered;
};
using DeliverFunction = std::function<std::vector<RecipientResult>(const DeliveryJob&)>;
// Queues a delivery status notification (a bounce or success notice) about some recipients of the
// message in `spool_file`. An error leaves the recipients unreported; the next run tries again.
using NotifyFunction =
    std::function<Status(const Envelope& envelope, const Notification& notice,
                         const std::string& spool_file, std::uint64_t data_offset)>;

struct QueueTimes {
  int minimal_backoff_seconds = 300;
  int maximal_backoff_seconds = 4000;
  int queue_run_delay_seconds = 300;
  // A recipient still deferred this long after arrival is returned to the sender (Postfix
  // maximal_queue_lifetime; bounce_queue_lifetime for mail from <>).
  int maximal_queue_lifetime_seconds = 5 * 86400;
  int bounce_queue_lifetime_seconds = 5 * 86400;
  // Postfix delay_warning_time: a sender whose mail is still deferred this long after arrival is
  // told once; 0 never.
  int delay_warning_seconds = 0;
};

class QueueManager {
 public:
  QueueManager(std::string spool_directory, DeliverFunction deliver, int workers = 2,
               QueueTimes times = {});
  ~QueueManager();

  void submit(const std::string& queue_id);  // a freshly committed message in active/
  void recover();                            // at start: active/ and due deferred/ messages
  // ETRN / queue flush: retry deferred messages now; with a destination (see
  // ControlCommand::domain) only those with a recipient still waiting there.
  void flush(const std::string& destination = "");
  void stop();  // finish the message in hand, then stop the threads
  // `tern queue` through ternd's control socket: delete, hold, release or requeue one message, or
  // flush. A message being delivered at this moment is refused (try again); others are changed
  // under the queue lock, so no worker picks them up halfway.
  Status control(const ControlCommand& command);
  // Without a notifier nobody is told about bounces (tests of delivery alone). Set before
  // recover().
  void set_notifier(NotifyFunction notify) { notify_ = std::move(notify); }
  std::size_t pending() const;

 private:
  struct Job {
    std::string queue_id;
    bool recovered = false;
  };
  void worker_loop();
  void retry_loop();
  void process(const Job& job);
  // Moves deferred messages back to active/: every one, or those due, or those with a recipient
  // waiting in one of `destinations`.
  void requeue_deferred(bool all, const std::set<std::string>& destinations,
                        bool recovered = false);
  bool waits_for(const std::string& path, const std::set<std::string>& destinations) const;
  void park_unrecorded(const std::string& queue_id);
  bool notify_sender(Envelope& envelope, const std::string& path, std::uint64_t data_offset);
  Status expire_recipients(Envelope& envelope, const std::string& results_path);

  std::string directory_;
  DeliverFunction deliver_;
  NotifyFunction notify_;
  QueueTimes times_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable retry_wake_;
  std::deque<Job> jobs_;
  std::set<std::string> in_progress_;
  // Parked in deferred/ after an attempt whose results could not be recorded.
  std::set<std::string> unrecorded_;
  bool stopping_ = false;
  bool flush_requested_ = false;
  std::set<std::string> flush_destinations_;
  std::vector<std::thread> workers_;
  std::thread retry_thread_;
};

}  // namespace tern::queue
