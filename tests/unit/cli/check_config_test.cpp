// `tern check-config`: exit status, "name = value" output, the no-effect line, and "tern:
// file:line:" errors.
#include "cli/check_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tern::cli {
namespace {

class CheckConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tern-check-config-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
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

  std::string dir_;
};

TEST_F(CheckConfigTest, ValidFilePrintsEffectiveValuesAndIgnoredParameters) {
  std::string users = write("users", "alice@example.org::::::\n");
  std::string aliases = write("aliases", "postmaster: alice\n");
  std::string main_cf = write("main.cf",
                              "myhostname = mail.example.org\n"
                              "biff = no\n"
                              "mydestination = $myhostname, localhost\n"
                              "alias_maps = texthash:" +
                                  aliases +
                                  "\n"
                                  "local_recipient_maps = passwd-file:" +
                                  users +
                                  "\n"
                                  "compatibility_level = 2\n");
  std::ostringstream out, errors;
  EXPECT_EQ(check_config(main_cf, out, errors), 0);
  EXPECT_EQ(out.str(),
            "myhostname = mail.example.org\n"
            "biff = no\n"
            "mydestination = mail.example.org, localhost\n"
            "alias_maps = texthash:" +
                aliases +
                "\n"
                "local_recipient_maps = passwd-file:" +
                users +
                "\n"
                "compatibility_level = 2\n"
                "# accepted without effect in tern: biff compatibility_level\n");
  EXPECT_EQ(errors.str(), "");  // notices are not printed
}

TEST_F(CheckConfigTest, NoIgnoredLineWhenEverythingTakesEffect) {
  std::string users = write("users", "alice\n");
  std::string main_cf =
      write("main.cf", "alias_maps =\nlocal_recipient_maps = passwd-file:" + users + "\n");
  std::ostringstream out, errors;
  EXPECT_EQ(check_config(main_cf, out, errors), 0);
  EXPECT_EQ(out.str().find("# accepted without effect"), std::string::npos) << out.str();
}

TEST_F(CheckConfigTest, WarningsAndUnavailableTablesGoToTheErrorStreamButStillPass) {
  std::string main_cf = write("main.cf", "alias_maps = hash:" + dir_ +
                                             "/missing-aliases\n"
                                             "local_recipient_maps = $alias_maps\n"
                                             "no_such_parameter = 1\n");
  std::ostringstream out, errors;
  EXPECT_EQ(check_config(main_cf, out, errors), 0);
  EXPECT_NE(errors.str().find(main_cf + ":3: warning: unknown parameter no_such_parameter"),
            std::string::npos)
      << errors.str();
  EXPECT_NE(errors.str().find("missing-aliases"), std::string::npos) << errors.str();
  EXPECT_EQ(out.str().find("no_such_parameter"), std::string::npos) << out.str();
}

TEST_F(CheckConfigTest, InvalidFileFailsWithFileAndLine) {
  struct Row {
    std::string_view text;
    int line;
  };
  const Row rows[] = {
      {"myhostname = a.example\nmessage_size_limit = abc\n", 2},
      {"# c\n\nsmtpd_helo_required = maybe\n", 3},
      {"myhostname = a.example\nthis line is broken\n", 2},
  };
  for (const Row& row : rows) {
    std::string main_cf = write("main.cf", row.text);
    std::ostringstream out, errors;
    EXPECT_EQ(check_config(main_cf, out, errors), 1) << row.text;
    std::string expected = "tern: " + main_cf + ":" + std::to_string(row.line) + ": ";
    EXPECT_EQ(errors.str().rfind(expected, 0), 0u) << errors.str();
    EXPECT_EQ(out.str(), "") << row.text;
  }
}

TEST_F(CheckConfigTest, MissingFileFails) {
  std::ostringstream out, errors;
  EXPECT_EQ(check_config(dir_ + "/no-main.cf", out, errors), 1);
  EXPECT_EQ(errors.str().rfind("tern: " + dir_ + "/no-main.cf", 0), 0u) << errors.str();
}

TEST_F(CheckConfigTest, EmptyPathChecksTheEmbeddedDefault) {
  std::ostringstream out, errors;
  EXPECT_EQ(check_config("", out, errors), 0) << errors.str();
  EXPECT_NE(out.str().find("smtpd_listen = 127.0.0.1:2525\n"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace tern::cli
