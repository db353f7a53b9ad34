// The queue tools' changes: the control line (parse and format, every error text) and delete,
// hold, release and requeue on a real spool, each moving or removing the message together with its
// results log, with the refusals postsuper users expect.
#include "queue/queue_operations.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>

#include "queue/queue_id.hpp"
#include "queue/spool.hpp"
#include "queue/spool_format.hpp"

namespace tern::queue {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- The control line ----

TEST(ControlCommandTest, ParsesEveryVerb) {
  std::string id = new_queue_id();
  auto flush = parse_control_command("flush");
  ASSERT_TRUE(flush) << flush.error().message;
  EXPECT_EQ(flush->verb, QueueVerb::Flush);
  EXPECT_EQ(flush->queue_id, "");
  struct Case {
    const char* word;
    QueueVerb verb;
  };
  for (Case c : {Case{"delete", QueueVerb::Delete}, Case{"hold", QueueVerb::Hold},
                 Case{"release", QueueVerb::Release}, Case{"requeue", QueueVerb::Requeue}}) {
    auto parsed = parse_control_command(std::string(c.word) + " " + id);
    ASSERT_TRUE(parsed) << c.word << ": " << parsed.error().message;
    EXPECT_EQ(parsed->verb, c.verb) << c.word;
    EXPECT_EQ(parsed->queue_id, id) << c.word;
  }
}

TEST(ControlCommandTest, VerbsAreCaseInsensitiveAndSpacesAreFree) {
  std::string id = new_queue_id();
  auto parsed = parse_control_command("  HoLd \t" + id + "  ");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->verb, QueueVerb::Hold);
  EXPECT_EQ(parsed->queue_id, id);
  auto flush = parse_control_command("FLUSH");
  ASSERT_TRUE(flush);
  EXPECT_EQ(flush->verb, QueueVerb::Flush);
}

TEST(ControlCommandTest, FormatAndParseRoundTrip) {
  std::string id = new_queue_id();
  for (ControlCommand command :
       {ControlCommand{QueueVerb::Flush, ""}, ControlCommand{QueueVerb::Delete, id},
        ControlCommand{QueueVerb::Hold, id}, ControlCommand{QueueVerb::Release, id},
        ControlCommand{QueueVerb::Requeue, id}}) {
    std::string line = format_control_command(command);
    auto parsed = parse_control_command(line);
    ASSERT_TRUE(parsed) << line << ": " << parsed.error().message;
    EXPECT_EQ(parsed->verb, command.verb) << line;
    EXPECT_EQ(parsed->queue_id, command.queue_id) << line;
    EXPECT_EQ(format_control_command(*parsed), line);
  }
  EXPECT_EQ(format_control_command({QueueVerb::Flush, ""}), "flush");
  EXPECT_EQ(format_control_command({QueueVerb::Flush, "", "@example.org"}), "flush @example.org");
  auto domain = parse_control_command("flush Example.ORG");
  ASSERT_TRUE(domain) << domain.error().message;
  EXPECT_EQ(domain->domain, "example.org");
  auto subdomains = parse_control_command("flush @example.org");
  ASSERT_TRUE(subdomains) << subdomains.error().message;
  EXPECT_EQ(subdomains->domain, "@example.org");
  EXPECT_EQ(format_control_command({QueueVerb::Delete, id}), "delete " + id);
  EXPECT_EQ(format_control_command({QueueVerb::Hold, id}), "hold " + id);
  EXPECT_EQ(format_control_command({QueueVerb::Release, id}), "release " + id);
  EXPECT_EQ(format_control_command({QueueVerb::Requeue, id}), "requeue " + id);
}

std::string parse_error(std::string_view line) {
  auto parsed = parse_control_command(line);
  return parsed ? "(parsed)" : parsed.error().message;
}

TEST(ControlCommandTest, ErrorTexts) {
  std::string id = new_queue_id();
  EXPECT_EQ(parse_error(""), "empty command");
  EXPECT_EQ(parse_error("   "), "empty command");
  for (const char* verb : {"delete", "hold", "release", "requeue"}) {
    std::string usage = std::string("usage: ") + verb + " QUEUE-ID";
    EXPECT_EQ(parse_error(verb), usage);
    EXPECT_EQ(parse_error(std::string(verb) + " " + id + " " + id), usage);
  }
  EXPECT_EQ(parse_error("hold X"), "X: not a queue id");
  EXPECT_EQ(parse_error("delete ALL"), "ALL: not a queue id");  // ALL is the CLI's, not the line's
  EXPECT_EQ(parse_error("release ../" + id), "../" + id + ": not a queue id");
  EXPECT_EQ(parse_error("hold 6553f100000000a0001"), "6553f100000000a0001: not a queue id");
  EXPECT_EQ(parse_error("X"), "unknown command: X");
  EXPECT_EQ(parse_error("Bounce " + id), "unknown command: Bounce");  // as typed
  EXPECT_EQ(parse_error("flush a.example b.example"), "usage: flush [DOMAIN]");
  EXPECT_EQ(parse_error("flush exa_mple.org"), "exa_mple.org: not a domain");
  EXPECT_EQ(parse_error("flush ..org"), "..org: not a domain");
}

