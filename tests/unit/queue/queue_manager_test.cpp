// The queue manager with a recording delivery function: delivery and removal, log lines, crash
// recovery from active/ and its results log, corrupt files, deferral with a schedule, flush, stop,
// and the queue tool's changes through control().
#include "queue/queue_manager.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "queue/queue_id.hpp"
#include "queue/spool_format.hpp"

namespace tern::queue {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A recipient with only its address set.
Recipient recipient(std::string address) {
  Recipient recipient;
  recipient.address = std::move(address);
  return recipient;
}

// What the delivery function saw in one call.
struct Call {
  std::string queue_id;
  std::vector<std::size_t> pending;
  bool recovered = false;
  std::string data;  // the message bytes from data_offset on
};

// Records calls; `decide` chooses each pending recipient's state (Delivered by default).
class Recorder {
 public:
  std::function<RecipientState(const Envelope&, std::size_t)> decide =
      [](const Envelope&, std::size_t) { return RecipientState::Delivered; };

  DeliverFunction function() {
    return [this](const DeliveryJob& job) {
      Call call{job.envelope.queue_id, job.pending, job.recovered, {}};
      std::ifstream in(job.spool_file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      call.data = text.str().substr(job.data_offset);
      std::vector<RecipientResult> results;
      for (std::size_t index : job.pending) {
        RecipientState state = decide(job.envelope, index);
        results.push_back(RecipientResult{
            index, state, state == RecipientState::Delivered ? "2.0.0" : "4.2.0",
            state == RecipientState::Delivered ? "delivered to test" : "try again later"});
      }
      std::lock_guard lock(mutex_);
      calls_.push_back(std::move(call));
      return results;
    };
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Call> calls_;
};

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

// No automatic retry during a test: only flush() requeues deferred messages.
constexpr QueueTimes kNoAutomaticRetry{300, 4000, 3600};

class QueueManagerTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-qmgr-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
    for (const char* folder : {"incoming", "active", "deferred", "hold", "corrupt"}) {
      fs::create_directory(directory_ + "/" + folder);
    }
    previous_logger_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    sink->set_pattern("%v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("qmgr-test", sink));
  }
  void TearDown() override {
    spdlog::set_default_logger(previous_logger_);
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  std::string log() {
    spdlog::default_logger()->flush();
    return log_.str();
  }

  // Writes a committed message straight into `folder` as the spool would have.
  std::string write_message(const std::string& folder, std::vector<std::string> recipients,
                            const std::string& data) {
    Envelope envelope;
    envelope.queue_id = new_queue_id();
    envelope.sender = "alice@example.org";
    for (const std::string& address : recipients) envelope.recipients.push_back(recipient(address));
    envelope.arrival_time = std::time(nullptr);
    std::ofstream(directory_ + "/" + folder + "/" + envelope.queue_id, std::ios::binary)
        << encode_envelope(envelope) << data;
    return envelope.queue_id;
  }

  bool exists(const std::string& relative) const { return fs::exists(directory_ + "/" + relative); }
  std::string read(const std::string& relative) const {
    std::ifstream in(directory_ + "/" + relative, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string directory_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> previous_logger_;
};

TEST_F(QueueManagerTest, SubmittedMessageIsDeliveredAndRemoved) {
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 2, kNoAutomaticRetry);
  std::string id = write_message("active", {"bob@example.org", "carol@example.org"}, "Hi\r\n");
  manager.submit(id);
  ASSERT_TRUE(wait_until([&] { return !exists("active/" + id) && manager.pending() == 0; }));
  EXPECT_FALSE(exists("active/" + id + ".results"));
  EXPECT_FALSE(exists("deferred/" + id));
  auto calls = recorder.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].queue_id, id);
  EXPECT_EQ(calls[0].pending, (std::vector<std::size_t>{0, 1}));
  EXPECT_FALSE(calls[0].recovered);
  EXPECT_EQ(calls[0].data, "Hi\r\n");
  std::string lines = log();
  EXPECT_NE(lines.find(id + ": to=<bob@example.org>, relay=local, delay="), std::string::npos)
      << lines;
  EXPECT_NE(lines.find("dsn=2.0.0, status=sent (delivered to test)"), std::string::npos) << lines;
  EXPECT_NE(lines.find(id + ": to=<carol@example.org>"), std::string::npos) << lines;
  EXPECT_NE(lines.find(id + ": removed"), std::string::npos) << lines;
}

TEST_F(QueueManagerTest, RecoverRedeliversOnlyRecipientsWithoutAFinalResult) {
  std::string id = write_message("active", {"bob@example.org", "carol@example.org"}, "body");
  std::ofstream(directory_ + "/active/" + id + ".results")
      << encode_result(0, RecipientState::Delivered, 1700000000, "delivered to maildir");
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 2, kNoAutomaticRetry);
  manager.recover();
  ASSERT_TRUE(wait_until([&] { return !exists("active/" + id) && manager.pending() == 0; }));
  auto calls = recorder.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].pending, std::vector<std::size_t>{1});
  EXPECT_TRUE(calls[0].recovered);
  EXPECT_FALSE(exists("active/" + id + ".results"));
  std::string lines = log();
  EXPECT_EQ(lines.find("to=<bob@example.org>"), std::string::npos) << lines;
  EXPECT_NE(lines.find("to=<carol@example.org>"), std::string::npos) << lines;
}

