// Maildir delivery: tmp/new/cur creation, prefix plus exact bytes from the spool file at an offset,
// deterministic unique names, no duplicate on a repeated delivery (new/, and cur/ after a crash).
#include "delivery/maildir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace tern::delivery {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

class MaildirTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-maildir-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    maildir_ = root_ + "/mail/example.org/bob/Maildir/";
    source_path_ = root_ + "/spoolfile";
    std::ofstream(source_path_, std::ios::binary) << kHeader << kData;
    source_fd_ = ::open(source_path_.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(source_fd_, 0);
  }
  void TearDown() override {
    if (source_fd_ >= 0) ::close(source_fd_);
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  MaildirMessage message(const std::string& name) const {
    MaildirMessage message;
    message.maildir = maildir_;
    message.unique_name = name;
    message.prefix = "Return-Path: <alice@example.org>\r\nDelivered-To: bob@example.org\r\n";
    message.source_fd = source_fd_;
    message.offset = kHeader.size();
    message.length = kData.size();
    return message;
  }

  static std::vector<std::string> names(const std::string& folder) {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(folder)) {
      found.push_back(entry.path().filename());
    }
    return found;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  const std::string kHeader = "TERN-QUEUE 1 0000000030\nend\n";
  const std::string kData = "Subject: hi\r\n\r\n\0binary\xFF\r\n.\r\nlast line\r\n"s;
  std::string root_;
  std::string maildir_;
  std::string source_path_;
  int source_fd_ = -1;
};

// A failure carries the errno of the call that failed, so the local agent can tell a full disk
// (ENOSPC: 4.3.1) from other trouble; nothing is left in tmp/ or new/.
TEST_F(MaildirTest, FailureNamesTheSystemError) {
  fs::create_directories(maildir_);
  std::ofstream(maildir_ + "tmp") << "a file where tmp/ should be";
  auto delivered = deliver_to_maildir(message("name"), false);
  ASSERT_FALSE(delivered);
  EXPECT_EQ(delivered.error().system_error, ENOTDIR);
  EXPECT_NE(delivered.error().message.find("create"), std::string::npos)
      << delivered.error().message;
  EXPECT_TRUE(names(maildir_ + "new").empty());
}

TEST_F(MaildirTest, DeliverCreatesFoldersAndWritesPrefixAndExactBytes) {
  std::string name = maildir_unique_name(1700000000, "0123456789ABCDEF012", 0, 0, "mx.example.org");
  auto delivered = deliver_to_maildir(message(name), false);
  ASSERT_TRUE(delivered) << delivered.error().message;
  EXPECT_EQ(*delivered, MaildirOutcome::Delivered);
  for (const char* sub : {"tmp", "new", "cur"})
    EXPECT_TRUE(fs::is_directory(maildir_ + sub)) << sub;
  EXPECT_EQ(names(maildir_ + "new"), std::vector<std::string>{name});
  EXPECT_TRUE(names(maildir_ + "tmp").empty());
  EXPECT_TRUE(names(maildir_ + "cur").empty());
  EXPECT_EQ(read(maildir_ + "new/" + name),
            "Return-Path: <alice@example.org>\r\nDelivered-To: bob@example.org\r\n" + kData);
  EXPECT_TRUE(sync_new_directory(maildir_));
}

