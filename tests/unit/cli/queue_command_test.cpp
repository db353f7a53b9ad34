// `tern queue` against a temp main.cf and spool: list (mailq and --json) and show read the spool;
// delete/hold/release/requeue change it directly when ternd is not running (no control socket, or
// a stale one), and go through the control socket when something answers there; flush needs ternd.
// Errors are one "tern: ..." line and exit status 1.
#include "cli/queue_command.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "queue/queue_id.hpp"
#include "queue/spool_format.hpp"
#include "server/control_socket.hpp"

namespace tern::cli {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int status = 0;
  std::string out;
  std::string errors;
};

// A stand-in for ternd on the control socket: answers each connection's line with `answer` and
// records the lines it got.
class FakeDaemon {
 public:
  FakeDaemon(const std::string& path, std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
             ::listen(fd_, 8) == 0;
    if (bound_) thread_ = std::thread([this] { serve(); });
  }
  ~FakeDaemon() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  bool bound() const { return bound_; }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  void serve() {
    while (true) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string line;
      char c = 0;
      while (::read(client, &c, 1) == 1 && c != '\n') line += c;
      {
        std::lock_guard lock(mutex_);
        lines_.push_back(line);
      }
      std::string reply = answer_ + "\n";
      [[maybe_unused]] auto written = ::write(client, reply.data(), reply.size());
      ::close(client);
    }
  }

  std::string answer_;
  int fd_ = -1;
  bool bound_ = false;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

class QueueCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-queue-command-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    spool_ = root_ + "/spool";
    for (const char* folder : {"incoming", "active", "deferred", "hold", "corrupt"}) {
      fs::create_directories(spool_ + "/" + folder);
    }
    config_ = root_ + "/main.cf";
    std::ofstream(config_) << "queue_directory = " << spool_
                           << "\nalias_maps =\nlocal_recipient_maps =\n";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  Outcome run(cli::QueueAction action, const std::string& queue_id = "", bool json = false) {
    QueueCommand command;
    command.action = action;
    command.queue_id = queue_id;
    command.config_path = config_;
    command.json = json;
    std::ostringstream out, errors;
    Outcome outcome;
    outcome.status = run_queue_command(command, out, errors);
    outcome.out = out.str();
    outcome.errors = errors.str();
    return outcome;
  }

  // Writes a committed message into `folder`, with a results log when one is given.
  std::string write_message(const std::string& folder, const std::string& data,
                            const std::string& results = "",
                            const std::string& sender = "alice@example.org") {
    queue::Envelope envelope;
    envelope.queue_id = queue::new_queue_id();
    envelope.sender = sender;
    for (const char* address : {"bob@example.org", "carol@example.org"}) {
      queue::Recipient recipient;
      recipient.address = address;
      envelope.recipients.push_back(recipient);
    }
    envelope.arrival_time = 1700000000;
    std::string path = spool_ + "/" + folder + "/" + envelope.queue_id;
    std::ofstream(path, std::ios::binary) << queue::encode_envelope(envelope) << data;
    if (!results.empty()) std::ofstream(path + ".results", std::ios::binary) << results;
    return envelope.queue_id;
  }

  bool exists(const std::string& folder, const std::string& id) const {
    return fs::exists(spool_ + "/" + folder + "/" + id);
  }
  // The message and its results log are both in `folder` (and nowhere else).
  bool both_in(const std::string& folder, const std::string& id) const {
    for (const char* other : {"active", "deferred", "hold"}) {
      bool expected = folder == other;
      if (exists(other, id) != expected || exists(other, id + ".results") != expected) return false;
    }
    return true;
  }

  std::string root_;
  std::string spool_;
  std::string config_;
};

const std::string kLog = queue::encode_result(0, queue::RecipientState::Deferred, 1700000100,
                                              "connection refused", "4.4.1") +
                         queue::encode_schedule(1, 1700000400);

TEST_F(QueueCommandTest, ListShowsTheQueueAsMailqDoes) {
  std::string active = write_message("active", std::string(2000, 'x'));
  std::string deferred = write_message("deferred", "Subject: x\r\n\r\n", kLog);
  Outcome outcome = run(QueueAction::List);
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.errors, "");
  EXPECT_EQ(
      outcome.out.rfind("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n", 0),
      0u)
      << outcome.out;
  EXPECT_NE(outcome.out.find("\n" + active + "*    2000 "), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("\n" + deferred + "       14 "), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("\n(connection refused)\n"), std::string::npos) << outcome.out;
  EXPECT_TRUE(outcome.out.ends_with("\n-- 2 Kbytes in 2 Requests.\n")) << outcome.out;
}