TEST(QueueFlushDestinationTest, MatchesTheDomainOrItsSubdomains) {
  EXPECT_TRUE(in_flush_destination("bob@example.org", "example.org"));
  EXPECT_TRUE(in_flush_destination("bob@EXAMPLE.org", "example.ORG"));
  EXPECT_FALSE(in_flush_destination("bob@mx.example.org", "example.org"));
  EXPECT_TRUE(in_flush_destination("bob@mx.example.org", "@example.org"));
  EXPECT_TRUE(in_flush_destination("bob@example.org", "@example.org"));
  EXPECT_FALSE(in_flush_destination("bob@badexample.org", "@example.org"));
  EXPECT_FALSE(in_flush_destination("bob", "example.org"));
}

// ---- Changes on a real spool ----

class QueueOperationsTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-queue-operations-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    directory_ = root_ + "/spool";
    auto spool = Spool::open(directory_);
    ASSERT_TRUE(spool) << spool.error().message;
    spool_ = std::move(*spool);
  }
  void TearDown() override {
    spool_.reset();
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  // Receives and commits a message into active/ as a session would, with a results log beside it.
  std::string commit_message() {
    Envelope envelope;
    envelope.sender = "alice@example.org";
    Recipient recipient;
    recipient.address = "bob@example.org";
    envelope.recipients.push_back(recipient);
    envelope.arrival_time = 1700000000;
    auto message = spool_->begin(envelope);
    EXPECT_TRUE(message) << message.error().message;
    if (!message) return "";
    EXPECT_TRUE(message->write("Subject: test\r\n\r\nbody\r\n"));
    auto promise = std::make_shared<std::promise<Status>>();
    auto future = promise->get_future();
    spool_->commit(std::move(*message), [promise](Status status) { promise->set_value(status); });
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    Status committed = future.get();
    EXPECT_TRUE(committed) << committed.error().message;
    std::ofstream(path("active", envelope.queue_id) + ".results")
        << encode_result(0, RecipientState::Deferred, 1700000000, "busy", "4.2.0")
        << encode_schedule(1, 1700000300);
    return envelope.queue_id;
  }

  // Moves a committed message (and its log) from active/ to `folder`, as the queue manager does.
  void move_to(const std::string& id, const std::string& folder) {
    ASSERT_EQ(::rename((path("active", id) + ".results").c_str(),
                       (path(folder, id) + ".results").c_str()),
              0);
    ASSERT_EQ(::rename(path("active", id).c_str(), path(folder, id).c_str()), 0);
  }

  std::string path(const std::string& folder, const std::string& id) const {
    return directory_ + "/" + folder + "/" + id;
  }
  // Where the message and its results log are: "active", "deferred", "hold" or "" (nowhere). Both
  // files must be in the same folder.
  std::string where(const std::string& id) const {
    std::string found;
    for (const char* folder : {"incoming", "active", "deferred", "hold", "corrupt"}) {
      bool message = fs::exists(path(folder, id));
      bool results = fs::exists(path(folder, id) + ".results");
      if (message != results) return std::string("split in ") + folder;
      if (message) found += (found.empty() ? "" : "+") + std::string(folder);
    }
    return found;
  }
  static std::string message_of(const Status& status) {
    return status ? "(ok)" : status.error().message;
  }

  std::string root_;
  std::string directory_;
  std::unique_ptr<Spool> spool_;
};

TEST_F(QueueOperationsTest, QueueFolderOfFindsTheMessage) {
  std::string active = commit_message();
  std::string deferred = commit_message();
  std::string held = commit_message();
  move_to(deferred, "deferred");
  move_to(held, "hold");
  EXPECT_EQ(queue_folder_of(directory_, active), "active");
  EXPECT_EQ(queue_folder_of(directory_, deferred), "deferred");
  EXPECT_EQ(queue_folder_of(directory_, held), "hold");
  EXPECT_EQ(queue_folder_of(directory_, new_queue_id()), std::nullopt);
}

TEST_F(QueueOperationsTest, DeleteRemovesMessageAndResultsFromEveryFolder) {
  for (const char* folder : {"active", "deferred", "hold"}) {
    std::string id = commit_message();
    if (std::string(folder) != "active") move_to(id, folder);
    ASSERT_EQ(where(id), folder);
    EXPECT_EQ(message_of(delete_message(directory_, id)), "(ok)") << folder;
    EXPECT_EQ(where(id), "") << folder;
    EXPECT_EQ(message_of(delete_message(directory_, id)), id + ": no such message in the queue");
  }
}

TEST_F(QueueOperationsTest, DeleteWithoutAResultsLog) {
  std::string id = commit_message();
  fs::remove(path("active", id) + ".results");
  EXPECT_EQ(message_of(delete_message(directory_, id)), "(ok)");
  EXPECT_FALSE(fs::exists(path("active", id)));
}

