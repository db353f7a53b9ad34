// `tern user`: command-line parsing into UserCommand, then each action against a temporary users
// file with given streams and password reader: exit statuses, one-line errors, checks made before
// any password is asked for, the users file found through the config.
#include "cli/user_command.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/password_hash.hpp"

namespace tern::cli {
namespace {

class UserCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tern-user-command-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    users_ = dir_ + "/users";
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  std::string write(const std::string& name, std::string_view text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // Runs `action name` on users_ with `password` as what the reader returns.
  int run(UserAction action, std::string name, Result<std::string> password = std::string("pw"),
          std::string config_path = {}) {
    UserCommand command;
    command.action = action;
    command.name = std::move(name);
    command.users_file = config_path.empty() ? users_ : std::string();
    command.config_path = std::move(config_path);
    out_.str("");
    errors_.str("");
    prompts_ = 0;
    return run_user_command(
        command,
        [&] {
          ++prompts_;
          return password;
        },
        out_, errors_);
  }
  // The stored password of the line starting with `name:`.
  std::string stored_password(std::string_view name) {
    std::istringstream lines(read(users_));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.starts_with(std::string(name) + ":")) {
        std::string rest = line.substr(name.size() + 1);
        return rest.substr(0, rest.find(':'));
      }
    }
    return {};
  }

  std::string dir_;
  std::string users_;
  std::ostringstream out_;
  std::ostringstream errors_;
  int prompts_ = 0;
};

