// The session coroutine in process: a real socket on loopback, a real spool in a temporary
// directory, and a blocking client on another thread. Checks what only the I/O glue can get wrong:
// pipelined batches, DATA framing across reads, BDAT octet counting, long lines, timeouts, and that
// a 250 means a file in active/.
#include "server/session.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

namespace tern::server {
namespace {

namespace fs = std::filesystem;

class SessionTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-session-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    config_.myhostname = "mail.example.test";
    config_.smtpd_banner = "mail.example.test ESMTP tern";
    config_.mydestination = {"example.test"};
    config_.myorigin = "example.test";
    config_.mail_root = root_ + "/mail";
    config_.queue_directory = root_ + "/spool";
    config_.smtpd_relay_restrictions = {"permit_mynetworks", "reject_unauth_destination"};
    config_.smtpd_forbidden_commands = {"CONNECT", "GET", "POST"};
    config_.message_size_limit = 100000;
    config_.smtpd_timeout_seconds = 2;
    config_.line_length_limit = 2048;
  }
  void TearDown() override { fs::remove_all(root_); }

  // Starts the server side: one accepted connection served by run_session on a background thread.
  unsigned short start() {
    auto spool = queue::Spool::open(config_.queue_directory);
    EXPECT_TRUE(spool) << (spool ? "" : spool.error().message);
    spool_ = std::move(spool.value());
    directory_ = std::make_shared<const config::RecipientDirectory>(
        config_, std::vector<config::LocalUser>{{"alice@example.test", "", ""}},
        config::AliasTable{});
    services_.config = &config_;
    settings_ = ProtocolSettings::from(config_, config::ListenerRole::Smtp, false);
    services_.directory = [this] { return directory_; };
    services_.spool = spool_.get();
    services_.message_queued = [this](const std::string& id) { queued_.push_back(id); };
    services_.limits = &limits_;
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(
        context_,
        [this]() -> asio::awaitable<void> {
          auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
          co_await run_session(std::move(socket), services_, settings_);
        },
        asio::detached);
    server_ = std::thread([this] { context_.run(); });
    return acceptor_.local_endpoint().port();
  }

  void finish() {
    if (server_.joinable()) server_.join();
    spool_.reset();
  }

  // Connects, sends `input` in one write, half-closes, and returns everything the server wrote.
  std::string converse(const std::string& input) {
    unsigned short port = start();
    asio::io_context client_context;
    asio::ip::tcp::socket client(client_context);
    client.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(client, asio::buffer(input));
    std::string output;
    asio::error_code error;
    char buffer[4096];
    while (true) {
      std::size_t n = client.read_some(asio::buffer(buffer), error);
      if (error) break;
      output.append(buffer, n);
    }
    finish();
    return output;
  }

  // Connects and sends `pieces` one by one, `gap` apart, then reads until the server closes.
  // Returns what the server wrote and how long after the first piece it closed.
  std::pair<std::string, std::chrono::steady_clock::duration> trickle(
      const std::vector<std::string>& pieces, std::chrono::milliseconds gap) {
    unsigned short port = start();
    asio::io_context client_context;
    asio::ip::tcp::socket client(client_context);
    client.connect({asio::ip::make_address("127.0.0.1"), port});
    auto started = std::chrono::steady_clock::now();
    asio::error_code error;
    for (const std::string& piece : pieces) {
      asio::write(client, asio::buffer(piece), error);
      if (error) break;
      std::this_thread::sleep_for(gap);
    }
    std::string output;
    char buffer[4096];
    while (true) {
      std::size_t n = client.read_some(asio::buffer(buffer), error);
      if (error) break;
      output.append(buffer, n);
    }
    auto closed_after = std::chrono::steady_clock::now() - started;
    finish();
    return {output, closed_after};
  }

  std::vector<std::string> active_files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(config_.queue_directory + "/active")) {
      if (entry.path().extension() != ".results") names.push_back(entry.path().filename());
    }
    return names;
  }

  std::string root_;
  config::Config config_;
  std::unique_ptr<queue::Spool> spool_;
  std::shared_ptr<const config::RecipientDirectory> directory_;
  policy::ConnectionLimits limits_{50, 100};
  SessionServices services_;
  ProtocolSettings settings_;
  std::vector<std::string> queued_;
  asio::io_context context_;
  asio::ip::tcp::acceptor acceptor_{context_};
  std::thread server_;
};

int count(const std::string& text, const std::string& needle) {
  int found = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++found;
  }
  return found;
}

TEST_F(SessionTest, WholePipelinedTransactionInOneWrite) {
  std::string output = converse(
      "EHLO client.example\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<nobody@example.test>\r\n"
      "RCPT TO:<alice@example.test>\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  std::regex expected(
      "220 mail.example.test ESMTP tern\r\n250-mail.example.test\r\n(250-.*\r\n)*250 CHUNKING\r\n"
      "250 2.1.0 Ok\r\n550 5.1.1 <nobody@example.test>: .*\r\n250 2.1.5 Ok\r\n"
      "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as [0-9A-F]+\r\n221 2.0.0 "
      "Bye\r\n");
  EXPECT_TRUE(std::regex_match(output, expected)) << output;
  ASSERT_EQ(queued_.size(), 1u);
  EXPECT_EQ(active_files(), std::vector<std::string>{queued_[0]});
}

