// The queue listing: messages in active/, deferred/ and hold/ with their results logs applied,
// unreadable files reported, one message found by id, its header section, and the two outputs:
// mailq's text (exact, in UTC) and postqueue -j's JSON lines.
#include "queue/queue_inventory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "queue/spool_format.hpp"

namespace tern::queue {
namespace {

namespace fs = std::filesystem;

// Fixed ids (valid, sorting in this order) so the expected output can be written out in full.
constexpr const char* kActiveId = "6553F100000000A0001";
constexpr const char* kDeferredId = "6553F100000000A0002";
constexpr const char* kHeldId = "6553F100000000A0003";

class QueueInventoryTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-queue-inventory-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
    for (const char* folder : {"incoming", "active", "deferred", "hold", "corrupt"}) {
      fs::create_directory(directory_ + "/" + folder);
    }
    // Arrival times are shown in local time: pin it to UTC.
    if (const char* tz = std::getenv("TZ")) previous_tz_ = tz;
    had_tz_ = std::getenv("TZ") != nullptr;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      ::setenv("TZ", previous_tz_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  // Writes a committed message into `folder` as the spool and queue manager would have.
  std::string write_message(const std::string& folder, const std::string& id,
                            const std::string& sender, std::vector<std::string> recipients,
                            std::int64_t arrival, const std::string& data,
                            const std::string& results = "") {
    Envelope envelope;
    envelope.queue_id = id;
    envelope.sender = sender;
    for (const std::string& address : recipients) {
      Recipient recipient;
      recipient.address = address;
      envelope.recipients.push_back(recipient);
    }
    envelope.arrival_time = arrival;
    envelope.protocol = "ESMTP";
    std::string path = directory_ + "/" + folder + "/" + id;
    std::ofstream(path, std::ios::binary) << encode_envelope(envelope) << data;
    if (!results.empty()) std::ofstream(path + ".results", std::ios::binary) << results;
    return path;
  }

  // One message in each folder: active (one recipient pending, one delivered), deferred (one
  // deferred with a reason, one bounced), hold (null sender, one pending).
  void write_queue() {
    write_message("active", kActiveId, "alice@example.org",
                  {"bob@example.org", "carol@example.org"}, 1700000000, std::string(1500, 'a'),
                  encode_result(1, RecipientState::Delivered, 1700000010, "delivered to maildir"));
    write_message(
        "deferred", kDeferredId, "dave@example.org", {"erin@example.net", "frank@example.net"},
        1699000000, std::string(600, 'd'),
        encode_result(0, RecipientState::Deferred, 1699000100,
                      "connect to mx.example.net[192.0.2.1]:25: Connection refused", "4.4.1") +
            encode_result(1, RecipientState::Bounced, 1699000100, "unknown user", "5.1.1") +
            encode_schedule(1, 1699000400));
    write_message("hold", kHeldId, "", {"grace@example.org"}, 1700003600, std::string(10, 'h'));
  }

  std::string directory_;
  std::string previous_tz_;
  bool had_tz_ = false;
};

TEST_F(QueueInventoryTest, ListsEveryFolderOldestFirstWithResultsApplied) {
  write_queue();
  std::vector<std::string> problems;
  auto messages = list_queue(directory_, &problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(messages.size(), 3u);

  EXPECT_EQ(messages[0].folder, "active");
  EXPECT_EQ(messages[0].envelope.queue_id, kActiveId);
  EXPECT_EQ(messages[0].size, 1500u);
  EXPECT_EQ(messages[0].path, directory_ + "/active/" + kActiveId);
  ASSERT_EQ(messages[0].envelope.recipients.size(), 2u);
  EXPECT_EQ(messages[0].envelope.recipients[0].state, RecipientState::Pending);
  EXPECT_EQ(messages[0].envelope.recipients[0].status_text, "");
  EXPECT_EQ(messages[0].envelope.recipients[1].state, RecipientState::Delivered);
  EXPECT_EQ(messages[0].envelope.recipients[1].status_text, "delivered to maildir");

  EXPECT_EQ(messages[1].folder, "deferred");
  EXPECT_EQ(messages[1].size, 600u);
  ASSERT_EQ(messages[1].envelope.recipients.size(), 2u);
  EXPECT_EQ(messages[1].envelope.recipients[0].state, RecipientState::Deferred);
  EXPECT_EQ(messages[1].envelope.recipients[0].status_text,
            "connect to mx.example.net[192.0.2.1]:25: Connection refused");
  EXPECT_EQ(messages[1].envelope.recipients[0].dsn_status, "4.4.1");
  EXPECT_EQ(messages[1].envelope.recipients[1].state, RecipientState::Bounced);
  EXPECT_EQ(messages[1].envelope.attempts, 1);
  EXPECT_EQ(messages[1].envelope.next_attempt_time, 1699000400);

  EXPECT_EQ(messages[2].folder, "hold");
  EXPECT_EQ(messages[2].envelope.sender, "");
  EXPECT_EQ(messages[2].size, 10u);
  EXPECT_EQ(messages[2].data_offset + 10, fs::file_size(messages[2].path));
}

TEST_F(QueueInventoryTest, SortsByArrivalAcrossFolders) {
  write_message("hold", "6553F100000000A0001", "a@example.org", {"x@example.org"}, 1, "1");
  write_message("active", "6553F100000000A0003", "a@example.org", {"x@example.org"}, 3, "3");
  write_message("deferred", "6553F100000000A0002", "a@example.org", {"x@example.org"}, 2, "2");
  auto messages = list_queue(directory_);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].folder, "hold");
  EXPECT_EQ(messages[1].folder, "deferred");
  EXPECT_EQ(messages[2].folder, "active");
}

TEST_F(QueueInventoryTest, ProblemsAreReportedAndTheRestIsListed) {
  write_queue();
  std::string corrupt = "6553F100000000B0001";
  std::ofstream(directory_ + "/deferred/" + corrupt) << "this is not a spool file\n";
  std::string bad_log = "6553F100000000B0002";
  write_message("active", bad_log, "a@example.org", {"x@example.org"}, 1, "x", "garbage\n");
  // Neither incoming/ (not yet accepted) nor corrupt/ is part of the queue; foreign names are
  // skipped.
  write_message("incoming", "6553F100000000B0003", "a@example.org", {"x@example.org"}, 1, "x");
  write_message("corrupt", "6553F100000000B0004", "a@example.org", {"x@example.org"}, 1, "x");
  std::ofstream(directory_ + "/active/README") << "not a message";
  std::vector<std::string> problems;
  auto messages = list_queue(directory_, &problems);
  EXPECT_EQ(messages.size(), 3u);
  std::sort(problems.begin(), problems.end());
  EXPECT_EQ(problems, (std::vector<std::string>{corrupt + ": not a tern spool file",
                                                bad_log + ": bad results record: garbage"}));
  EXPECT_EQ(list_queue(directory_).size(), 3u);  // problems are optional
}

TEST_F(QueueInventoryTest, ATornResultsLineIsNotAProblem) {
  std::string torn = encode_result(0, RecipientState::Delivered, 1, "ok");
  torn.pop_back();
  write_message("active", kActiveId, "a@example.org", {"x@example.org"}, 1, "x", torn);
  std::vector<std::string> problems;
  auto messages = list_queue(directory_, &problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].envelope.recipients[0].state, RecipientState::Pending);
}