TEST_F(QueueCommandTest, ListOfAnEmptyQueue) {
  Outcome outcome = run(QueueAction::List);
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.out, "Mail queue is empty\n");
  EXPECT_EQ(outcome.errors, "");
  EXPECT_EQ(run(QueueAction::List, "", /*json=*/true).out, "");
}

TEST_F(QueueCommandTest, ListJsonIsOneObjectPerMessage) {
  std::string held = write_message("hold", "x", "", "");
  Outcome outcome = run(QueueAction::List, "", /*json=*/true);
  EXPECT_EQ(outcome.status, 0);
  auto object = nlohmann::json::parse(outcome.out);
  EXPECT_EQ(object["queue_id"], held);
  EXPECT_EQ(object["queue_name"], "hold");
  EXPECT_EQ(object["message_size"], 1);
  EXPECT_EQ(object["recipients"].size(), 2u);
}

TEST_F(QueueCommandTest, ListWarnsAboutUnreadableFilesButSucceeds) {
  std::string good = write_message("active", "x");
  std::string corrupt = queue::new_queue_id();
  std::ofstream(spool_ + "/deferred/" + corrupt) << "garbage";
  Outcome outcome = run(QueueAction::List);
  EXPECT_EQ(outcome.status, 0);
  EXPECT_NE(outcome.out.find(good), std::string::npos);
  EXPECT_EQ(outcome.out.find(corrupt), std::string::npos);
  EXPECT_EQ(outcome.errors, "tern: warning: " + corrupt + ": not a tern spool file\n");
}

TEST_F(QueueCommandTest, ShowPrintsTheEnvelopeAndTheHeaders) {
  std::string id =
      write_message("deferred", "Received: by test\r\nSubject: hello\r\n\r\nsecret body\r\n", kLog);
  Outcome outcome = run(QueueAction::Show, id);
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.errors, "");
  EXPECT_EQ(outcome.out, "queue_id: " + id +
                             "\n"
                             "queue: deferred\n"
                             "size: 50\n"
                             "arrival_time: 1700000000\n"
                             "sender: alice@example.org\n"
                             "recipient: bob@example.org (deferred: connection refused)\n"
                             "recipient: carol@example.org (pending)\n"
                             "\n"
                             "Received: by test\r\n"
                             "Subject: hello\r\n");
}

TEST_F(QueueCommandTest, ShowOfTheNullSender) {
  std::string id = write_message("hold", "Subject: bounce\r\n\r\n", "", "");
  Outcome outcome = run(QueueAction::Show, id);
  EXPECT_EQ(outcome.status, 0);
  EXPECT_NE(outcome.out.find("\nqueue: hold\n"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("\nsender: <>\n"), std::string::npos) << outcome.out;
}

TEST_F(QueueCommandTest, ShowOfAMissingMessageIsOneErrorLine) {
  std::string id = queue::new_queue_id();
  Outcome outcome = run(QueueAction::Show, id);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(outcome.errors, "tern: " + id + ": no such message in the queue\n");
}

TEST_F(QueueCommandTest, DeleteOneMessageWithoutTernd) {
  std::string id = write_message("deferred", "x", kLog);
  std::string other = write_message("deferred", "y", kLog);
  Outcome outcome = run(QueueAction::Delete, id);
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(outcome.errors, "");
  EXPECT_TRUE(both_in("", id));
  EXPECT_TRUE(both_in("deferred", other));
}

TEST_F(QueueCommandTest, DeleteAllEmptiesTheQueue) {
  std::string active = write_message("active", "a", kLog);
  std::string deferred = write_message("deferred", "d", kLog);
  std::string held = write_message("hold", "h", kLog);
  std::ofstream(spool_ + "/incoming/" + queue::new_queue_id()) << "being received";
  Outcome outcome = run(QueueAction::Delete, "ALL");
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.out, "3 messages changed\n");
  EXPECT_EQ(outcome.errors, "");
  for (const std::string& id : {active, deferred, held}) EXPECT_TRUE(both_in("", id)) << id;
  EXPECT_EQ(run(QueueAction::List).out, "Mail queue is empty\n");
  EXPECT_FALSE(fs::is_empty(spool_ + "/incoming"));  // not accepted yet: not the queue's
  EXPECT_EQ(run(QueueAction::Delete, "ALL").out, "0 messages changed\n");
}