TEST_F(MaildirTest, LargeMessageIsCopiedExactly) {
  std::string big(300 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  std::ofstream(source_path_, std::ios::binary | std::ios::app) << big;
  MaildirMessage big_message = message("big");
  big_message.length = kData.size() + big.size();
  big_message.prefix = "";
  auto delivered = deliver_to_maildir(big_message, false);
  ASSERT_TRUE(delivered) << delivered.error().message;
  EXPECT_TRUE(read(maildir_ + "new/big") == kData + big);
}

TEST_F(MaildirTest, UniqueNameFormat) {
  EXPECT_EQ(maildir_unique_name(1700000000, "0123456789ABCDEF012", 3, 1, "mx.example.org"),
            "1700000000.T0123456789ABCDEF012R3D1.mx.example.org");
  std::string name = maildir_unique_name(1700000000, "0123456789ABCDEF012", 0, 0, "host");
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(^\d+\.T[0-9A-F]{19}R\d+D\d+\.[^/:]+$)")));
  // Different recipient or target: different names (one copy each).
  EXPECT_NE(maildir_unique_name(1, "A", 0, 1, "h"), maildir_unique_name(1, "A", 1, 0, "h"));
  EXPECT_NE(maildir_unique_name(1, "A", 1, 0, "h"), maildir_unique_name(1, "A", 10, 0, "h"));
}

TEST_F(MaildirTest, HostnameSlashAndColonAreEscaped) {
  std::string name = maildir_unique_name(5, "ABC", 0, 0, "evil/../host:2,S");
  EXPECT_EQ(name, "5.TABCR0D0.evil\\057..\\057host\\0722,S");
  EXPECT_EQ(name.find('/'), std::string::npos);
  EXPECT_EQ(name.find(':'), std::string::npos);
}

TEST_F(MaildirTest, SecondDeliveryWithTheSameNameIsAlreadyThere) {
  std::string name = maildir_unique_name(1700000000, "0123456789ABCDEF012", 0, 0, "h");
  ASSERT_TRUE(deliver_to_maildir(message(name), false));
  for (bool check_cur : {false, true}) {
    auto again = deliver_to_maildir(message(name), check_cur);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, MaildirOutcome::AlreadyThere);
  }
  EXPECT_EQ(names(maildir_ + "new").size(), 1u);
  EXPECT_TRUE(names(maildir_ + "tmp").empty());
}

TEST_F(MaildirTest, CopyAlreadyMovedToCurIsFoundOnlyWhenAsked) {
  std::string name = maildir_unique_name(1700000000, "0123456789ABCDEF012", 0, 0, "h");
  ASSERT_TRUE(deliver_to_maildir(message(name), false));
  // The reader saw it: new/NAME became cur/NAME:2,S.
  fs::rename(maildir_ + "new/" + name, maildir_ + "cur/" + name + ":2,S");
  auto recovered = deliver_to_maildir(message(name), true);
  ASSERT_TRUE(recovered);
  EXPECT_EQ(*recovered, MaildirOutcome::AlreadyThere);
  EXPECT_TRUE(names(maildir_ + "new").empty());
  auto unchecked = deliver_to_maildir(message(name), false);
  ASSERT_TRUE(unchecked);
  EXPECT_EQ(*unchecked, MaildirOutcome::Delivered);
  EXPECT_EQ(names(maildir_ + "new").size(), 1u);
}

TEST_F(MaildirTest, OnlyAnExactNameInCurCounts) {
  std::string name = maildir_unique_name(1700000000, "0123456789ABCDEF012", 1, 0, "h");
  fs::create_directories(maildir_ + "cur");
  // R1 vs R10 and a name that merely starts the same way are other messages.
  std::ofstream(maildir_ + "cur/" +
                maildir_unique_name(1700000000, "0123456789ABCDEF012", 10, 0, "h") + ":2,S");
  std::ofstream(maildir_ + "cur/" + name + "x:2,S");
  auto delivered = deliver_to_maildir(message(name), true);
  ASSERT_TRUE(delivered);
  EXPECT_EQ(*delivered, MaildirOutcome::Delivered);
  // Moved to cur/ without flags it is still the same message.
  fs::rename(maildir_ + "new/" + name, maildir_ + "cur/" + name);
  auto again = deliver_to_maildir(message(name), true);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, MaildirOutcome::AlreadyThere);
}

TEST_F(MaildirTest, ShortSourceIsAnErrorAndLeavesNoFile) {
  MaildirMessage short_message = message("short");
  short_message.length = kData.size() + 100;
  EXPECT_FALSE(deliver_to_maildir(short_message, false));
  EXPECT_TRUE(names(maildir_ + "new").empty());
  EXPECT_TRUE(names(maildir_ + "tmp").empty());
}

TEST_F(MaildirTest, UncreatableMaildirIsAnError) {
  std::ofstream(root_ + "/file") << "x";
  MaildirMessage blocked = message("x");
  blocked.maildir = root_ + "/file/Maildir/";
  EXPECT_FALSE(deliver_to_maildir(blocked, false));
  EXPECT_FALSE(sync_new_directory(root_ + "/nowhere/Maildir/"));
}

}  // namespace
}  // namespace tern::delivery