TEST_F(QueueInventoryTest, EmptyOrMissingSpoolListsNothing) {
  EXPECT_TRUE(list_queue(directory_).empty());
  std::vector<std::string> problems;
  EXPECT_TRUE(list_queue(directory_ + "/missing", &problems).empty());
  EXPECT_TRUE(problems.empty());
}

TEST_F(QueueInventoryTest, FindQueuedLooksInEveryFolder) {
  write_queue();
  for (auto [id, folder] : {std::pair{kActiveId, "active"}, std::pair{kDeferredId, "deferred"},
                            std::pair{kHeldId, "hold"}}) {
    auto message = find_queued(directory_, id);
    ASSERT_TRUE(message) << id << ": " << message.error().message;
    EXPECT_EQ(message->folder, folder);
    EXPECT_EQ(message->envelope.queue_id, id);
  }
  auto deferred = find_queued(directory_, kDeferredId);
  ASSERT_TRUE(deferred);
  EXPECT_EQ(deferred->envelope.recipients[0].state, RecipientState::Deferred);  // log applied
  auto missing = find_queued(directory_, "6553F100000000C0001");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "6553F100000000C0001: no such message in the queue");
}

TEST_F(QueueInventoryTest, QueuedHeadersStopAtTheEmptyLine) {
  std::string headers =
      "Received: from client.example.org (client.example.org [192.0.2.7])\r\n"
      "\tby mail.example.org (tern) with ESMTP id 6553F100000000A0001\r\n"
      "Subject: hello\r\n";
  write_message("active", kActiveId, "a@example.org", {"x@example.org"}, 1,
                headers + "\r\nbody line\r\n\r\nSecond: paragraph\r\n");
  auto message = find_queued(directory_, kActiveId);
  ASSERT_TRUE(message);
  auto read = queued_headers(*message);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(*read, headers);
}