TEST_F(QueueManagerTest, RecoverIgnoresATornResultsLine) {
  std::string id = write_message("active", {"bob@example.org", "carol@example.org"}, "body");
  std::string torn = encode_result(1, RecipientState::Delivered, 1700000000, "ok");
  torn.pop_back();
  std::ofstream(directory_ + "/active/" + id + ".results")
      << encode_result(0, RecipientState::Bounced, 1700000000, "unknown user") << torn;
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 1, kNoAutomaticRetry);
  manager.recover();
  ASSERT_TRUE(wait_until([&] { return !exists("active/" + id) && manager.pending() == 0; }));
  auto calls = recorder.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].pending, std::vector<std::size_t>{1});
}

TEST_F(QueueManagerTest, RecoverRemovesIncomingFilesAndOrphanResults) {
  std::string unfinished = new_queue_id();
  std::ofstream(directory_ + "/incoming/" + unfinished) << "half a message";
  std::ofstream(directory_ + "/incoming/not-a-queue-id") << "foreign";
  std::string gone = new_queue_id();
  std::ofstream(directory_ + "/active/" + gone + ".results")
      << encode_result(0, RecipientState::Delivered, 1, "ok");
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 1, kNoAutomaticRetry);
  manager.recover();
  EXPECT_FALSE(exists("incoming/" + unfinished));
  EXPECT_TRUE(exists("incoming/not-a-queue-id"));  // not ours: left alone
  EXPECT_FALSE(exists("active/" + gone + ".results"));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(recorder.count(), 0u);
  EXPECT_NE(log().find(unfinished + ": removed unfinished incoming file"), std::string::npos);
}

TEST_F(QueueManagerTest, CorruptFileMovesToCorruptAndOthersStillGo) {
  std::string first = write_message("active", {"bob@example.org"}, "one");
  std::string corrupt = new_queue_id();
  std::ofstream(directory_ + "/active/" + corrupt) << "this is not a spool file\n";
  std::string last = write_message("active", {"carol@example.org"}, "two");
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 1, kNoAutomaticRetry);
  manager.recover();
  ASSERT_TRUE(wait_until([&] {
    return manager.pending() == 0 && !exists("active/" + first) && !exists("active/" + last);
  }));
  EXPECT_FALSE(exists("active/" + corrupt));
  EXPECT_TRUE(exists("corrupt/" + corrupt));
  EXPECT_EQ(read("corrupt/" + corrupt), "this is not a spool file\n");
  EXPECT_EQ(recorder.count(), 2u);
  std::string lines = log();
  EXPECT_NE(lines.find(corrupt + ": not a tern spool file: moved to corrupt/"), std::string::npos)
      << lines;
}

