// Log lines carry Postfix's severity words: nothing for information, "warning: " for warnings.
#include "base/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace tern {
namespace {

TEST(LoggingTest, WritesPostfixShapedLinesToTheFile) {
  std::string path = testing::TempDir() + "/tern-logging-" + std::to_string(::getpid()) + ".log";
  ASSERT_TRUE(init_logging("ternd", path));
  spdlog::info("connect from unknown[127.0.0.1]");
  spdlog::warn("non-SMTP command from unknown[127.0.0.1]: CONNECT");
  spdlog::default_logger()->flush();
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string log = text.str();
  EXPECT_NE(log.find("ternd[" + std::to_string(::getpid()) + "]: connect from unknown[127.0.0.1]\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("]: warning: non-SMTP command from"), std::string::npos) << log;
  ::unlink(path.c_str());
}

TEST(LoggingTest, UnwritableFileIsAnError) {
  Status status = init_logging("ternd-bad", "/dev/null/x/mail.log");
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("/dev/null/x/mail.log"), std::string::npos);
}

}  // namespace
}  // namespace tern
