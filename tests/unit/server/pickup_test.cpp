// The pickup socket: its line protocol as transcripts over the pure apply_pickup_line, the line
// ending normalizer over every split, the Received:/From: fields, and in process a real Unix socket
// with a real spool: who submitted (SO_PEERCRED), the fields added, CRLF on disk, the modes.
#include "server/pickup.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "queue/spool_format.hpp"

namespace tern::server {
namespace {

namespace fs = std::filesystem;

PickupSettings settings() {
  return PickupSettings{"example.org", 3, 1000};
}

// Runs "C: line" steps and returns the answers: "ok" or the refusal as the server would send it.
std::vector<std::string> transcript(PickupRequest& request, const std::vector<std::string>& lines) {
  std::vector<std::string> answers;
  for (const std::string& line : lines) {
    auto applied = apply_pickup_line(request, line, settings());
    answers.push_back(applied ? "ok" : format_pickup_refusal(applied.error()));
  }
  return answers;
}

TEST(PickupProtocolTest, SenderRecipientsAndLength) {
  PickupRequest request;
  auto answers = transcript(request, {"MAIL <alice@Example.ORG>", "NAME Alice Example",
                                      "RCPT <bob@example.net>", "RCPT carol", "DATA 42"});
  EXPECT_EQ(answers, std::vector<std::string>(5, "ok"));
  EXPECT_EQ(request.sender, "alice@example.org");
  EXPECT_EQ(request.full_name, "Alice Example");
  EXPECT_EQ(request.recipients, (std::vector<std::string>{"bob@example.net", "carol@example.org"}));
  EXPECT_EQ(request.data_length, 42u);
  EXPECT_FALSE(request.smtputf8);
}

TEST(PickupProtocolTest, MailIsOptionalAndMayBeNull) {
  PickupRequest without;
  EXPECT_EQ(transcript(without, {"RCPT <bob@example.net>", "DATA 0"}),
            (std::vector<std::string>{"ok", "ok"}));
  EXPECT_FALSE(without.sender.has_value());
  PickupRequest null;
  EXPECT_EQ(transcript(null, {"MAIL <>", "RCPT postmaster", "DATA 1"}),
            (std::vector<std::string>{"ok", "ok", "ok"}));
  EXPECT_EQ(null.sender, "");
  EXPECT_EQ(null.recipients, std::vector<std::string>{"postmaster@example.org"});
}

TEST(PickupProtocolTest, OrderAndSyntaxRefusals) {
  PickupRequest request;
  EXPECT_EQ(
      transcript(request, {"MAIL <a@example.org>", "MAIL <b@example.org>", "RCPT <bob@>",
                           "RCPT <bob@example.net>", "HELO x", "DATA", "DATA 12x", "DATA 1001",
                           "DATA 5", "RCPT <late@example.org>"}),
      (std::vector<std::string>{"ok", "error: 5.5.1 MAIL given twice",
                                "error: 5.1.3 recipient bad address syntax: <bob@>", "ok",
                                "error: 5.5.2 unknown command (expected MAIL, NAME, RCPT or DATA)",
                                "error: 5.5.4 DATA needs the message length in octets",
                                "error: 5.5.4 DATA needs the message length in octets",
                                "error: 5.3.4 message file too big", "ok",
                                "error: 5.5.1 nothing may follow DATA"}));
  PickupRequest late_sender;
  EXPECT_EQ(transcript(late_sender, {"RCPT <bob@example.net>", "MAIL <c@example.org>"}),
            (std::vector<std::string>{"ok", "error: 5.5.1 MAIL must come before RCPT"}));
}

TEST(PickupProtocolTest, BadSenderAndNoRecipients) {
  PickupRequest request;
  auto answers = transcript(request, {"MAIL <a b@example.org>", "DATA 3"});
  EXPECT_TRUE(answers[0].starts_with("error: 5.1.7 sender bad address syntax: <a b@example.org>"))
      << answers[0];
  EXPECT_EQ(answers[1], "error: 5.5.1 no recipients specified");
}

TEST(PickupProtocolTest, RecipientLimitCountsDistinctRecipients) {
  PickupRequest request;
  auto answers =
      transcript(request, {"RCPT a", "RCPT A@EXAMPLE.ORG", "RCPT b", "RCPT c", "RCPT d"});
  EXPECT_EQ(answers, (std::vector<std::string>{"ok", "ok", "ok", "ok",
                                               "error: 5.5.3 too many recipients (limit 3)"}));
  EXPECT_EQ(request.recipients.size(), 3u);
}

TEST(PickupProtocolTest, Utf8AddressesMarkTheMessageSmtputf8) {
  PickupRequest request;
  EXPECT_EQ(transcript(request, {"RCPT <jörg@example.org>"}), std::vector<std::string>{"ok"});
  EXPECT_TRUE(request.smtputf8);
}

TEST(PickupProtocolTest, RefusalsAreOneLine) {
  EXPECT_EQ(format_pickup_refusal({"5.5.2", "a\rb\x01"}), "error: 5.5.2 a?b?");
}

TEST(LocalSubmissionAddressTest, QualifiesAndLowerCasesTheDomain) {
  EXPECT_EQ(local_submission_address("alice", false, "example.org").value(), "alice@example.org");
  EXPECT_EQ(local_submission_address(" <Alice@Mail.Example.ORG> ", false, "x").value(),
            "Alice@mail.example.org");
  EXPECT_EQ(local_submission_address("\"a b\"@example.org", false, "x").value(),
            "\"a b\"@example.org");
  EXPECT_EQ(local_submission_address("<>", true, "x").value(), "");
  EXPECT_EQ(local_submission_address("", true, "x").value(), "");
  EXPECT_FALSE(local_submission_address("<>", false, "x"));
  EXPECT_FALSE(local_submission_address("a@b@c", false, "x"));
  EXPECT_FALSE(local_submission_address("alice\nRCPT x", false, "example.org"));
}

std::string normalize(const std::vector<std::string>& pieces) {
  LineEndNormalizer normalizer;
  std::string out;
  for (const std::string& piece : pieces) normalizer.feed(piece, out);
  normalizer.finish(out);
  return out;
}

TEST(LineEndNormalizerTest, BareLfBecomesCrlfWhateverTheSplit) {
  const std::string input = "a\nb\r\n\r\nc\rd\n\ne";
  const std::string expected = "a\r\nb\r\n\r\nc\rd\r\n\r\ne\r\n";
  EXPECT_EQ(normalize({input}), expected);
  for (std::size_t i = 0; i <= input.size(); ++i) {
    for (std::size_t j = i; j <= input.size(); ++j) {
      EXPECT_EQ(normalize({input.substr(0, i), input.substr(i, j - i), input.substr(j)}), expected)
          << i << "," << j;
    }
  }
}

TEST(LineEndNormalizerTest, EndsTheLastLine) {
  EXPECT_EQ(normalize({}), "");
  EXPECT_EQ(normalize({"x\r\n"}), "x\r\n");
  EXPECT_EQ(normalize({"x\r"}), "x\r\n");
  EXPECT_EQ(normalize({"x\n"}), "x\r\n");
}

TEST(PickupFieldsTest, ReceivedAsPostfixPickupWritesIt) {
  std::string header = pickup_received_header("mail.example.org", 1000, "ABC123", 1700000000);
  std::regex expected(
      "Received: by mail\\.example\\.org \\(tern, from userid 1000\\)\r\n\tid ABC123; "
      "\\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d [-+]\\d{4}( \\(.*\\))?\r\n");
  EXPECT_TRUE(std::regex_match(header, expected)) << header;
}

TEST(PickupFieldsTest, FromWithAndWithoutName) {
  EXPECT_EQ(pickup_from_field("alice@example.org", "", "x"), "From: alice@example.org\r\n");
  EXPECT_EQ(pickup_from_field("alice@example.org", "Alice Example", "x"),
            "From: Alice Example <alice@example.org>\r\n");
  EXPECT_EQ(pickup_from_field("a@example.org", "Doe, J. \"Jay\"", "x"),
            "From: \"Doe, J. \\\"Jay\\\"\" <a@example.org>\r\n");
  EXPECT_EQ(pickup_from_field("a@example.org", "Eve\r\nBcc: x@y", "x"),
            "From: \"EveBcc: x@y\" <a@example.org>\r\n");
  EXPECT_EQ(pickup_from_field("", "", "example.org"), "From: MAILER-DAEMON@example.org\r\n");
}

// A real pickup socket served on a background thread, with a real spool.
class PickupSocketTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-pickup-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    config_.myhostname = "mail.example.test";
    config_.myorigin = "example.test";
    config_.queue_directory = root_ + "/spool";
    config_.message_size_limit = 100000;
    config_.line_length_limit = 2048;
    config_.smtpd_recipient_limit = 100;
    auto spool = queue::Spool::open(config_.queue_directory);
    ASSERT_TRUE(spool);
    spool_ = std::move(spool.value());
    services_.config = &config_;
    services_.spool = spool_.get();
    services_.message_queued = [this](const std::string& id) { queued_.push_back(id); };
    path_ = pickup_socket_path(config_.queue_directory);
    auto acceptor = open_pickup_socket(context_, path_);
    ASSERT_TRUE(acceptor) << acceptor.error().message;
    asio::co_spawn(context_, serve_pickup_socket(std::move(acceptor.value()), services_),
                   asio::detached);
    server_ = std::thread([this] { context_.run(); });
  }
  void TearDown() override {
    context_.stop();
    if (server_.joinable()) server_.join();
    spool_.reset();
    fs::remove_all(root_);
  }

