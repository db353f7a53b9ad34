// The local delivery agent over a real spool-format file and an in-memory recipient directory:
// users, aliases, sub-addresses, unknown users, other domains, size limit, crash redelivery.
#include "delivery/local_agent.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "queue/spool_format.hpp"

namespace tern::delivery {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using queue::RecipientResult;
using queue::RecipientState;

config::LocalUser user(std::string name) {
  config::LocalUser user;
  user.name = std::move(name);
  return user;
}

// A recipient with only its address set.
queue::Recipient recipient(std::string address) {
  queue::Recipient recipient;
  recipient.address = std::move(address);
  return recipient;
}

class LocalAgentTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-local-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    config_.mydestination = {"example.org"};
    config_.myorigin = "example.org";
    config_.mail_root = root_ + "/mail";
    config_.recipient_delimiter = "+";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  config::RecipientDirectory directory() const {
    config::AliasTable aliases;
    aliases.entries["team"] = {"alice", "bob"};
    aliases.entries["outside"] = {"someone@example.net"};
    return config::RecipientDirectory(config_, {user("alice@example.org"), user("bob@example.org")},
                                      aliases);
  }

  // Writes a spool file as Spool would: header then the exact data.
  void queue_message(std::vector<std::string> recipients) {
    envelope_ = queue::Envelope{};
    envelope_.queue_id = "0123456789ABCDEF012";
    envelope_.sender = "sender@example.net";
    envelope_.arrival_time = 1700000000;
    for (const std::string& address : recipients)
      envelope_.recipients.push_back(recipient(address));
    header_ = queue::encode_envelope(envelope_);
    spool_file_ = root_ + "/" + envelope_.queue_id;
    std::ofstream(spool_file_, std::ios::binary) << header_ << kData;
  }

  std::vector<RecipientResult> deliver(std::vector<std::size_t> pending, bool recovered = false) {
    config::RecipientDirectory recipients = directory();
    LocalDeliveryAgent agent(config_, recipients, {"mx.example.org"});
    queue::DeliveryJob job{envelope_, spool_file_, header_.size(), pending, recovered};
    return agent.deliver(job);
  }

  std::string maildir(const std::string& user) const {
    return config_.mail_root + "/example.org/" + user + "/Maildir/";
  }
  // Every message file of a Maildir (new/ and cur/), contents in name order.
  static std::vector<std::string> messages(const std::string& maildir) {
    std::vector<std::string> found;
    for (const char* sub : {"new", "cur"}) {
      if (!fs::is_directory(maildir + sub)) continue;
      for (const auto& entry : fs::directory_iterator(maildir + sub)) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        found.push_back(text.str());
      }
    }
    return found;
  }

  const std::string kData = "From: sender@example.net\r\nSubject: t\r\n\r\nbody \0\xFF\r\n"s;
  std::string root_;
  config::Config config_;
  queue::Envelope envelope_;
  std::string header_;
  std::string spool_file_;
};

TEST_F(LocalAgentTest, LocalUserGetsReturnPathDeliveredToAndTheExactData) {
  queue_message({"alice@example.org"});
  auto results = deliver({0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].index, 0u);
  EXPECT_EQ(results[0].state, RecipientState::Delivered) << results[0].text;
  EXPECT_EQ(results[0].dsn, "2.0.0");
  EXPECT_EQ(results[0].relay, "local");
  auto copies = messages(maildir("alice"));
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0],
            "Return-Path: <sender@example.net>\r\nDelivered-To: alice@example.org\r\n" + kData);
}

TEST_F(LocalAgentTest, NullSenderHasAnEmptyReturnPath) {
  queue_message({"alice@example.org"});
  envelope_.sender = "";
  ASSERT_EQ(deliver({0})[0].state, RecipientState::Delivered);
  auto copies = messages(maildir("alice"));
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].rfind("Return-Path: <>\r\n", 0), 0u);
}

