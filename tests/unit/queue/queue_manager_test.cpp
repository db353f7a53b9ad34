// The queue manager with a recording delivery function: delivery and removal, log lines, crash
// recovery from active/ and its results log, corrupt files, deferral with a schedule, flush, stop.
#include "queue/queue_manager.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
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

}  // namespace
}  // namespace tern::queue
