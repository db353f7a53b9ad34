// `tern send` as a whole against a small SMTP server written in this file (blocking sockets on
// 127.0.0.1 in a thread, every read bounded by a timeout): what reaches the server (envelope,
// parameters, the message un-dot-stuffed), the choice between the 8bit and the quoted-printable
// rendering by the server's EHLO, the exit statuses and stderr lines, --json, and the errors found
// before connecting (unreadable files, no password) that exit 2.
#include "cli/send_command.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/send_report.hpp"

namespace tern::cli {
namespace {

// One connection's worth of SMTP: EHLO with `extensions`, MAIL, RCPT (refused when the address
// starts with "refuse"), DATA with the server's own dot-unstuffing, QUIT.
class TinyServer {
 public:
  explicit TinyServer(std::vector<std::string> extensions) : extensions_(std::move(extensions)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyServer() {
    ::shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

  std::vector<std::string> commands;  // every command line, in order
  std::string message;                // the data, un-dot-stuffed

 private:
  void serve() {
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    say(fd, "220 tiny.test ESMTP\r\n");
    std::string line;
    while (read_line(fd, line)) {
      commands.push_back(line);
      std::string verb = line.substr(0, 4);
      if (verb == "EHLO") {
        std::string reply = "250-tiny.test\r\n";
        for (const std::string& extension : extensions_) reply += "250-" + extension + "\r\n";
        say(fd, reply + "250 ENHANCEDSTATUSCODES\r\n");
      } else if (verb == "MAIL") {
        say(fd, "250 2.1.0 Ok\r\n");
      } else if (verb == "RCPT") {
        say(fd, line.find("<refuse") != std::string::npos ? "550 5.1.1 User unknown\r\n"
                                                          : "250 2.1.5 Ok\r\n");
      } else if (verb == "DATA") {
        say(fd, "354 go ahead\r\n");
        while (read_line(fd, line) && line != ".") {
          message += (line.rfind("..", 0) == 0 ? line.substr(1) : line) + "\r\n";
        }
        say(fd, "250 2.0.0 Ok: queued as TINY42\r\n");
      } else if (verb == "QUIT") {
        say(fd, "221 2.0.0 Bye\r\n");
        break;
      } else {
        say(fd, "502 5.5.2 Error: command not recognized\r\n");
      }
    }
    ::close(fd);
  }
  static void say(int fd, const std::string& text) {
    ssize_t ignored = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    (void)ignored;
  }
  bool read_line(int fd, std::string& line) {
    while (true) {
      std::size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return true;
      }
      char chunk[4096];
      ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
  }

  std::vector<std::string> extensions_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string buffer_;
};

SendEnvironment test_environment() {
  SendEnvironment environment;
  environment.read_stdin = [] { return Result<std::string>(std::string("from stdin\n")); };
  environment.ask_password = [](std::string_view) {
    return Result<std::string>(Error{"no terminal to ask for the password on"});
  };
  environment.read_file = read_whole_file;
  environment.hostname = "client.test";
  environment.login = "tester";
  environment.now = 1700000000;
  environment.unique_id = "0123456789ABCDEF";
  return environment;
}

SendOptions options_for(std::uint16_t port) {
  SendOptions options;
  options.target = {"127.0.0.1", port};
  options.server_text = fmt::format("127.0.0.1:{}", port);
  options.to = {{"", "bob@example.org"}};
  options.timeout_seconds = 10;
  return options;
}

struct Outcome {
  int status;
  std::string out;
  std::string errors;
};

Outcome run(const SendOptions& options, const SendEnvironment& environment = test_environment()) {
  std::ostringstream out, errors;
  int status = run_send_command(options, environment, out, errors);
  return {status, out.str(), errors.str()};
}

TEST(SendCommandTest, SendsABuiltMessage) {
  TinyServer server({"PIPELINING", "SIZE 100000"});
  SendOptions options = options_for(server.port());
  options.subject = "unit";
  options.body = TextSource{TextSource::Kind::Text, "hello\n.leading dot\n"};
  Outcome result = run(options);
  server.join();
  EXPECT_EQ(result.status, kSendOk) << result.errors;
  EXPECT_EQ(result.out, "sent to <bob@example.org>: 250 2.0.0 Ok: queued as TINY42\n");
  EXPECT_EQ(result.errors, "");
  ASSERT_GE(server.commands.size(), 4u);
  EXPECT_EQ(server.commands[0], "EHLO client.test");
  EXPECT_EQ(server.commands[1],
            fmt::format("MAIL FROM:<tester@client.test> SIZE={}", server.message.size()));
  EXPECT_EQ(server.commands[2], "RCPT TO:<bob@example.org>");
  EXPECT_NE(server.message.find("\r\nSubject: unit\r\n"), std::string::npos);
  EXPECT_NE(server.message.find("From: tester@client.test\r\n"), std::string::npos);
  EXPECT_NE(server.message.find("User-Agent: tern/" TERN_VERSION "\r\n"), std::string::npos);
  EXPECT_NE(server.message.find("Message-ID: <20231114221320.0123456789ABCDEF@client.test>\r\n"),
            std::string::npos);
  EXPECT_NE(server.message.find("\r\n\r\nhello\r\n.leading dot\r\n"), std::string::npos);
}

TEST(SendCommandTest, EightBitTextFollowsTheServersEhlo) {
  for (bool has_8bitmime : {true, false}) {
    TinyServer server(has_8bitmime ? std::vector<std::string>{"8BITMIME", "SIZE"}
                                   : std::vector<std::string>{"SIZE"});
    SendOptions options = options_for(server.port());
    options.body = TextSource{TextSource::Kind::Text, "Grüße\n"};
    Outcome result = run(options);
    server.join();
    EXPECT_EQ(result.status, kSendOk) << result.errors;
    ASSERT_GE(server.commands.size(), 2u);
    std::string mail = server.commands[1];
    std::string size = fmt::format(" SIZE={}", server.message.size());
    if (has_8bitmime) {
      EXPECT_EQ(mail, "MAIL FROM:<tester@client.test>" + size + " BODY=8BITMIME");
      EXPECT_NE(server.message.find("Content-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n"),
                std::string::npos);
    } else {
      EXPECT_EQ(mail, "MAIL FROM:<tester@client.test>" + size);
      EXPECT_NE(server.message.find("quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n"),
                std::string::npos);
    }
  }
}

TEST(SendCommandTest, EightBitMimeRequiredButMissing) {
  TinyServer server({"SIZE"});
  SendOptions options = options_for(server.port());
  options.eight_bit_mime = true;
  Outcome result = run(options);
  server.join();
  EXPECT_EQ(result.status, kSendMail);
  EXPECT_EQ(result.errors,
            "tern: 8BITMIME is required (--8bitmime), but was not offered by the server\n");
}

TEST(SendCommandTest, PartialSuccessAndJson) {
  TinyServer server({});
  SendOptions options = options_for(server.port());
  options.to.push_back({"", "refuse@example.org"});
  options.json = true;
  Outcome result = run(options);
  server.join();
  EXPECT_EQ(result.status, kSendPartial);
  EXPECT_EQ(result.errors,
            "tern: RCPT TO <refuse@example.org> refused: 550 5.1.1 User unknown\n"
            "tern: partial success: sent to 1 of 2 recipients\n");
  nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["result"], "partial");
  EXPECT_EQ(json["data"]["queue_id"], "TINY42");
  EXPECT_EQ(json["recipients"][1]["status"], "refused");
}

TEST(SendCommandTest, DataIsSentAsIsWithCrlf) {
  TinyServer server({});
  SendOptions options = options_for(server.port());
  options.data = TextSource{TextSource::Kind::Stdin, ""};
  SendEnvironment environment = test_environment();
  environment.read_stdin = [] {
    return Result<std::string>(std::string("Subject: ready\n\nbody\n.\n"));
  };
  Outcome result = run(options, environment);
  server.join();
  EXPECT_EQ(result.status, kSendOk) << result.errors;
  EXPECT_EQ(server.message, "Subject: ready\r\n\r\nbody\r\n.\r\n");
}

TEST(SendCommandTest, VerboseTranscriptHasNoColourOffATerminal) {
  TinyServer server({});
  SendOptions options = options_for(server.port());
  options.verbose = true;
  Outcome result = run(options);
  server.join();
  EXPECT_EQ(result.status, kSendOk);
  EXPECT_EQ(result.out.rfind("S: 220 tiny.test ESMTP\nC: EHLO client.test\n", 0), 0u) << result.out;
  EXPECT_NE(result.out.find("C: QUIT\nS: 221 2.0.0 Bye\n"), std::string::npos);
  EXPECT_EQ(result.out.find("\x1b["), std::string::npos);  // no colour off a terminal
}

TEST(SendCommandTest, ConnectionRefused) {
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(probe);  // nothing listens there now
  Outcome result = run(options_for(ntohs(address.sin_port)));
  EXPECT_EQ(result.status, kSendConnect);
  EXPECT_EQ(result.errors,
            fmt::format("tern: connect to 127.0.0.1[127.0.0.1]:{}: Connection refused\n",
                        ntohs(address.sin_port)));
}

TEST(SendCommandTest, UnreadableFilesAreUsageErrors) {
  SendOptions options = options_for(9);
  options.attachments = {"/nonexistent/tern-test.pdf"};
  Outcome result = run(options);
  EXPECT_EQ(result.status, kSendUsage);
  EXPECT_EQ(result.errors,
            "tern: --attach /nonexistent/tern-test.pdf: No such file or directory\n");

  options = options_for(9);
  options.body = TextSource{TextSource::Kind::File, "/nonexistent/body.txt"};
  result = run(options);
  EXPECT_EQ(result.status, kSendUsage);
  EXPECT_EQ(result.errors, "tern: --body /nonexistent/body.txt: No such file or directory\n");

  options = options_for(9);
  options.data = TextSource{TextSource::Kind::File, "/"};
  result = run(options);
  EXPECT_EQ(result.status, kSendUsage);
  EXPECT_EQ(result.errors, "tern: --data /: Is a directory\n");
}

TEST(SendCommandTest, MissingPasswordIsAUsageError) {
  SendOptions options = options_for(9);
  options.tls = TlsMode::StartTlsRequired;
  options.auth = true;
  options.auth_user = "alice";
  Outcome result = run(options);
  EXPECT_EQ(result.status, kSendUsage);
  EXPECT_EQ(result.errors,
            "tern: no terminal to ask for the password on (give --auth-password or set "
            "TERN_PASSWORD)\n");
}

}  // namespace
}  // namespace tern::cli