TEST_F(UserCommandTest, AddCreatesTheFileWithAYescryptHashAndMode0640) {
  EXPECT_EQ(run(UserAction::Add, "Alice@Example.org", std::string("s3cret")), 0) << errors_.str();
  EXPECT_EQ(errors_.str(), "");
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(prompts_, 1);
  std::string stored = stored_password("alice@example.org");
  EXPECT_TRUE(stored.starts_with("{CRYPT}$y$")) << stored;
  EXPECT_TRUE(auth::verify_password("s3cret", stored));
  EXPECT_TRUE(read(users_).ends_with("::::::\n"));
  struct stat status {};
  ASSERT_EQ(::stat(users_.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0640u);
}

TEST_F(UserCommandTest, AddKeepsOtherLinesAndTheFileMode) {
  write("users", "# users\n\nbob@example.org:{PLAIN}b:1:1::/home/bob::quota=1G\n");
  ASSERT_EQ(::chmod(users_.c_str(), 0600), 0);
  EXPECT_EQ(run(UserAction::Add, "alice@example.org"), 0) << errors_.str();
  std::string text = read(users_);
  EXPECT_TRUE(
      text.starts_with("# users\n\nbob@example.org:{PLAIN}b:1:1::/home/bob::quota=1G\n"
                       "alice@example.org:{CRYPT}$y$"))
      << text;
  struct stat status {};
  ASSERT_EQ(::stat(users_.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0600u);
}

TEST_F(UserCommandTest, AddOfAnExistingUserFailsBeforeAskingForAPassword) {
  write("users", "alice@example.org:{PLAIN}a::::::\n");
  EXPECT_EQ(run(UserAction::Add, "ALICE@example.org"), 1);
  EXPECT_EQ(errors_.str(), "tern: user alice@example.org already exists\n");
  EXPECT_EQ(prompts_, 0);
  EXPECT_EQ(read(users_), "alice@example.org:{PLAIN}a::::::\n");
}

TEST_F(UserCommandTest, InvalidNamesAreUsageErrors) {
  EXPECT_EQ(run(UserAction::Add, "a b@example.org"), 2);
  EXPECT_EQ(errors_.str(), "tern: invalid user name \"a b@example.org\": contains whitespace\n");
  EXPECT_EQ(run(UserAction::Delete, "x:y"), 2);
  EXPECT_EQ(errors_.str(), "tern: invalid user name \"x:y\": contains ':'\n");
  EXPECT_EQ(prompts_, 0);
  EXPECT_FALSE(std::filesystem::exists(users_));
}

TEST_F(UserCommandTest, EmptyPasswordAndReaderErrorsChangeNothing) {
  write("users", "bob::::::\n");
  EXPECT_EQ(run(UserAction::Add, "alice", std::string()), 1);
  EXPECT_EQ(errors_.str(), "tern: empty password refused\n");
  EXPECT_EQ(run(UserAction::Passwd, "bob", Error{"the passwords do not match"}), 1);
  EXPECT_EQ(errors_.str(), "tern: the passwords do not match\n");
  EXPECT_EQ(run(UserAction::Add, "alice", std::string("a\0b", 3)), 1);
  EXPECT_EQ(errors_.str(), "tern: password contains a NUL byte\n");
  EXPECT_EQ(read(users_), "bob::::::\n");
}

TEST_F(UserCommandTest, PasswdChangesOnlyThatUsersPassword) {
  write("users", "alice:{PLAIN}old:1:2::/home/alice::\nbob:{PLAIN}bob::::::\n");
  EXPECT_EQ(run(UserAction::Passwd, "alice", std::string("new password")), 0) << errors_.str();
  std::string stored = stored_password("alice");
  EXPECT_TRUE(auth::verify_password("new password", stored));
  EXPECT_FALSE(auth::verify_password("old", stored));
  EXPECT_EQ(read(users_), "alice:" + stored + ":1:2::/home/alice::\nbob:{PLAIN}bob::::::\n");
}

TEST_F(UserCommandTest, PasswdOfAMissingUserFailsBeforeAskingForAPassword) {
  write("users", "bob::::::\n");
  EXPECT_EQ(run(UserAction::Passwd, "alice@example.org"), 1);
  EXPECT_EQ(errors_.str(), "tern: user alice@example.org does not exist\n");
  EXPECT_EQ(prompts_, 0);
}

TEST_F(UserCommandTest, DeleteRemovesTheUserWithoutAPassword) {
  write("users", "# keep\nalice::::::\nbob::::::\n");
  EXPECT_EQ(run(UserAction::Delete, "Alice"), 0) << errors_.str();
  EXPECT_EQ(prompts_, 0);
  EXPECT_EQ(read(users_), "# keep\nbob::::::\n");
  EXPECT_EQ(run(UserAction::Delete, "alice"), 1);
  EXPECT_EQ(errors_.str(), "tern: user alice does not exist\n");
}

TEST_F(UserCommandTest, ListPrintsNamesNeverHashes) {
  write("users", "# c\nalice@example.org:{CRYPT}$y$x$y::::::\nBob:{PLAIN}secret\n");
  EXPECT_EQ(run(UserAction::List, ""), 0);
  EXPECT_EQ(out_.str(), "alice@example.org\nbob\n");
  EXPECT_EQ(errors_.str(), "");
  EXPECT_EQ(prompts_, 0);
}

TEST_F(UserCommandTest, AMissingFileIsAnErrorExceptForAdd) {
  for (UserAction action : {UserAction::List, UserAction::Passwd, UserAction::Delete}) {
    EXPECT_EQ(run(action, "alice"), 1);
    EXPECT_EQ(errors_.str(), "tern: cannot read " + users_ + ": No such file or directory\n");
  }
  EXPECT_EQ(prompts_, 0);
}

TEST_F(UserCommandTest, TheUsersFileComesFromTheConfig) {
  std::string main_cf = write("main.cf", "local_recipient_maps = passwd-file:" + users_ + "\n");
  EXPECT_EQ(run(UserAction::Add, "carol", std::string("pw"), main_cf), 0) << errors_.str();
  EXPECT_TRUE(read(users_).starts_with("carol:{CRYPT}$y$"));
  EXPECT_EQ(run(UserAction::List, "", std::string("pw"), main_cf), 0) << errors_.str();
  EXPECT_EQ(out_.str(), "carol\n");
}

TEST_F(UserCommandTest, ConfigErrorsAreOneLine) {
  std::string no_users = write("main.cf", "local_recipient_maps =\n");
  EXPECT_EQ(run(UserAction::List, "", std::string("pw"), no_users), 1);
  EXPECT_EQ(errors_.str(), "tern: " + no_users +
                               ": local_recipient_maps names no passwd-file: table; use --file\n");
  std::string missing = dir_ + "/absent.cf";
  EXPECT_EQ(run(UserAction::List, "", std::string("pw"), missing), 1);
  EXPECT_EQ(errors_.str(), "tern: " + missing + ": cannot open: No such file or directory\n");
}

TEST(ReadPasswordLineTest, OneLineWithoutItsEnd) {
  std::istringstream crlf("pass word\r\nnext\n");
  EXPECT_EQ(*read_password_line(crlf), "pass word");
  std::istringstream no_newline("last");
  EXPECT_EQ(*read_password_line(no_newline), "last");
  std::istringstream empty_line("\n");
  EXPECT_EQ(*read_password_line(empty_line), "");
  std::istringstream nothing("");
  auto none = read_password_line(nothing);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message, "no password on standard input");
}

// Parses a `tern ...` command line the way run_tern_cli declares `user`.
UserCommand parse(std::vector<std::string> arguments) {
  CLI::App app;
  UserCommand command;
  CLI::App* user = add_user_subcommand(app, command);
  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
  app.parse(reversed);
  EXPECT_TRUE(user->parsed());
  return command;
}

TEST(UserCommandLineTest, OptionsMayComeBeforeOrAfterTheVerb) {
  UserCommand add = parse({"user", "add", "alice@example.org", "--stdin", "-f", "/tmp/u"});
  EXPECT_EQ(add.action, UserAction::Add);
  EXPECT_EQ(add.name, "alice@example.org");
  EXPECT_TRUE(add.password_from_stdin);
  EXPECT_EQ(add.users_file, "/tmp/u");

  UserCommand passwd = parse({"user", "-c", "/etc/x.cf", "passwd", "bob"});
  EXPECT_EQ(passwd.action, UserAction::Passwd);
  EXPECT_EQ(passwd.name, "bob");
  EXPECT_FALSE(passwd.password_from_stdin);
  EXPECT_EQ(passwd.config_path, "/etc/x.cf");

  EXPECT_EQ(parse({"user", "del", "bob"}).action, UserAction::Delete);
  EXPECT_EQ(parse({"user", "delete", "bob"}).action, UserAction::Delete);
  EXPECT_EQ(parse({"user", "list", "--file", "/tmp/u"}).users_file, "/tmp/u");
}

TEST(UserCommandLineTest, UsageErrors) {
  for (std::vector<std::string> arguments : std::vector<std::vector<std::string>>{
           {"user"}, {"user", "add"}, {"user", "list", "--stdin"}, {"user", "del", "a", "b"}}) {
    CLI::App app;
    UserCommand command;
    add_user_subcommand(app, command);
    std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
    EXPECT_THROW(app.parse(reversed), CLI::ParseError) << arguments.size();
  }
}

}  // namespace
}  // namespace tern::cli