// Found by fuzz/spool_format: a results log damaged before its last line no longer says who has
// the message, so the message and its log are set aside rather than delivered again.
TEST_F(QueueManagerTest, DamagedResultsLogMovesMessageToCorrupt) {
  std::string id = write_message("active", {"bob@example.org", "carol@example.org"}, "body");
  std::string damaged = encode_result(0, RecipientState::Delivered, 1700000000, "delivered") +
                        "garbage in the middle\n" +
                        encode_result(1, RecipientState::Delivered, 1700000001, "delivered");
  std::ofstream(directory_ + "/active/" + id + ".results") << damaged;
  std::string good = write_message("active", {"dave@example.org"}, "two");
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 1, kNoAutomaticRetry);
  manager.recover();
  ASSERT_TRUE(wait_until([&] { return manager.pending() == 0 && !exists("active/" + good); }));
  EXPECT_FALSE(exists("active/" + id));
  EXPECT_TRUE(exists("corrupt/" + id));
  EXPECT_EQ(read("corrupt/" + id + ".results"), damaged);
  EXPECT_EQ(recorder.count(), 1u);  // only the good message was delivered
  EXPECT_NE(log().find(id + ": bad results record: garbage in the middle: moved to corrupt/"),
            std::string::npos)
      << log();
}

TEST_F(QueueManagerTest, DeferredResultMovesMessageAndResultsToDeferred) {
  Recorder recorder;
  recorder.decide = [](const Envelope& envelope, std::size_t index) {
    return envelope.recipients[index].address == "slow@example.org" ? RecipientState::Deferred
                                                                    : RecipientState::Delivered;
  };
  QueueManager manager(directory_, recorder.function(), 2, kNoAutomaticRetry);
  std::string id = write_message("active", {"bob@example.org", "slow@example.org"}, "body");
  std::int64_t before = std::time(nullptr);
  manager.submit(id);
  ASSERT_TRUE(wait_until([&] { return exists("deferred/" + id) && manager.pending() == 0; }));
  EXPECT_FALSE(exists("active/" + id));
  EXPECT_FALSE(exists("active/" + id + ".results"));
  ASSERT_TRUE(exists("deferred/" + id + ".results"));
  Envelope envelope;
  envelope.recipients = {recipient("bob@example.org"), recipient("slow@example.org")};
  ASSERT_TRUE(apply_results(read("deferred/" + id + ".results"), envelope));
  EXPECT_EQ(envelope.recipients[0].state, RecipientState::Delivered);
  EXPECT_EQ(envelope.recipients[1].state, RecipientState::Deferred);
  EXPECT_EQ(envelope.recipients[1].status_text, "try again later");
  EXPECT_EQ(envelope.attempts, 1);
  // First retry after minimal_backoff_seconds.
  EXPECT_GE(envelope.next_attempt_time, before + 300);
  EXPECT_LE(envelope.next_attempt_time, std::time(nullptr) + 300);
  EXPECT_NE(log().find("dsn=4.2.0, status=deferred (try again later)"), std::string::npos);
  // Not due: a recover() at start leaves it where it is.
  manager.recover();
  std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(exists("deferred/" + id));
  EXPECT_EQ(recorder.count(), 1u);
}

// Results that cannot be recorded (a full spool disk) must not strand the message in active/:
// it waits in deferred/, and its retry is flagged as possibly delivered already, so the local
// agent looks for the copy the unrecorded attempt made instead of delivering a second one.
TEST_F(QueueManagerTest, UnrecordedResultsParkTheMessageForARetryThatLooksForCopies) {
  std::string id;
  std::atomic<bool> first{true};
  Recorder recorder;
  recorder.decide = [&](const Envelope&, std::size_t) {
    // A directory where the results log goes: appending to it fails, as on a full disk.
    if (first.exchange(false)) fs::create_directory(directory_ + "/active/" + id + ".results");
    return RecipientState::Delivered;
  };
  QueueManager manager(directory_, recorder.function(), 2, kNoAutomaticRetry);
  id = write_message("active", {"bob@example.org"}, "body");
  manager.submit(id);
  ASSERT_TRUE(wait_until([&] { return exists("deferred/" + id) && manager.pending() == 0; }));
  EXPECT_FALSE(exists("active/" + id));
  EXPECT_NE(log().find(id + ": cannot record delivery results"), std::string::npos) << log();
  fs::remove(directory_ + "/deferred/" + id + ".results");  // space returns
  manager.flush();
  ASSERT_TRUE(wait_until([&] {
    return recorder.count() == 2 && manager.pending() == 0 && !exists("active/" + id) &&
           !exists("deferred/" + id);
  }));
  auto calls = recorder.calls();
  EXPECT_FALSE(calls[0].recovered);
  EXPECT_TRUE(calls[1].recovered);
  EXPECT_NE(log().find(id + ": removed"), std::string::npos);
}