TEST_F(SessionTest, SmugglingFormsDoNotEndData) {
  std::string output = converse(
      "HELO c\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"
      "one\n.\nMAIL FROM:<evil@x>\r\ntwo\r.\r\nthree\r\n.\nfour\n.\r\nRCPT "
      "TO:<alice@example.test>\r\n"
      ".\r\nQUIT\r\n");
  EXPECT_EQ(count(output, "queued as"), 1) << output;
  EXPECT_EQ(count(output, "250 2.1.0"), 1) << output;
  EXPECT_NE(output.find("221 2.0.0 Bye"), std::string::npos);
  ASSERT_EQ(queued_.size(), 1u);
  std::string file;
  {
    std::ifstream in(config_.queue_directory + "/active/" + queued_[0], std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(file.find("MAIL FROM:<evil@x>"), std::string::npos);
}

TEST_F(SessionTest, BdatChunksAreCountedExactly) {
  std::string output = converse(
      "EHLO c\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.test>\r\n"
      "BDAT 12\r\nSubject: x\r\nBDAT 8 LAST\r\n\r\nbody\r\nNOOP\r\nQUIT\r\n");
  EXPECT_NE(output.find("250 2.0.0 Ok: 12 octets received\r\n"), std::string::npos) << output;
  EXPECT_NE(output.find("queued as"), std::string::npos) << output;
  EXPECT_NE(output.find("250 2.0.0 Ok\r\n"), std::string::npos) << output;  // the NOOP after
}

TEST_F(SessionTest, OversizedMessageIsReadToItsEndAndRefused) {
  config_.message_size_limit = 1000;
  std::string body(5000, 'x');
  std::string output =
      converse("HELO c\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n" +
               body + "\r\n.\r\nNOOP\r\nQUIT\r\n");
  EXPECT_NE(output.find("552 5.3.4 Message size exceeds fixed limit\r\n250 2.0.0 Ok\r\n221"),
            std::string::npos)
      << output;
  EXPECT_TRUE(queued_.empty());
  EXPECT_TRUE(active_files().empty());
}

TEST_F(SessionTest, OverlongLineIsRefusedAndTheSessionContinues) {
  std::string output =
      converse("HELO c\r\nNOOP " + std::string(10000, 'a') + "\r\nNOOP\r\nQUIT\r\n");
  EXPECT_NE(output.find("500 5.5.0 Error: line too long\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye"),
            std::string::npos)
      << output;
}

TEST_F(SessionTest, IdleClientTimesOut) {
  config_.smtpd_timeout_seconds = 1;
  unsigned short port = start();
  asio::io_context client_context;
  asio::ip::tcp::socket client(client_context);
  client.connect({asio::ip::make_address("127.0.0.1"), port});
  std::string output;
  asio::error_code error;
  char buffer[1024];
  auto started = std::chrono::steady_clock::now();
  while (true) {
    std::size_t n = client.read_some(asio::buffer(buffer), error);
    if (error) break;
    output.append(buffer, n);
  }
  auto waited = std::chrono::steady_clock::now() - started;
  finish();
  EXPECT_NE(output.find("421 4.4.2 mail.example.test Error: timeout exceeded"), std::string::npos)
      << output;
  EXPECT_LT(waited, std::chrono::seconds(5));
}

// smtpd_timeout bounds a whole command line, not each read: one byte every 100 ms never finishes
// "NOOP xxx..." in time, so the client is cut off after about a second however often it sends.
TEST_F(SessionTest, ClientTricklingALineIsCutOffAtTheTimeout) {
  config_.smtpd_timeout_seconds = 1;
  std::vector<std::string> bytes;
  for (char c : std::string("NOOP ") + std::string(40, 'x')) bytes.emplace_back(1, c);
  auto [output, closed_after] = trickle(bytes, std::chrono::milliseconds(100));
  EXPECT_NE(output.find("421 4.4.2 mail.example.test Error: timeout exceeded"), std::string::npos)
      << output;
  EXPECT_EQ(output.find("250"), std::string::npos) << output;
  EXPECT_LT(closed_after, std::chrono::milliseconds(2500));
}

// Each complete line starts a new period: a slow but steady client is served.
TEST_F(SessionTest, CompleteLinesEachGetAFreshTimeout) {
  config_.smtpd_timeout_seconds = 1;
  auto [output, closed_after] =
      trickle({"HELO c\r\n", "NOOP\r\n", "NOOP\r\n", "NOOP\r\n", "QUIT\r\n"},
              std::chrono::milliseconds(600));
  EXPECT_EQ(count(output, "250 2.0.0 Ok\r\n"), 3) << output;
  EXPECT_NE(output.find("221 2.0.0 Bye"), std::string::npos) << output;
  EXPECT_EQ(output.find("421"), std::string::npos) << output;
}

// Inside DATA too, a line that never ends is cut off, and the client is told 421 as Postfix does.
TEST_F(SessionTest, TimeoutInsideDataIsAnswered421) {
  config_.smtpd_timeout_seconds = 1;
  std::vector<std::string> pieces{
      "HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"};
  for (int i = 0; i < 30; ++i) pieces.emplace_back("y");
  auto [output, closed_after] = trickle(pieces, std::chrono::milliseconds(100));
  EXPECT_NE(output.find("354 "), std::string::npos) << output;
  EXPECT_NE(output.find("421 4.4.2 mail.example.test Error: timeout exceeded"), std::string::npos)
      << output;
  EXPECT_LT(closed_after, std::chrono::milliseconds(2500));
  EXPECT_TRUE(active_files().empty());
}

TEST_F(SessionTest, HttpClientIsDroppedWithoutReply) {
  std::string output = converse("GET / HTTP/1.0\r\nHost: x\r\n\r\n");
  EXPECT_EQ(output, "220 mail.example.test ESMTP tern\r\n");
}

}  // namespace
}  // namespace tern::server
