// A scripted SMTP server on 127.0.0.1 for the audit's conversation tests, on a thread of its own
// (the audit runs its own io_context). It answers EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT and
// STARTTLS (with a self-signed certificate) as a plain server would; `respond` overrides any line's
// reply ("" = no reply, kClose = drop the connection). DATA ends at CRLF.CRLF, or at any line that
// is a lone dot when `bare_lf_ends_data` is set (the smuggling-vulnerable way). Every line and
// connection is recorded for the test to check.
#pragma once

#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/self_signed.hpp"
#include "net/smtp_stream.hpp"
#include "net/tls_context.hpp"

namespace tern::audit::testing {

inline const std::string kClose = "<close>";

struct FakeBehaviour {
  std::string greeting = "220 fake.example.test ESMTP fake\r\n";
  std::vector<std::string> keywords = {"PIPELINING", "SIZE 1000000", "STARTTLS"};
  std::vector<std::string> keywords_in_tls = {"PIPELINING", "SIZE 1000000", "AUTH PLAIN"};
  bool bare_lf_ends_data = false;
  int tls_minimum = TLS1_2_VERSION;  // TLS1_VERSION needs security level 0 too
  // The reply to a command line (without its line end) on a connection that is (not) in TLS, or
  // nullopt for the default.
  std::function<std::optional<std::string>(const std::string& line, bool tls)> respond;
};

class FakeSmtpServer {
 public:
  explicit FakeSmtpServer(FakeBehaviour behaviour)
      : behaviour_(std::move(behaviour)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    char pattern[] = "/tmp/tern-fake-smtp-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) directory_ = pattern;
    auto files = net::ensure_self_signed_certificate(directory_, "fake.example.test");
    if (files) {
      net::TlsServerSettings settings;
      settings.certificate_file = files->certificate;
      settings.key_file = files->key;
      settings.minimum_version = behaviour_.tls_minimum;
      auto context = net::make_server_tls_context(settings);
      if (context) {
        tls_ = *context;
        if (behaviour_.tls_minimum < TLS1_2_VERSION) {
          SSL_CTX_set_security_level(tls_->native_handle(), 0);
          SSL_CTX_set_cipher_list(tls_->native_handle(), "DEFAULT:@SECLEVEL=0");
        }
      }
    }
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeSmtpServer() {
    io_.stop();
    thread_.join();
    std::filesystem::remove_all(directory_);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  int connections() const { return connections_; }
  int messages() const { return messages_; }

 private:
  asio::awaitable<void> accept_loop() {
    while (true) {
      auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
      ++connections_;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  void record(const std::string& line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(line);
  }

  static std::string ehlo_reply(const std::vector<std::string>& keywords) {
    std::string reply =
        keywords.empty() ? "250 fake.example.test\r\n" : "250-fake.example.test\r\n";
    for (std::size_t i = 0; i < keywords.size(); ++i) {
      reply += (i + 1 == keywords.size() ? "250 " : "250-") + keywords[i] + "\r\n";
    }
    return reply;
  }

  // The length of the data up to and including its end, or 0 while it has not ended.
  std::size_t data_end(const std::string& input) const {
    if (!behaviour_.bare_lf_ends_data) {
      if (input.starts_with(".\r\n")) return 3;
      std::size_t at = input.find("\r\n.\r\n");
      return at == std::string::npos ? 0 : at + 5;
    }
    // Lines end at LF; a line that is "." (with or without CR) ends the data.
    std::size_t start = 0;
    while (true) {
      std::size_t newline = input.find('\n', start);
      if (newline == std::string::npos) return 0;
      std::string line = input.substr(start, newline - start);
      if (line == "." || line == ".\r") return newline + 1;
      start = newline + 1;
    }
  }

  asio::awaitable<void> serve(asio::ip::tcp::socket socket) {
    net::SmtpStream stream(std::move(socket));
    std::string input;
    bool in_data = false;
    bool tls = false;
    co_await stream.write_all(asio::buffer(behaviour_.greeting));
    char buffer[4096];
    while (true) {
      std::string out;
      bool close = false;
      bool start_tls = false;
      while (true) {
        if (in_data) {
          std::size_t end = data_end(input);
          if (end == 0) break;
          input.erase(0, end);
          in_data = false;
          ++messages_;
          out += "250 2.0.0 Ok: queued as FAKE\r\n";
          continue;
        }
        std::size_t newline = input.find('\n');
        if (newline == std::string::npos) break;
        std::string line = input.substr(0, newline);
        input.erase(0, newline + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        record(line);
        std::optional<std::string> reply;
        if (behaviour_.respond) reply = behaviour_.respond(line, tls);
        std::string verb = line.substr(0, line.find(' '));
        for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (!reply) {
          if (verb == "EHLO") {
            reply = ehlo_reply(tls ? behaviour_.keywords_in_tls : behaviour_.keywords);
          } else if (verb == "DATA") {
            reply = "354 End data with <CR><LF>.<CR><LF>\r\n";
            in_data = true;
          } else if (verb == "QUIT") {
            reply = "221 2.0.0 Bye\r\n";
            close = true;
          } else if (verb == "STARTTLS" && tls_ && !tls) {
            reply = "220 2.0.0 Ready to start TLS\r\n";
            start_tls = true;
          } else if (verb == "HELO" || verb == "MAIL" || verb == "RCPT" || verb == "RSET" ||
                     verb == "NOOP") {
            reply = "250 2.0.0 Ok\r\n";
          } else {
            reply = "502 5.5.2 Error: command not recognized\r\n";
          }
        }
        if (*reply == kClose) {
          close = true;
          out.clear();
          break;
        }
        out += *reply;
        if (close || start_tls) break;
      }
      if (!out.empty()) {
        if (co_await stream.write_all(asio::buffer(out))) break;
      }
      if (close) break;
      if (start_tls) {
        input.clear();
        if (co_await stream.start_tls(*tls_)) break;
        tls = true;
        continue;
      }
      auto [error, count] = co_await stream.read_some(asio::buffer(buffer));
      if (error || count == 0) break;
      input.append(buffer, count);
    }
    stream.close();
  }

  FakeBehaviour behaviour_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::string directory_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  std::atomic<int> connections_{0};
  std::atomic<int> messages_{0};
};

}  // namespace tern::audit::testing