TEST_F(QueueManagerTest, FlushRetriesDeferredMessagesNow) {
  std::atomic<bool> accept{false};
  Recorder recorder;
  recorder.decide = [&accept](const Envelope& envelope, std::size_t index) {
    if (envelope.recipients[index].address != "slow@example.org") return RecipientState::Delivered;
    return accept ? RecipientState::Delivered : RecipientState::Deferred;
  };
  QueueManager manager(directory_, recorder.function(), 2, kNoAutomaticRetry);
  std::string id = write_message("active", {"bob@example.org", "slow@example.org"}, "body");
  manager.submit(id);
  ASSERT_TRUE(wait_until([&] { return exists("deferred/" + id) && manager.pending() == 0; }));
  accept = true;
  auto flushed_at = std::chrono::steady_clock::now();
  manager.flush();
  ASSERT_TRUE(wait_until([&] { return recorder.count() == 2 && manager.pending() == 0; }));
  EXPECT_LT(std::chrono::steady_clock::now() - flushed_at, 2s);
  ASSERT_TRUE(wait_until([&] { return !exists("active/" + id) && !exists("deferred/" + id); }));
  EXPECT_FALSE(exists("active/" + id + ".results"));
  EXPECT_FALSE(exists("deferred/" + id + ".results"));
  auto calls = recorder.calls();
  EXPECT_EQ(calls[1].pending, std::vector<std::size_t>{1});  // bob is not delivered twice
  EXPECT_EQ(calls[1].data, "body");
}

TEST_F(QueueManagerTest, FlushOfADestinationRetriesOnlyMailWaitingForIt) {
  Recorder recorder;
  recorder.decide = [](const Envelope&, std::size_t) { return RecipientState::Deferred; };
  QueueManager manager(directory_, recorder.function(), 2, kNoAutomaticRetry);
  std::string for_sub = write_message("active", {"a@mx.example.net"}, "one");
  std::string for_other = write_message("active", {"b@example.com"}, "two");
  manager.submit(for_sub);
  manager.submit(for_other);
  ASSERT_TRUE(wait_until([&] {
    return exists("deferred/" + for_sub) && exists("deferred/" + for_other) &&
           manager.pending() == 0;
  }));
  manager.flush("example.net");  // the exact domain only: mx.example.net is not it
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(recorder.count(), 2u);
  manager.flush("@example.net");  // the domain and its subdomains
  ASSERT_TRUE(wait_until([&] { return recorder.count() == 3 && manager.pending() == 0; }));
  std::this_thread::sleep_for(50ms);
  auto calls = recorder.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].data, "one");
  EXPECT_TRUE(exists("deferred/" + for_other));
}

TEST_F(QueueManagerTest, DueDeferredMessagesAreRetriedByTheQueueRun) {
  std::atomic<bool> accept{false};
  Recorder recorder;
  recorder.decide = [&accept](const Envelope&, std::size_t) {
    return accept ? RecipientState::Delivered : RecipientState::Deferred;
  };
  QueueManager manager(directory_, recorder.function(), 1, QueueTimes{1, 1, 1});
  std::string id = write_message("active", {"bob@example.org"}, "body");
  manager.submit(id);
  ASSERT_TRUE(wait_until([&] { return exists("deferred/" + id) && manager.pending() == 0; }));
  accept = true;
  ASSERT_TRUE(wait_until([&] { return !exists("deferred/" + id) && !exists("active/" + id); }, 5s));
  EXPECT_EQ(recorder.count(), 2u);
}

// A crash between the two renames that move a deferred message leaves its results log in one
// folder and the message in the other: recovery must keep them together, not drop the log.
TEST_F(QueueManagerTest, RecoverKeepsResultsSplitFromTheirMessageByACrash) {
  std::string moving_out = write_message("active", {"bob@example.org", "carol@example.org"}, "a");
  std::ofstream(directory_ + "/deferred/" + moving_out + ".results")
      << encode_result(0, RecipientState::Delivered, 1, "ok")
      << encode_result(1, RecipientState::Deferred, 1, "busy") << encode_schedule(1, 1);
  std::string moving_in = write_message("deferred", {"dave@example.org", "erin@example.org"}, "b");
  std::ofstream(directory_ + "/active/" + moving_in + ".results")
      << encode_result(0, RecipientState::Delivered, 1, "ok")
      << encode_result(1, RecipientState::Deferred, 1, "busy") << encode_schedule(1, 1);
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 1, kNoAutomaticRetry);
  manager.recover();  // both are due (schedule time 1): both are delivered now
  ASSERT_TRUE(wait_until([&] { return recorder.count() == 2 && manager.pending() == 0; }));
  for (const Call& call : recorder.calls()) {
    EXPECT_EQ(call.pending, std::vector<std::size_t>{1}) << call.queue_id;
  }
}

