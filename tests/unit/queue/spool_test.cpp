// The spool: folder layout, incoming files while receiving, group commit into active/ with the
// header and exact data bytes, abort, concurrent commits, and commit failures reported as errors.
#include "queue/spool.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
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

class SpoolTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-spool-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    directory_ = root_ + "/spool";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(root_, fs::perms::owner_all, ignored);
    for (const auto& entry : fs::recursive_directory_iterator(root_, ignored)) {
      if (entry.is_directory(ignored)) fs::permissions(entry.path(), fs::perms::owner_all, ignored);
    }
    fs::remove_all(root_, ignored);
  }

  std::unique_ptr<Spool> open_spool() {
    auto spool = Spool::open(directory_);
    EXPECT_TRUE(spool) << (spool ? "" : spool.error().message);
    return spool ? std::move(*spool) : nullptr;
  }

  static Envelope envelope() {
    Envelope envelope;
    envelope.sender = "alice@example.org";
    envelope.recipients.push_back(
        Recipient{"bob@example.org", "", "", 0, RecipientState::Pending, ""});
    envelope.arrival_time = 1700000000;
    envelope.protocol = "ESMTP";
    return envelope;
  }

  // Commits and waits (bounded) for the committer's callback.
  static Status commit_and_wait(Spool& spool, IncomingMessage message) {
    auto promise = std::make_shared<std::promise<Status>>();
    auto future = promise->get_future();
    spool.commit(std::move(message), [promise](Status status) { promise->set_value(status); });
    if (future.wait_for(10s) != std::future_status::ready) return Error{"commit timed out"};
    return future.get();
  }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  static std::size_t count_files(const std::string& folder) {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder)) ++count;
    return count;
  }

  std::string root_;
  std::string directory_;
};

TEST_F(SpoolTest, OpenCreatesTheFolders) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->directory(), directory_);
  for (const char* folder : {"incoming", "active", "deferred", "hold", "corrupt"}) {
    EXPECT_TRUE(fs::is_directory(directory_ + "/" + folder)) << folder;
  }
  spool.reset();
  // Opening an existing spool again works and keeps what is there.
  std::ofstream(directory_ + "/active/keep") << "x";
  auto again = open_spool();
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(fs::exists(directory_ + "/active/keep"));
}

TEST_F(SpoolTest, OpenFailsWhereNoDirectoryCanBeMade) {
  std::ofstream(root_ + "/file") << "x";
  EXPECT_FALSE(Spool::open(root_ + "/file/spool"));
}

TEST_F(SpoolTest, BeginCreatesAnIncomingFile) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  Envelope message_envelope = envelope();
  auto message = spool->begin(message_envelope);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_TRUE(is_queue_id(message->queue_id()));
  EXPECT_EQ(message_envelope.queue_id, message->queue_id());
  EXPECT_TRUE(fs::exists(directory_ + "/incoming/" + message->queue_id()));
  EXPECT_FALSE(fs::exists(directory_ + "/active/" + message->queue_id()));
  EXPECT_EQ(message->data_size(), 0u);
}

TEST_F(SpoolTest, CommitMovesHeaderAndExactBytesIntoActive) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  Envelope message_envelope = envelope();
  auto message = spool->begin(message_envelope);
  ASSERT_TRUE(message);
  std::string id = message->queue_id();
  std::string data;
  for (std::string part : {std::string("Subject: small\r\n"), std::string("\r\n"),
                           std::string(1, '\0') + "\xFF\r\n.\r\n"}) {
    ASSERT_TRUE(message->write(part));
    data += part;
  }
  EXPECT_EQ(message->data_size(), data.size());
  Status committed = commit_and_wait(*spool, std::move(*message));
  ASSERT_TRUE(committed) << committed.error().message;
  EXPECT_FALSE(fs::exists(directory_ + "/incoming/" + id));
  std::string file = read_file(directory_ + "/active/" + id);
  auto header = decode_spool_header(file);
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ(header->envelope.queue_id, id);
  EXPECT_EQ(header->envelope.sender, "alice@example.org");
  ASSERT_EQ(header->envelope.recipients.size(), 1u);
  EXPECT_EQ(header->envelope.recipients[0].address, "bob@example.org");
  EXPECT_EQ(file.substr(header->data_offset), data);
  EXPECT_EQ(file.substr(0, header->data_offset), encode_envelope(message_envelope));
}

TEST_F(SpoolTest, LargeAndManySmallWritesKeepTheirOrder) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  Envelope message_envelope = envelope();
  auto message = spool->begin(message_envelope);
  ASSERT_TRUE(message);
  std::string id = message->queue_id();
  std::string data;
  auto add = [&](const std::string& part) {
    ASSERT_TRUE(message->write(part));
    data += part;
  };
  add("first line\r\n");
  std::string big(200 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 23);
  add(big);  // larger than the coalescing buffer: goes straight to the file
  for (int i = 0; i < 3000; ++i) add("line " + std::to_string(i) + " of small writes\r\n");
  add(std::string(64 * 1024, 'x'));  // exactly the buffer size
  add(std::string(64 * 1024 - 1, 'y'));
  add("last\r\n");
  EXPECT_EQ(message->data_size(), data.size());
  Status committed = commit_and_wait(*spool, std::move(*message));
  ASSERT_TRUE(committed) << committed.error().message;
  std::string file = read_file(directory_ + "/active/" + id);
  auto header = decode_spool_header(file);
  ASSERT_TRUE(header) << header.error().message;
  ASSERT_EQ(file.size() - header->data_offset, data.size());
  EXPECT_TRUE(file.substr(header->data_offset) == data);
}

