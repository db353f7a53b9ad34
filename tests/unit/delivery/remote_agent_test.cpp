// The remote agent's own decisions, without a remote server: a bad relayhost, nobody listening,
// an unreadable queue file. Sessions with real servers are tested end to end (test_outbound.py).
#include "delivery/remote_agent.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "queue/spool_format.hpp"

namespace tern::delivery {
namespace {

using queue::RecipientState;

class RemoteAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-remote-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    config_.myhostname = "mx.example.org";
    config_.smtp_helo_name = "mx.example.org";
    config_.smtp_connect_timeout_seconds = 2;
    envelope_.queue_id = "0123456789ABCDEF012";
    envelope_.sender = "alice@example.org";
    queue::Recipient recipient;
    recipient.address = "bob@remote.example";
    envelope_.recipients.push_back(recipient);
    header_ = queue::encode_envelope(envelope_);
    spool_file_ = root_ + "/" + envelope_.queue_id;
    std::ofstream(spool_file_, std::ios::binary) << header_ << "Subject: x\r\n\r\nbody\r\n";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::vector<queue::RecipientResult> deliver() {
    RemoteDeliveryAgent agent(config_, nullptr);
    std::vector<std::size_t> pending{0};
    queue::DeliveryJob job{envelope_, spool_file_, header_.size(), pending, false};
    return agent.deliver(job, pending);
  }

  std::string root_;
  config::Config config_;
  queue::Envelope envelope_;
  std::string header_;
  std::string spool_file_;
};

TEST_F(RemoteAgentTest, BadRelayhostDefers) {
  config_.relayhost = "[unclosed";
  auto results = deliver();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Deferred);
  EXPECT_EQ(results[0].dsn, "4.3.5");
}

TEST_F(RemoteAgentTest, NobodyListeningDefersWithTheConnectError) {
  config_.relayhost = "[127.0.0.1]:9";
  auto results = deliver();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Deferred);
  EXPECT_NE(results[0].text.find("127.0.0.1"), std::string::npos) << results[0].text;
  EXPECT_EQ(results[0].dsn.substr(0, 2), "4.");
}

TEST_F(RemoteAgentTest, UnreadableQueueFileDefers) {
  config_.relayhost = "[127.0.0.1]:9";
  std::filesystem::remove(spool_file_);
  auto results = deliver();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Deferred);
  EXPECT_EQ(results[0].text, "cannot open queue file");
}

}  // namespace
}  // namespace tern::delivery