TEST_F(LocalAgentTest, AliasToTwoUsersFillsBothMaildirs) {
  queue_message({"team@example.org"});
  auto results = deliver({0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Delivered) << results[0].text;
  auto alice = messages(maildir("alice"));
  auto bob = messages(maildir("bob"));
  ASSERT_EQ(alice.size(), 1u);
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_NE(alice[0].find("Delivered-To: alice@example.org\r\n"), std::string::npos) << alice[0];
  EXPECT_NE(bob[0].find("Delivered-To: bob@example.org\r\n"), std::string::npos) << bob[0];
  EXPECT_TRUE(alice[0].ends_with(kData));
  EXPECT_TRUE(bob[0].ends_with(kData));
}

TEST_F(LocalAgentTest, SubAddressGoesToTheUsersMaildir) {
  queue_message({"alice+lists@example.org"});
  auto results = deliver({0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Delivered) << results[0].text;
  auto copies = messages(maildir("alice"));
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_TRUE(copies[0].ends_with(kData));
  EXPECT_FALSE(fs::exists(config_.mail_root + "/example.org/alice+lists"));
}

TEST_F(LocalAgentTest, UnknownUserBounces) {
  queue_message({"nobody@example.org"});
  auto results = deliver({0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Bounced);
  EXPECT_EQ(results[0].dsn, "5.1.1");
  EXPECT_FALSE(fs::exists(config_.mail_root + "/example.org/nobody"));
}

TEST_F(LocalAgentTest, OtherDomainIsNotItsBusiness) {
  queue_message({"alice@example.net"});
  auto results = deliver({0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Deferred);
  EXPECT_EQ(results[0].dsn, "4.3.5");
  EXPECT_FALSE(fs::exists(config_.mail_root));
}

TEST_F(LocalAgentTest, AliasToAnotherDomainIsDeferredWithoutAForwarder) {
  queue_message({"outside@example.org"});
  auto results = deliver({0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Deferred);
  EXPECT_EQ(results[0].dsn, "4.3.5");
}

TEST_F(LocalAgentTest, AliasToAnotherDomainIsForwarded) {
  queue_message({"outside@example.org"});
  config::RecipientDirectory recipients = directory();
  std::vector<std::string> asked;
  std::string delivered_to;
  LocalDeliveryAgent::Options options{"mx.example.org", [&](const auto& request) {
                                        asked = request.addresses;
                                        delivered_to = request.delivered_to;
                                        return Result<std::string>(std::string("NEWID"));
                                      }};
  LocalDeliveryAgent agent(config_, recipients, options);
  std::vector<std::size_t> pending{0};
  queue::DeliveryJob job{envelope_, spool_file_, header_.size(), pending, false};
  auto results = agent.deliver(job);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Delivered);
  EXPECT_EQ(results[0].text, "forwarded as NEWID");
  EXPECT_FALSE(asked.empty());
  EXPECT_EQ(delivered_to, "outside@example.org");
}

TEST_F(LocalAgentTest, MessageOverMailboxSizeLimitBounces) {
  queue_message({"alice@example.org"});
  config_.mailbox_size_limit = kData.size() - 1;
  auto results = deliver({0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Bounced);
  EXPECT_EQ(results[0].dsn, "5.2.2");
  EXPECT_TRUE(messages(maildir("alice")).empty());
  config_.mailbox_size_limit = kData.size();  // the limit itself is allowed
  EXPECT_EQ(deliver({0})[0].state, RecipientState::Delivered);
}

TEST_F(LocalAgentTest, OnlyPendingRecipientsAreDeliveredEachWithItsResult) {
  queue_message({"alice@example.org", "nobody@example.org", "bob@example.org"});
  auto results = deliver({1, 2});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].index, 1u);
  EXPECT_EQ(results[0].state, RecipientState::Bounced);
  EXPECT_EQ(results[1].index, 2u);
  EXPECT_EQ(results[1].state, RecipientState::Delivered);
  EXPECT_TRUE(messages(maildir("alice")).empty());
  EXPECT_EQ(messages(maildir("bob")).size(), 1u);
}

TEST_F(LocalAgentTest, RecoveredRedeliveryDoesNotDuplicate) {
  queue_message({"alice@example.org", "team@example.org"});
  auto first = deliver({0, 1});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].state, RecipientState::Delivered);
  EXPECT_EQ(first[1].state, RecipientState::Delivered);
  // The crash came before the results were recorded; meanwhile alice's reader moved hers to cur/.
  for (const auto& entry : fs::directory_iterator(maildir("alice") + "new")) {
    fs::rename(entry.path(), maildir("alice") + "cur/" + entry.path().filename().string() + ":2,S");
  }
  auto again = deliver({0, 1}, /*recovered=*/true);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].state, RecipientState::Delivered);
  EXPECT_EQ(again[1].state, RecipientState::Delivered);
  EXPECT_EQ(messages(maildir("alice")).size(), 2u);  // one as alice, one through the team alias
  EXPECT_EQ(messages(maildir("bob")).size(), 1u);
}

TEST_F(LocalAgentTest, MissingSpoolFileDefersEveryRecipient) {
  queue_message({"alice@example.org", "bob@example.org"});
  fs::remove(spool_file_);
  auto results = deliver({0, 1});
  ASSERT_EQ(results.size(), 2u);
  for (const RecipientResult& result : results) {
    EXPECT_EQ(result.state, RecipientState::Deferred);
    EXPECT_EQ(result.dsn, "4.3.0");
  }
}

TEST_F(LocalAgentTest, UnwritableMailRootDefers) {
  std::ofstream(root_ + "/blocked") << "x";
  config_.mail_root = root_ + "/blocked";
  queue_message({"alice@example.org"});
  auto results = deliver({0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, RecipientState::Deferred);
  EXPECT_EQ(results[0].dsn, "4.2.0");
}

}  // namespace
}  // namespace tern::delivery