TEST_F(QueueManagerTest, StopJoinsPromptly) {
  Recorder recorder;
  auto manager = std::make_unique<QueueManager>(directory_, recorder.function(), 4,
                                                QueueTimes{300, 4000, 3600});
  std::string id = write_message("active", {"bob@example.org"}, "body");
  manager->submit(id);
  ASSERT_TRUE(wait_until([&] { return !exists("active/" + id); }));
  auto start = std::chrono::steady_clock::now();
  manager->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  manager->stop();  // twice is harmless
  manager.reset();
}

TEST_F(QueueManagerTest, StopFinishesTheMessageInHandAndLeavesTheRest) {
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  auto slow = [&](const DeliveryJob& job) {
    ++started;
    while (!release) std::this_thread::sleep_for(1ms);
    std::vector<RecipientResult> results;
    for (std::size_t index : job.pending) {
      results.push_back({index, RecipientState::Delivered, "2.0.0", "ok", "local"});
    }
    return results;
  };
  QueueManager manager(directory_, slow, 1, kNoAutomaticRetry);
  std::string first = write_message("active", {"bob@example.org"}, "1");
  std::string second = write_message("active", {"bob@example.org"}, "2");
  manager.submit(first);
  manager.submit(second);
  ASSERT_TRUE(wait_until([&] { return started == 1; }));
  std::thread stopper([&] { manager.stop(); });
  std::this_thread::sleep_for(20ms);
  release = true;
  stopper.join();
  EXPECT_EQ(started.load(), 1);
  EXPECT_FALSE(exists("active/" + first));  // finished
  EXPECT_TRUE(exists("active/" + second));  // left for recovery at the next start
}

// ---- control(): the queue tool's changes through ternd ----

// A delivery function that delivers everything and records the ids it saw, but holds the message
// `blocked_id` in hand until the test opens the gate: a message "being delivered right now", and a
// single worker kept busy so that later submissions wait in the work list.
class GatedDelivery {
 public:
  explicit GatedDelivery(std::string blocked_id)
      : blocked_id_(std::move(blocked_id)), gate_(opened_.get_future().share()) {}
  ~GatedDelivery() { open(); }

  DeliverFunction function() {
    return [this](const DeliveryJob& job) {
      {
        std::lock_guard lock(mutex_);
        delivered_.push_back(job.envelope.queue_id);
      }
      if (job.envelope.queue_id == blocked_id_) {
        started_ = true;
        gate_.wait_for(5s);  // bounded: a failed test must not hang in ~QueueManager
      }
      std::vector<RecipientResult> results;
      for (std::size_t index : job.pending) {
        results.push_back({index, RecipientState::Delivered, "2.0.0", "delivered to test"});
      }
      return results;
    };
  }
  void open() {
    std::lock_guard lock(mutex_);
    if (!is_open_) opened_.set_value();
    is_open_ = true;
  }
  bool started() const { return started_; }
  std::vector<std::string> delivered() const {
    std::lock_guard lock(mutex_);
    return delivered_;
  }
  std::size_t times_delivered(const std::string& id) const {
    auto all = delivered();
    return static_cast<std::size_t>(std::count(all.begin(), all.end(), id));
  }

 private:
  std::string blocked_id_;
  std::promise<void> opened_;
  std::shared_future<void> gate_;
  std::atomic<bool> started_{false};
  bool is_open_ = false;
  mutable std::mutex mutex_;
  std::vector<std::string> delivered_;
};