TEST_F(SpoolTest, AbortRemovesTheIncomingFile) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  Envelope message_envelope = envelope();
  auto message = spool->begin(message_envelope);
  ASSERT_TRUE(message);
  std::string path = directory_ + "/incoming/" + message->queue_id();
  ASSERT_TRUE(message->write(std::string(100 * 1024, 'z')));
  ASSERT_TRUE(fs::exists(path));
  message->abort();
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(message->write("more"));  // a closed message refuses further data
  EXPECT_EQ(count_files(directory_ + "/active"), 0u);
}

TEST_F(SpoolTest, DestroyingAnUncommittedMessageRemovesItsFile) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  std::string path;
  {
    Envelope message_envelope = envelope();
    auto message = spool->begin(message_envelope);
    ASSERT_TRUE(message);
    path = directory_ + "/incoming/" + message->queue_id();
    ASSERT_TRUE(message->write("data\r\n"));
    // Moving keeps one owner: the moved-from object must not remove the file.
    IncomingMessage moved = std::move(*message);
    ASSERT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(count_files(directory_ + "/incoming"), 0u);
}

TEST_F(SpoolTest, CommittingAnAbortedMessageIsAnError) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  Envelope message_envelope = envelope();
  auto message = spool->begin(message_envelope);
  ASSERT_TRUE(message);
  std::string id = message->queue_id();
  message->abort();
  EXPECT_FALSE(commit_and_wait(*spool, std::move(*message)));
  EXPECT_FALSE(fs::exists(directory_ + "/active/" + id));
}

TEST_F(SpoolTest, ConcurrentCommitsAllLandInActive) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<int> done{0};
  std::mutex ids_mutex;
  std::vector<std::string> ids;
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Envelope message_envelope = envelope();
        auto message = spool->begin(message_envelope);
        if (!message) {
          ++failed;
          ++done;
          continue;
        }
        {
          std::lock_guard lock(ids_mutex);
          ids.push_back(message->queue_id());
        }
        std::string data = "From thread " + std::to_string(t) + " message " + std::to_string(i);
        if (!message->write(data)) ++failed;
        spool->commit(std::move(*message), [&](Status status) {
          ++(status ? ok : failed);
          ++done;
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  while (done.load() < kThreads * kPerThread && std::chrono::steady_clock::now() - start < 30s) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(done.load(), kThreads * kPerThread) << "commits did not finish in time";
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(count_files(directory_ + "/active"), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(count_files(directory_ + "/incoming"), 0u);
  for (const std::string& id : ids) {
    std::string file = read_file(directory_ + "/active/" + id);
    auto header = decode_spool_header(file);
    ASSERT_TRUE(header) << id;
    EXPECT_EQ(file.substr(header->data_offset).rfind("From thread ", 0), 0u) << id;
  }
}

TEST_F(SpoolTest, DestroyingTheSpoolFinishesPendingCommits) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    Envelope message_envelope = envelope();
    auto message = spool->begin(message_envelope);
    ASSERT_TRUE(message);
    ASSERT_TRUE(message->write("x"));
    spool->commit(std::move(*message), [&ok](Status status) { ok += status ? 1 : 0; });
  }
  spool.reset();  // joins the committer, which drains what was queued
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(count_files(directory_ + "/active"), 20u);
}

TEST_F(SpoolTest, CommitIntoAnUnwritableSpoolIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  Envelope message_envelope = envelope();
  auto message = spool->begin(message_envelope);
  ASSERT_TRUE(message);
  std::string id = message->queue_id();
  ASSERT_TRUE(message->write("data\r\n"));
  ASSERT_EQ(::chmod((directory_ + "/active").c_str(), 0500), 0);
  Status committed = commit_and_wait(*spool, std::move(*message));
  EXPECT_FALSE(committed);
  EXPECT_FALSE(fs::exists(directory_ + "/active/" + id));
  EXPECT_FALSE(fs::exists(directory_ + "/incoming/" + id));  // nothing half-done is left behind
  ::chmod((directory_ + "/active").c_str(), 0700);
}

// Runs as root too: the active folder vanishes under the spool, so the rename into it fails.
TEST_F(SpoolTest, CommitWhenActiveIsGoneIsAnError) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  Envelope message_envelope = envelope();
  auto message = spool->begin(message_envelope);
  ASSERT_TRUE(message);
  std::string id = message->queue_id();
  ASSERT_TRUE(message->write("data\r\n"));
  ASSERT_EQ(::rmdir((directory_ + "/active").c_str()), 0);
  Status committed = commit_and_wait(*spool, std::move(*message));
  ASSERT_FALSE(committed);
  EXPECT_NE(committed.error().message.find(id), std::string::npos) << committed.error().message;
  EXPECT_FALSE(fs::exists(directory_ + "/incoming/" + id));
  // A later message still gets its own answer once the folder is back.
  ASSERT_EQ(::mkdir((directory_ + "/active").c_str(), 0700), 0);
}

}  // namespace
}  // namespace tern::queue