  // Sends `request` and returns the server's answer line (without its newline).
  std::string converse(const std::string& request) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    std::string answer;
    char buffer[256];
    ssize_t got;
    while ((got = ::recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, got);
    ::close(fd);
    if (!answer.empty() && answer.back() == '\n') answer.pop_back();
    return answer;
  }

  // The queued message's data, after its envelope.
  std::string queued_data(const std::string& queue_id, queue::Envelope* envelope = nullptr) {
    std::ifstream file(config_.queue_directory + "/active/" + queue_id, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    std::string content = text.str();
    auto header = queue::decode_spool_header(content);
    EXPECT_TRUE(header);
    if (!header) return "";
    if (envelope) *envelope = header->envelope;
    return content.substr(header->data_offset);
  }

  std::string root_;
  std::string path_;
  config::Config config_;
  std::unique_ptr<queue::Spool> spool_;
  PickupServices services_;
  std::vector<std::string> queued_;
  asio::io_context context_;
  std::thread server_;
};

TEST_F(PickupSocketTest, QueuesWithTheFieldsPostfixAdds) {
  std::string message = "Subject: hello\n\nbody line\n";
  std::string answer = converse("NAME Alice Example\nRCPT <bob@example.net>\nDATA " +
                                std::to_string(message.size()) + "\n" + message);
  ASSERT_TRUE(answer.starts_with("ok ")) << answer;
  std::string queue_id = answer.substr(3);
  ASSERT_EQ(queued_, std::vector<std::string>{queue_id});
  queue::Envelope envelope;
  std::string data = queued_data(queue_id, &envelope);
  EXPECT_EQ(envelope.recipients.size(), 1u);
  EXPECT_EQ(envelope.recipients[0].address, "bob@example.net");
  EXPECT_EQ(envelope.protocol, "LOCAL");
  // Without MAIL the sender is the submitting user's login name at myorigin.
  EXPECT_TRUE(envelope.sender.ends_with("@example.test")) << envelope.sender;
  std::regex expected(
      "Received: by mail\\.example\\.test \\(tern, from userid " + std::to_string(::getuid()) +
      "\\)\r\n\tid " + queue_id + "; [^\r\n]+\r\nSubject: hello\r\nMessage-ID: <\\d{14}\\." +
      queue_id +
      "@mail\\.example\\.test>\r\nDate: [^\r\n]+\r\nFrom: Alice Example <[^@]+@example\\.test>"
      "\r\n\r\nbody line\r\n");
  EXPECT_TRUE(std::regex_match(data, expected)) << data;
}

TEST_F(PickupSocketTest, KeepsFieldsTheMessageHas) {
  std::string message =
      "From: me@example.org\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <x@y>\r\n\r\nb";
  std::string answer = converse("MAIL <>\nRCPT <bob@example.net>\nDATA " +
                                std::to_string(message.size()) + "\n" + message);
  ASSERT_TRUE(answer.starts_with("ok ")) << answer;
  queue::Envelope envelope;
  std::string data = queued_data(answer.substr(3), &envelope);
  EXPECT_EQ(envelope.sender, "");
  // After the Received: header, the message as it was, its last line ended.
  std::size_t after_received = data.find("\r\n", data.find("\tid ")) + 2;
  EXPECT_EQ(data.substr(after_received), message + "\r\n");
}

TEST_F(PickupSocketTest, RefusesWithAStatus) {
  EXPECT_EQ(converse("RCPT <bad@>\nDATA 1\nx"),
            "error: 5.1.3 recipient bad address syntax: <bad@>");
  EXPECT_EQ(converse("RCPT <a@example.org>\nDATA 100001\n"), "error: 5.3.4 message file too big");
  EXPECT_EQ(converse(std::string(3000, 'x') + "\n"),
            "error: 5.5.2 command line missing or too long");
  EXPECT_TRUE(queued_.empty());
}

TEST_F(PickupSocketTest, OpenToEveryLocalUser) {
  struct stat status {};
  ASSERT_EQ(::stat(path_.c_str(), &status), 0);
  EXPECT_TRUE(S_ISSOCK(status.st_mode));
  EXPECT_EQ(status.st_mode & 07777, 0666u);
  ASSERT_EQ(::stat((config_.queue_directory + "/public").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat(config_.queue_directory.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0755, 0755u);
  ASSERT_EQ(::stat((config_.queue_directory + "/active").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0700u);
}

}  // namespace
}  // namespace tern::server