TEST_F(QueueOperationsTest, HoldMovesActiveAndDeferredMessagesToHold) {
  std::string active = commit_message();
  std::string deferred = commit_message();
  move_to(deferred, "deferred");
  std::string log = [&] {
    std::ifstream in(path("deferred", deferred) + ".results");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }();
  EXPECT_EQ(message_of(hold_message(directory_, active)), "(ok)");
  EXPECT_EQ(message_of(hold_message(directory_, deferred)), "(ok)");
  EXPECT_EQ(where(active), "hold");
  EXPECT_EQ(where(deferred), "hold");
  std::ifstream in(path("hold", deferred) + ".results");
  std::stringstream moved;
  moved << in.rdbuf();
  EXPECT_EQ(moved.str(), log);  // the log moves intact: finished recipients stay finished
  EXPECT_EQ(message_of(hold_message(directory_, active)), active + ": already on hold");
  EXPECT_EQ(where(active), "hold");
}

TEST_F(QueueOperationsTest, HoldWithoutAResultsLog) {
  std::string id = commit_message();
  fs::remove(path("active", id) + ".results");
  EXPECT_EQ(message_of(hold_message(directory_, id)), "(ok)");
  EXPECT_TRUE(fs::exists(path("hold", id)));
  EXPECT_FALSE(fs::exists(path("hold", id) + ".results"));
  EXPECT_FALSE(fs::exists(path("active", id)));
}

TEST_F(QueueOperationsTest, ReleaseMovesAHeldMessageToActive) {
  std::string id = commit_message();
  move_to(id, "hold");
  EXPECT_EQ(message_of(release_message(directory_, id)), "(ok)");
  EXPECT_EQ(where(id), "active");
  EXPECT_EQ(message_of(release_message(directory_, id)), id + ": not on hold");
  std::string deferred = commit_message();
  move_to(deferred, "deferred");
  EXPECT_EQ(message_of(release_message(directory_, deferred)), deferred + ": not on hold");
  EXPECT_EQ(where(deferred), "deferred");
}

TEST_F(QueueOperationsTest, RequeueMovesADeferredMessageToActive) {
  std::string id = commit_message();
  move_to(id, "deferred");
  EXPECT_EQ(message_of(requeue_message(directory_, id)), "(ok)");
  EXPECT_EQ(where(id), "active");
}

TEST_F(QueueOperationsTest, RequeueOfAnActiveMessageChangesNothing) {
  std::string id = commit_message();
  EXPECT_EQ(message_of(requeue_message(directory_, id)), "(ok)");
  EXPECT_EQ(where(id), "active");
}

TEST_F(QueueOperationsTest, RequeueOfAHeldMessageIsRefused) {
  std::string id = commit_message();
  move_to(id, "hold");
  EXPECT_EQ(message_of(requeue_message(directory_, id)), id + ": on hold (release it first)");
  EXPECT_EQ(where(id), "hold");
}

TEST_F(QueueOperationsTest, MissingAndInvalidIdsAreErrors) {
  std::string missing = new_queue_id();
  std::string no_such = missing + ": no such message in the queue";
  EXPECT_EQ(message_of(delete_message(directory_, missing)), no_such);
  EXPECT_EQ(message_of(hold_message(directory_, missing)), no_such);
  EXPECT_EQ(message_of(release_message(directory_, missing)), no_such);
  EXPECT_EQ(message_of(requeue_message(directory_, missing)), no_such);
  // A path never reaches the file system.
  std::ofstream(root_ + "/outside") << "not queued";
  for (const std::string& bad : {std::string("../../outside"), std::string("ALL"), std::string()}) {
    EXPECT_EQ(message_of(delete_message(directory_, bad)), bad + ": not a queue id");
    EXPECT_EQ(message_of(hold_message(directory_, bad)), bad + ": not a queue id");
    EXPECT_EQ(message_of(release_message(directory_, bad)), bad + ": not a queue id");
    EXPECT_EQ(message_of(requeue_message(directory_, bad)), bad + ": not a queue id");
  }
  EXPECT_TRUE(fs::exists(root_ + "/outside"));
}

// A message in incoming/ is still being received (no 250 yet): not in the queue for the tools.
TEST_F(QueueOperationsTest, IncomingMessagesAreNotInTheQueue) {
  Envelope envelope;
  envelope.sender = "alice@example.org";
  Recipient recipient;
  recipient.address = "bob@example.org";
  envelope.recipients.push_back(recipient);
  auto message = spool_->begin(envelope);
  ASSERT_TRUE(message);
  EXPECT_EQ(queue_folder_of(directory_, message->queue_id()), std::nullopt);
  EXPECT_EQ(message_of(hold_message(directory_, message->queue_id())),
            message->queue_id() + ": no such message in the queue");
  EXPECT_TRUE(fs::exists(path("incoming", message->queue_id())));
}

}  // namespace
}  // namespace tern::queue
