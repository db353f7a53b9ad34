// Reading spool files: a file's first bytes, envelope headers short and longer than the first
// read, the queue ids of a folder (foreign names and results logs skipped, arrival order), and the
// retry time in a results log, whose torn last line is not a record.
#include "queue/spool_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "queue/queue_id.hpp"
#include "queue/spool_format.hpp"

namespace tern::queue {
namespace {

namespace fs = std::filesystem;

class SpoolFilesTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-spool-files-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = directory_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  static Envelope envelope(std::size_t recipients) {
    Envelope envelope;
    envelope.queue_id = new_queue_id();
    envelope.sender = "alice@example.org";
    for (std::size_t i = 0; i < recipients; ++i) {
      Recipient recipient;
      recipient.address = "recipient-" + std::to_string(i) + "@example.org";
      envelope.recipients.push_back(recipient);
    }
    envelope.arrival_time = 1700000000;
    envelope.protocol = "ESMTP";
    return envelope;
  }

  std::string directory_;
};

TEST_F(SpoolFilesTest, ReadPrefixReturnsAtMostTheLimit) {
  std::string path = write("file", "0123456789");
  auto head = read_prefix(path, 4);
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(*head, "0123");
  auto whole = read_prefix(path, 1000);
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, "0123456789");
  auto none = read_prefix(path, 0);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "");
}

TEST_F(SpoolFilesTest, ReadPrefixKeepsEveryByte) {
  std::string bytes = std::string("a\0b\r\n", 5) + "\xFF";
  auto head = read_prefix(write("binary", bytes), 100);
  ASSERT_TRUE(head);
  EXPECT_EQ(*head, bytes);
}

TEST_F(SpoolFilesTest, ReadPrefixOfAMissingFileNamesIt) {
  std::string path = directory_ + "/missing";
  auto head = read_prefix(path, 10);
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().message, "open " + path + ": No such file or directory");
}

TEST_F(SpoolFilesTest, ReadHeaderDecodesTheEnvelope) {
  Envelope written = envelope(2);
  std::string header = encode_envelope(written);
  auto read = read_header(write(written.queue_id, header + "Subject: hi\r\n\r\nbody\r\n"));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->data_offset, header.size());
  EXPECT_EQ(read->envelope.queue_id, written.queue_id);
  EXPECT_EQ(read->envelope.sender, "alice@example.org");
  ASSERT_EQ(read->envelope.recipients.size(), 2u);
  EXPECT_EQ(read->envelope.recipients[1].address, "recipient-1@example.org");
  EXPECT_EQ(read->envelope.arrival_time, 1700000000);
}

// The first read takes 64 KiB; a longer header (many recipients) needs a second, longer read.
TEST_F(SpoolFilesTest, ReadHeaderLongerThanTheFirstRead) {
  Envelope written = envelope(3000);
  std::string header = encode_envelope(written);
  ASSERT_GT(header.size(), 64u * 1024);
  std::string data(100 * 1024, 'x');
  auto read = read_header(write(written.queue_id, header + data));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->data_offset, header.size());
  ASSERT_EQ(read->envelope.recipients.size(), 3000u);
  EXPECT_EQ(read->envelope.recipients.back().address, "recipient-2999@example.org");
  EXPECT_EQ(read->envelope.protocol, "ESMTP");  // records after the first 64 KiB are read too
}

TEST_F(SpoolFilesTest, ReadHeaderOfATruncatedLongHeaderIsAnError) {
  std::string header = encode_envelope(envelope(3000));
  auto read = read_header(write("truncated", header.substr(0, 70 * 1024)));
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().message, "spool file shorter than its header");
}

TEST_F(SpoolFilesTest, ReadHeaderOfAForeignFileIsAnError) {
  auto read = read_header(write("foreign", "From alice Mon Jan  1 00:00:00 2024\n"));
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().message, "not a tern spool file");
  auto empty = read_header(write("empty", ""));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "not a tern spool file");
  auto missing = read_header(directory_ + "/missing");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
}

TEST_F(SpoolFilesTest, ListQueueIdsSkipsForeignNamesAndResultsAndSorts) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(new_queue_id());
  // Created newest first, so the directory order is unlikely to be the arrival order.
  for (auto id = ids.rbegin(); id != ids.rend(); ++id) {
    write(*id, "x");
    write(*id + ".results", "schedule 1 1\n");
  }
  write("not-a-queue-id", "x");
  write(ids[0].substr(0, 18), "x");   // one digit short
  write(ids[0] + "0", "x");           // one digit long
  write("6567a1b2c30f1a20003", "x");  // lower case: not ours
  fs::create_directory(directory_ + "/" + new_queue_id() + ".d");
  EXPECT_EQ(list_queue_ids(directory_), ids);
}

TEST_F(SpoolFilesTest, ListQueueIdsOfAMissingOrEmptyFolderIsEmpty) {
  EXPECT_TRUE(list_queue_ids(directory_).empty());
  EXPECT_TRUE(list_queue_ids(directory_ + "/missing").empty());
}

TEST_F(SpoolFilesTest, NextAttemptTimeIsTheLastSchedule) {
  EXPECT_EQ(next_attempt_time(""), 0);
  EXPECT_EQ(next_attempt_time(encode_result(0, RecipientState::Deferred, 5, "busy")), 0);
  EXPECT_EQ(next_attempt_time(encode_schedule(1, 1700000300)), 1700000300);
  std::string log = encode_result(0, RecipientState::Deferred, 1700000000, "busy", "4.2.0") +
                    encode_schedule(1, 1700000300) +
                    encode_result(0, RecipientState::Deferred, 1700000300, "busy", "4.2.0") +
                    encode_schedule(2, 1700000900);
  EXPECT_EQ(next_attempt_time(log), 1700000900);
  // Results after the last schedule (its append failed) do not hide it.
  EXPECT_EQ(next_attempt_time(log + encode_result(0, RecipientState::Deferred, 7, "busy")),
            1700000900);
}

// A word "schedule" at the end of a status text is followed by the DSN field's space; it is not a
// record and must not hide the schedule line before it.
TEST_F(SpoolFilesTest, NextAttemptTimeIgnoresScheduleInsideARecord) {
  std::string log =
      encode_schedule(1, 1700000300) + encode_result(0, RecipientState::Deferred, 1700000000,
                                                     "not within the delivery schedule", "4.3.0");
  ASSERT_NE(log.find("schedule 4.3.0"), std::string::npos) << log;
  EXPECT_EQ(next_attempt_time(log), 1700000300);
}

// A crash mid-append leaves a final line without its newline: not a record, so the time comes from
// the last complete schedule line, as apply_results reads the log.
TEST_F(SpoolFilesTest, NextAttemptTimeIgnoresATornLastLine) {
  std::string complete = encode_schedule(1, 1700000300);
  for (std::string torn : {"schedule 2 17000", "schedule 2 ", "schedule 2", "sched"}) {
    EXPECT_EQ(next_attempt_time(complete + torn), 1700000300) << torn;
  }
  EXPECT_EQ(next_attempt_time("schedule 1 1700000300"), 0);  // nothing complete at all
  Envelope read = envelope(1);
  ASSERT_TRUE(apply_results(complete + "schedule 2 17000", read));
  EXPECT_EQ(read.next_attempt_time, next_attempt_time(complete + "schedule 2 17000"));
}

}  // namespace
}  // namespace tern::queue