TEST_F(QueueInventoryTest, QueuedHeadersOfAMessageWithoutBodyIsTheWholeMessage) {
  std::string headers = "Subject: no body\r\n";
  write_message("active", kActiveId, "a@example.org", {"x@example.org"}, 1, headers);
  auto message = find_queued(directory_, kActiveId);
  ASSERT_TRUE(message);
  auto read = queued_headers(*message);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, headers);
}

TEST_F(QueueInventoryTest, QueuedHeadersOfAVanishedMessageIsAnError) {
  write_message("active", kActiveId, "a@example.org", {"x@example.org"}, 1, "Subject: x\r\n\r\n");
  auto message = find_queued(directory_, kActiveId);
  ASSERT_TRUE(message);
  fs::remove(message->path);  // delivered meanwhile
  EXPECT_FALSE(queued_headers(*message));
}

TEST_F(QueueInventoryTest, MailqLayout) {
  write_queue();
  std::string spaces(41, ' ');
  EXPECT_EQ(format_mailq(list_queue(directory_)),
            "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
            "6553F100000000A0001*    1500 Tue Nov 14 22:13:20  alice@example.org\n" +
                spaces +
                "bob@example.org\n"
                "\n"
                "6553F100000000A0002      600 Fri Nov  3 08:26:40  dave@example.org\n"
                "(connect to mx.example.net[192.0.2.1]:25: Connection refused)\n" +
                spaces +
                "erin@example.net\n"
                "\n"
                "6553F100000000A0003!      10 Tue Nov 14 23:13:20  MAILER-DAEMON\n" +
                spaces +
                "grace@example.org\n"
                "\n"
                "-- 3 Kbytes in 3 Requests.\n");
}

TEST_F(QueueInventoryTest, MailqOfOneMessageAndOfNone) {
  EXPECT_EQ(format_mailq({}), "Mail queue is empty\n");
  EXPECT_EQ(format_mailq(list_queue(directory_)), "Mail queue is empty\n");
  write_message("deferred", kDeferredId, "a@example.org", {"x@example.org"}, 1700000000,
                std::string(1024, 'x'));
  std::string text = format_mailq(list_queue(directory_));
  EXPECT_TRUE(text.ends_with("\n\n-- 1 Kbytes in 1 Request.\n")) << text;  // 1024 bytes: 1 KiB
}

TEST_F(QueueInventoryTest, QueueJsonHasPostfixFieldNames) {
  write_queue();
  std::string text = format_queue_json(list_queue(directory_));
  std::istringstream lines(text);
  std::vector<nlohmann::json> objects;
  for (std::string line; std::getline(lines, line);) {
    objects.push_back(nlohmann::json::parse(line));  // throws (fails the test) on bad JSON
  }
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);

  EXPECT_EQ(objects[0],
            nlohmann::json::parse(R"({"queue_name": "active", "queue_id": "6553F100000000A0001",
                "arrival_time": 1700000000, "message_size": 1500, "sender": "alice@example.org",
                "recipients": [{"address": "bob@example.org"}]})"));
  EXPECT_EQ(objects[1],
            nlohmann::json::parse(R"({"queue_name": "deferred", "queue_id": "6553F100000000A0002",
                "arrival_time": 1699000000, "message_size": 600, "sender": "dave@example.org",
                "recipients": [{"address": "erin@example.net", "delay_reason":
                "connect to mx.example.net[192.0.2.1]:25: Connection refused"}]})"));
  EXPECT_EQ(objects[2]["queue_name"], "hold");
  EXPECT_EQ(objects[2]["sender"], "");  // the null sender, as postqueue -j shows it
  EXPECT_EQ(format_queue_json({}), "");
}

TEST_F(QueueInventoryTest, QueueJsonSurvivesInvalidUtf8) {
  write_message("active", kActiveId, "caf\xE9@example.org", {"x@example.org"}, 1, "x");
  std::string text = format_queue_json(list_queue(directory_));
  auto object = nlohmann::json::parse(text);
  EXPECT_EQ(object["sender"], "caf\xEF\xBF\xBD@example.org");  // U+FFFD, not an exception
}

}  // namespace
}  // namespace tern::queue
