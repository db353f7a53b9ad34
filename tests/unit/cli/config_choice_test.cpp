// Which main.cf a `tern` subcommand reads: the given path (named in its errors), else
// /etc/tern/main.cf, else the embedded default.
#include "cli/config_choice.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tern::cli {
namespace {

class ConfigChoiceTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-config-choice-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
};

TEST_F(ConfigChoiceTest, GivenPathIsRead) {
  std::string path = write("main.cf", "queue_directory = " + dir_ +
                                          "/spool\n"
                                          "myhostname = mail.example.org\n"
                                          "alias_maps =\n"
                                          "local_recipient_maps =\n");
  auto chosen = load_chosen_config(path);
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ(chosen->name, path);
  EXPECT_EQ(chosen->loaded.config.queue_directory, dir_ + "/spool");
  EXPECT_EQ(chosen->loaded.config.myhostname, "mail.example.org");
}

TEST_F(ConfigChoiceTest, MissingGivenPathIsAnErrorNamingIt) {
  std::string path = dir_ + "/no-such-main.cf";
  auto chosen = load_chosen_config(path);
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().message, path + ": cannot open: No such file or directory");
}

TEST_F(ConfigChoiceTest, InvalidGivenFileIsAnErrorNamingIt) {
  std::string path = write("main.cf", "smtpd_timeout = forever\n");
  auto chosen = load_chosen_config(path);
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().message.rfind(path + ":", 0), 0u) << chosen.error().message;
}

TEST_F(ConfigChoiceTest, WithoutAPathTheEmbeddedDefaultIsUsed) {
  if (::access("/etc/tern/main.cf", F_OK) == 0) {
    GTEST_SKIP() << "/etc/tern/main.cf exists here: it would be chosen";
  }
  auto chosen = load_chosen_config("");
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ(chosen->name, "(embedded default)");
  EXPECT_EQ(chosen->loaded.config.queue_directory, "run/spool");  // what `make run` uses
}

}  // namespace
}  // namespace tern::cli