class QueueManagerControlTest : public QueueManagerTest {
 protected:
  // One worker busy with `blocker` (delivery started, not finished) and `waiting` in the work list.
  void start_with_a_busy_worker(QueueManager& manager, GatedDelivery& delivery,
                                const std::string& blocker, const std::string& waiting) {
    manager.submit(blocker);
    ASSERT_TRUE(wait_until([&] { return delivery.started(); }));
    manager.submit(waiting);
    ASSERT_EQ(manager.pending(), 2u);
  }
  // Lets the blocked delivery finish and waits until the queue manager is idle.
  static void finish(QueueManager& manager, GatedDelivery& delivery) {
    delivery.open();
    ASSERT_TRUE(wait_until([&] { return manager.pending() == 0; }));
    std::this_thread::sleep_for(20ms);  // a wrongly kept job would be picked up by now
  }
};

TEST_F(QueueManagerControlTest, HoldTakesAQueuedMessageOffTheWorkList) {
  std::string blocker = write_message("active", {"bob@example.org"}, "1");
  std::string target = write_message("active", {"carol@example.org"}, "2");
  GatedDelivery delivery(blocker);
  QueueManager manager(directory_, delivery.function(), 1, kNoAutomaticRetry);
  start_with_a_busy_worker(manager, delivery, blocker, target);
  Status held = manager.control({QueueVerb::Hold, target});
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(manager.pending(), 1u);
  EXPECT_TRUE(exists("hold/" + target));
  finish(manager, delivery);
  EXPECT_EQ(delivery.times_delivered(target), 0u);
  EXPECT_TRUE(exists("hold/" + target));
  EXPECT_FALSE(exists("active/" + target));
  EXPECT_NE(log().find(target + ": placed on hold by the queue tool"), std::string::npos) << log();

  // Released, it is delivered at once and leaves the queue.
  Status released = manager.control({QueueVerb::Release, target});
  ASSERT_TRUE(released) << released.error().message;
  ASSERT_TRUE(wait_until([&] { return !exists("active/" + target) && manager.pending() == 0; }));
  EXPECT_EQ(delivery.times_delivered(target), 1u);
  EXPECT_FALSE(exists("hold/" + target));
  EXPECT_NE(log().find(target + ": released from hold by the queue tool"), std::string::npos);
}

TEST_F(QueueManagerControlTest, DeleteTakesAQueuedMessageOffTheWorkList) {
  std::string blocker = write_message("active", {"bob@example.org"}, "1");
  std::string target = write_message("active", {"carol@example.org"}, "2");
  std::ofstream(directory_ + "/active/" + target + ".results")
      << encode_result(0, RecipientState::Deferred, 1, "busy");
  GatedDelivery delivery(blocker);
  QueueManager manager(directory_, delivery.function(), 1, kNoAutomaticRetry);
  start_with_a_busy_worker(manager, delivery, blocker, target);
  Status deleted = manager.control({QueueVerb::Delete, target});
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_FALSE(exists("active/" + target));
  EXPECT_FALSE(exists("active/" + target + ".results"));
  finish(manager, delivery);
  EXPECT_EQ(delivery.times_delivered(target), 0u);
  EXPECT_EQ(delivery.times_delivered(blocker), 1u);
  EXPECT_NE(log().find(target + ": removed by the queue tool"), std::string::npos) << log();
}

TEST_F(QueueManagerControlTest, AMessageBeingDeliveredIsRefused) {
  std::string blocker = write_message("active", {"bob@example.org"}, "1");
  std::string other = write_message("active", {"carol@example.org"}, "2");
  GatedDelivery delivery(blocker);
  QueueManager manager(directory_, delivery.function(), 1, kNoAutomaticRetry);
  start_with_a_busy_worker(manager, delivery, blocker, other);
  for (QueueVerb verb :
       {QueueVerb::Delete, QueueVerb::Hold, QueueVerb::Release, QueueVerb::Requeue}) {
    Status refused = manager.control({verb, blocker});
    ASSERT_FALSE(refused) << static_cast<int>(verb);
    EXPECT_EQ(refused.error().message,
              blocker + ": being delivered right now; try again in a moment");
  }
  EXPECT_TRUE(exists("active/" + blocker));
  finish(manager, delivery);
  EXPECT_FALSE(exists("active/" + blocker));  // delivered and removed as usual
  EXPECT_EQ(delivery.times_delivered(blocker), 1u);
  EXPECT_EQ(delivery.times_delivered(other), 1u);
}