TEST_F(QueueCommandTest, HoldAllReportsWhatCouldNotBeChanged) {
  std::string active = write_message("active", "a", kLog);
  std::string deferred = write_message("deferred", "d", kLog);
  std::string held = write_message("hold", "h", kLog);
  Outcome outcome = run(QueueAction::Hold, "ALL");
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.out, "2 messages changed\n");
  EXPECT_EQ(outcome.errors, "tern: " + held + ": already on hold\n");
  for (const std::string& id : {active, deferred, held}) EXPECT_TRUE(both_in("hold", id)) << id;
}

TEST_F(QueueCommandTest, ReleaseAndRequeueMoveToActive) {
  std::string held = write_message("hold", "h", kLog);
  std::string deferred = write_message("deferred", "d", kLog);
  Outcome released = run(QueueAction::Release, held);
  EXPECT_EQ(released.status, 0) << released.errors;
  EXPECT_TRUE(both_in("active", held));
  Outcome requeued = run(QueueAction::Requeue, deferred);
  EXPECT_EQ(requeued.status, 0) << requeued.errors;
  EXPECT_TRUE(both_in("active", deferred));
  Outcome again = run(QueueAction::Release, held);
  EXPECT_EQ(again.status, 1);
  EXPECT_EQ(again.errors, "tern: " + held + ": not on hold\n");
}

TEST_F(QueueCommandTest, ChangingAMissingOrInvalidIdIsOneErrorLine) {
  std::string missing = queue::new_queue_id();
  Outcome outcome = run(QueueAction::Hold, missing);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(outcome.errors, "tern: " + missing + ": no such message in the queue\n");
  Outcome invalid = run(QueueAction::Delete, "../main.cf");
  EXPECT_EQ(invalid.status, 1);
  EXPECT_EQ(invalid.errors, "tern: ../main.cf: not a queue id\n");
  EXPECT_TRUE(fs::exists(config_));
}

TEST_F(QueueCommandTest, FlushWithoutTerndIsAnError) {
  std::string deferred = write_message("deferred", "d", kLog);
  Outcome outcome = run(QueueAction::Flush);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(outcome.errors.rfind("tern: ternd is not running", 0), 0u) << outcome.errors;
  EXPECT_EQ(std::count(outcome.errors.begin(), outcome.errors.end(), '\n'), 1);
  EXPECT_TRUE(both_in("deferred", deferred));
}

TEST_F(QueueCommandTest, MissingConfigIsAnError) {
  config_ = root_ + "/missing.cf";
  Outcome outcome = run(QueueAction::List);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(outcome.errors, "tern: " + config_ + ": cannot open: No such file or directory\n");
}

// A socket file left by a crashed ternd (nobody listening) means ternd is not running.
TEST_F(QueueCommandTest, AStaleControlSocketMeansDirectMode) {
  std::string path = server::control_socket_path(spool_);
  {
    FakeDaemon dead(path, "ok");
    ASSERT_TRUE(dead.bound());
  }  // closed, the file stays
  ASSERT_TRUE(fs::exists(path));
  std::string id = write_message("active", "a", kLog);
  Outcome outcome = run(QueueAction::Hold, id);
  EXPECT_EQ(outcome.status, 0) << outcome.errors;
  EXPECT_TRUE(both_in("hold", id));
}

TEST_F(QueueCommandTest, WithTerndChangesGoThroughTheControlSocket) {
  FakeDaemon daemon(server::control_socket_path(spool_), "ok");
  ASSERT_TRUE(daemon.bound());
  std::string id = write_message("active", "a", kLog);
  Outcome held = run(QueueAction::Hold, id);
  EXPECT_EQ(held.status, 0) << held.errors;
  EXPECT_TRUE(both_in("active", id));  // ternd makes the change, not the tool
  Outcome flushed = run(QueueAction::Flush);
  EXPECT_EQ(flushed.status, 0) << flushed.errors;
  EXPECT_EQ(flushed.out, "");
  EXPECT_EQ(daemon.lines(), (std::vector<std::string>{"hold " + id, "flush"}));
}

TEST_F(QueueCommandTest, TerndsRefusalIsOneErrorLine) {
  std::string id = write_message("active", "a", kLog);
  FakeDaemon daemon(server::control_socket_path(spool_),
                    "error: " + id + ": being delivered right now; try again in a moment");
  ASSERT_TRUE(daemon.bound());
  Outcome outcome = run(QueueAction::Delete, id);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.errors, "tern: " + id + ": being delivered right now; try again in a moment\n");
  EXPECT_TRUE(both_in("active", id));
}

}  // namespace
}  // namespace tern::cli