TEST_F(QueueManagerControlTest, RequeueDeliversADeferredMessageNow) {
  std::string id = write_message("deferred", {"bob@example.org", "carol@example.org"}, "body");
  std::ofstream(directory_ + "/deferred/" + id + ".results")
      << encode_result(0, RecipientState::Delivered, 1, "ok")
      << encode_result(1, RecipientState::Deferred, 1, "busy")
      << encode_schedule(1, std::time(nullptr) + 3600);  // not due for an hour
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 1, kNoAutomaticRetry);
  Status requeued = manager.control({QueueVerb::Requeue, id});
  ASSERT_TRUE(requeued) << requeued.error().message;
  ASSERT_TRUE(wait_until(
      [&] { return recorder.count() == 1 && manager.pending() == 0 && !exists("active/" + id); }));
  EXPECT_FALSE(exists("deferred/" + id));
  EXPECT_EQ(recorder.calls()[0].pending, std::vector<std::size_t>{1});  // the log came along
  EXPECT_NE(log().find(id + ": requeued by the queue tool"), std::string::npos) << log();
}

TEST_F(QueueManagerControlTest, RequeueOfAQueuedMessageDeliversItOnce) {
  std::string blocker = write_message("active", {"bob@example.org"}, "1");
  std::string target = write_message("active", {"carol@example.org"}, "2");
  GatedDelivery delivery(blocker);
  QueueManager manager(directory_, delivery.function(), 1, kNoAutomaticRetry);
  start_with_a_busy_worker(manager, delivery, blocker, target);
  ASSERT_TRUE(manager.control({QueueVerb::Requeue, target}));
  EXPECT_EQ(manager.pending(), 2u);  // already in the work list: not added twice
  finish(manager, delivery);
  EXPECT_EQ(delivery.times_delivered(target), 1u);
}

TEST_F(QueueManagerControlTest, ReleaseOfAHeldMessageDeliversIt) {
  std::string id = write_message("hold", {"bob@example.org"}, "body");
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 1, kNoAutomaticRetry);
  manager.recover();  // held messages are not recovered
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(recorder.count(), 0u);
  ASSERT_TRUE(manager.control({QueueVerb::Release, id}));
  ASSERT_TRUE(wait_until([&] { return recorder.count() == 1 && manager.pending() == 0; }));
  ASSERT_TRUE(wait_until([&] { return !exists("active/" + id); }));
  EXPECT_FALSE(exists("hold/" + id));
}

TEST_F(QueueManagerControlTest, ErrorsOfTheOperationsPassThrough) {
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 1, kNoAutomaticRetry);
  std::string missing = new_queue_id();
  Status deleted = manager.control({QueueVerb::Delete, missing});
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().message, missing + ": no such message in the queue");
  std::string held = write_message("hold", {"bob@example.org"}, "body");
  Status again = manager.control({QueueVerb::Hold, held});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, held + ": already on hold");
  Status requeued = manager.control({QueueVerb::Requeue, held});
  ASSERT_FALSE(requeued);
  EXPECT_EQ(requeued.error().message, held + ": on hold (release it first)");
  EXPECT_EQ(manager.pending(), 0u);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(recorder.count(), 0u);
  EXPECT_TRUE(exists("hold/" + held));
}

TEST_F(QueueManagerControlTest, FlushRetriesDeferredMessagesNow) {
  std::string id = write_message("deferred", {"bob@example.org"}, "body");
  std::ofstream(directory_ + "/deferred/" + id + ".results")
      << encode_result(0, RecipientState::Deferred, 1, "busy")
      << encode_schedule(1, std::time(nullptr) + 3600);
  std::string held = write_message("hold", {"carol@example.org"}, "body");
  Recorder recorder;
  QueueManager manager(directory_, recorder.function(), 1, kNoAutomaticRetry);
  auto flushed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(manager.control({QueueVerb::Flush, ""}));
  ASSERT_TRUE(wait_until(
      [&] { return recorder.count() == 1 && manager.pending() == 0 && !exists("active/" + id); }));
  EXPECT_LT(std::chrono::steady_clock::now() - flushed_at, 2s);
  EXPECT_FALSE(exists("deferred/" + id));
  EXPECT_EQ(recorder.calls()[0].queue_id, id);
  EXPECT_TRUE(exists("hold/" + held));  // flush does not release held mail
}

}  // namespace
}  // namespace tern::queue
