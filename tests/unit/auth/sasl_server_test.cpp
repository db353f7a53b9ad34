// SASL PLAIN and LOGIN exchanges as transcripts: "C:" lines are what the client sends (the first
// one the AUTH command), "S:" lines what the exchange answers: "334 <challenge>", "done ..." with
// the credentials it hands to the caller, or "failed <why>". RFC 4954 §4, RFC 4616,
// draft-murchison-sasl-login.
#include "auth/sasl_server.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/base64.hpp"

namespace tern::auth {
namespace {

using namespace std::literals;

std::string render(const SaslStep& step) {
  switch (step.kind) {
    case SaslStep::Kind::Challenge:
      return "334 " + step.challenge;
    case SaslStep::Kind::Done:
      return "done authzid=" + step.credentials.authzid + " authcid=" + step.credentials.authcid +
             " password=" + step.credentials.password;
    case SaslStep::Kind::Failed:
      switch (step.failure) {
        case SaslStep::Failure::Cancelled:
          return "failed cancelled";
        case SaslStep::Failure::BadBase64:
          return "failed bad-base64";
        case SaslStep::Failure::BadCredentials:
          return "failed bad-credentials";
        case SaslStep::Failure::None:
          return "failed none";
      }
  }
  return "?";
}

// Runs a script whose first line is "C: AUTH MECHANISM [initial-response]"; returns the
// transcript as it happened, to compare with the script itself.
std::string run(std::string_view script) {
  std::istringstream lines{std::string(script)};
  std::string line;
  std::string out;
  std::optional<SaslExchange> exchange;
  bool finished = false;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line.rfind("C: ", 0) == 0) {
      std::string text = line.substr(3);
      out += line + "\n";
      SaslStep step;
      if (!exchange) {
        std::istringstream words(text);
        std::string verb, mechanism, initial;
        words >> verb >> mechanism;
        std::optional<std::string_view> initial_response;
        if (words >> initial) initial_response = initial;
        auto parsed = parse_mechanism(mechanism);
        if (!parsed) return out + "S: (unknown mechanism)\n";
        exchange.emplace(*parsed, initial_response);
        step = exchange->start();
      } else {
        if (finished) return out + "S: (exchange already over)\n";
        step = exchange->respond(text);
      }
      finished = step.kind != SaslStep::Kind::Challenge;
      out += "S: " + render(step) + "\n";
    }
  }
  return out;
}

// The script with blank lines removed, in the form run() returns.
std::string expected(std::string_view script) {
  std::istringstream lines{std::string(script)};
  std::string line;
  std::string out;
  while (std::getline(lines, line)) {
    if (!line.empty()) out += line + "\n";
  }
  return out;
}

void expect_transcript(std::string_view script) {
  EXPECT_EQ(run(script), expected(script));
}

TEST(SaslServerTest, ParsesMechanismNamesCaseInsensitively) {
  EXPECT_EQ(parse_mechanism("PLAIN"), Mechanism::Plain);
  EXPECT_EQ(parse_mechanism("plain"), Mechanism::Plain);
  EXPECT_EQ(parse_mechanism("Plain"), Mechanism::Plain);
  EXPECT_EQ(parse_mechanism("LOGIN"), Mechanism::Login);
  EXPECT_EQ(parse_mechanism("lOgIn"), Mechanism::Login);
  const std::string_view others[] = {
      "",       "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-256", "XOAUTH2",   "ANONYMOUS", "EXTERNAL",
      "PLAIN ", " PLAIN",   "PLAINX",     "LOG",           "LOGIN\0"sv, "PLA\0IN"sv};
  for (std::string_view other : others) {
    EXPECT_FALSE(parse_mechanism(other).has_value()) << other;
  }
}

// RFC 4954 §4 example with an initial response; RFC 4616 §2 message [authzid] NUL authcid NUL
// passwd.
TEST(SaslServerTest, PlainWithInitialResponse) {
  expect_transcript(R"(
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: done authzid= authcid=alice password=secret
)");
}

TEST(SaslServerTest, PlainWithAuthorizationIdentity) {
  // "bob\0alice\0secret": the caller decides whether alice may act as bob.
  expect_transcript(R"(
C: AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==
S: done authzid=bob authcid=alice password=secret
)");
}

// RFC 4954 §4: without an initial response the server sends an empty challenge ("334 ").
TEST(SaslServerTest, PlainWithoutInitialResponseSendsAnEmptyChallenge) {
  expect_transcript(R"(
C: AUTH PLAIN
S: 334 
C: AGFsaWNlAHNlY3JldA==
S: done authzid= authcid=alice password=secret
)");
}

TEST(SaslServerTest, MechanismNameInTheCommandIsCaseInsensitive) {
  expect_transcript(R"(
C: AUTH plain AGFsaWNlAHNlY3JldA==
S: done authzid= authcid=alice password=secret
)");
}

// RFC 4954 §4: "=" is an empty initial response; an empty PLAIN message has no NULs at all.
TEST(SaslServerTest, PlainEmptyInitialResponseFails) {
  expect_transcript(R"(
C: AUTH PLAIN =
S: failed bad-credentials
)");
}

// "=" means an empty response only as AUTH's argument; after a 334 an empty response is an empty
// line, and "=" is simply not base64.
TEST(SaslServerTest, EqualsSignIsAnEmptyResponseOnlyInTheCommand) {
  expect_transcript(R"(
C: AUTH PLAIN
S: 334 
C: =
S: failed bad-base64
)");
  expect_transcript(R"(
C: AUTH PLAIN
S: 334 
C: 
S: failed bad-credentials
)");
  expect_transcript(R"(
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: YWxpY2U=
S: 334 UGFzc3dvcmQ6
C: =
S: failed bad-base64
)");
  // An empty LOGIN username never succeeds, whenever the exchange notices.
  SaslExchange login(Mechanism::Login, "=");
  SaslStep step = login.start();
  if (step.kind == SaslStep::Kind::Challenge) step = login.respond(base64_encode("secret"));
  EXPECT_EQ(render(step), "failed bad-credentials");
}

// Every malformed PLAIN message fails exactly like a wrong password: no hint what was wrong.
TEST(SaslServerTest, MalformedPlainMessagesFailLikeAWrongPassword) {
  const std::string messages[] = {
      "alice"s,                 // no NUL
      "\0alice"s,               // one NUL
      "alice\0secret"s,         // one NUL
      "\0alice\0secret\0"s,     // three NULs
      "\0alice\0sec\0ret"s,     // three NULs
      "bob\0alice\0secret\0"s,  // three NULs
      "\0\0secret"s,            // empty authcid
      "\0alice\0"s,             // empty password
      "bob\0\0secret"s,         // empty authcid with an authzid
      "\0\0"s,                  // nothing at all
  };
  for (const std::string& message : messages) {
    SaslExchange initial(Mechanism::Plain, base64_encode(message));
    SaslStep step = initial.start();
    EXPECT_EQ(render(step), "failed bad-credentials") << base64_encode(message);

    SaslExchange later(Mechanism::Plain, std::nullopt);
    EXPECT_EQ(render(later.start()), "334 ");
    EXPECT_EQ(render(later.respond(base64_encode(message))), "failed bad-credentials")
        << base64_encode(message);
  }
}

TEST(SaslServerTest, PlainBadBase64) {
  expect_transcript(R"(
C: AUTH PLAIN AGFsaWNlAHNlY3JldA=
S: failed bad-base64
)");
  expect_transcript(R"(
C: AUTH PLAIN
S: 334 
C: AGFsaWNlAHNlY3JldA
S: failed bad-base64
)");
  expect_transcript(R"(
C: AUTH PLAIN
S: 334 
C: AGFsaWNl AHNlY3JldA==
S: failed bad-base64
)");
}

// RFC 4954 §4: a "*" line cancels the exchange.
TEST(SaslServerTest, PlainCancelled) {
  expect_transcript(R"(
C: AUTH PLAIN
S: 334 
C: *
S: failed cancelled
)");
}

// draft-murchison-sasl-login: "Username:" then "Password:", each base64.
TEST(SaslServerTest, Login) {
  expect_transcript(R"(
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: YWxpY2U=
S: 334 UGFzc3dvcmQ6
C: c2VjcmV0
S: done authzid= authcid=alice password=secret
)");
}

// An initial response to LOGIN is the username (what Outlook and swaks send).
TEST(SaslServerTest, LoginWithInitialResponseAsksOnlyForThePassword) {
  expect_transcript(R"(
C: AUTH LOGIN YWxpY2U=
S: 334 UGFzc3dvcmQ6
C: c2VjcmV0
S: done authzid= authcid=alice password=secret
)");
}

TEST(SaslServerTest, LoginCancelledAtEitherPrompt) {
  expect_transcript(R"(
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: *
S: failed cancelled
)");
  expect_transcript(R"(
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: YWxpY2U=
S: 334 UGFzc3dvcmQ6
C: *
S: failed cancelled
)");
}

TEST(SaslServerTest, LoginBadBase64AtEitherPrompt) {
  expect_transcript(R"(
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: alice
S: failed bad-base64
)");
  expect_transcript(R"(
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: YWxpY2U=
S: 334 UGFzc3dvcmQ6
C: secret!
S: failed bad-base64
)");
  expect_transcript(R"(
C: AUTH LOGIN YWxpY2U
S: failed bad-base64
)");
}

TEST(SaslServerTest, LoginEmptyOrNulFieldsFailLikeAWrongPassword) {
  // Empty password.
  expect_transcript(R"(
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: YWxpY2U=
S: 334 UGFzc3dvcmQ6
C: 
S: failed bad-credentials
)");
  // A NUL inside the username or the password ("al\0ice", "sec\0ret").
  SaslExchange user(Mechanism::Login, std::nullopt);
  user.start();
  SaslStep step = user.respond(base64_encode("al\0ice"s));
  if (step.kind == SaslStep::Kind::Challenge) step = user.respond(base64_encode("secret"));
  EXPECT_EQ(render(step), "failed bad-credentials");

  SaslExchange password(Mechanism::Login, std::nullopt);
  password.start();
  password.respond(base64_encode("alice"));
  EXPECT_EQ(render(password.respond(base64_encode("sec\0ret"s))), "failed bad-credentials");

  // Empty username: it may fail at once or after the password prompt, but never succeeds.
  SaslExchange empty(Mechanism::Login, std::nullopt);
  empty.start();
  step = empty.respond("");
  if (step.kind == SaslStep::Kind::Challenge) step = empty.respond(base64_encode("secret"));
  EXPECT_EQ(render(step), "failed bad-credentials");
}

// Bounds: a login is at most a local part, "@" and a domain (64 + 1 + 255); a password 1024.
TEST(SaslServerTest, FieldsAreBounded) {
  const std::string longest_login(SaslExchange::kMaxLogin, 'a');
  const std::string longest_password(SaslExchange::kMaxPassword, 'p');
  EXPECT_EQ(SaslExchange::kMaxLogin, 320u);
  EXPECT_EQ(SaslExchange::kMaxPassword, 1024u);

  auto plain = [](const std::string& authzid, const std::string& authcid,
                  const std::string& password) {
    SaslExchange exchange(Mechanism::Plain,
                          base64_encode(authzid + '\0' + authcid + '\0' + password));
    return exchange.start().kind;
  };
  EXPECT_EQ(plain("", longest_login, longest_password), SaslStep::Kind::Done);
  EXPECT_EQ(plain(longest_login, longest_login, "x"), SaslStep::Kind::Done);
  EXPECT_EQ(plain("", longest_login + "a", "x"), SaslStep::Kind::Failed);
  EXPECT_EQ(plain("", "alice", longest_password + "p"), SaslStep::Kind::Failed);
  EXPECT_EQ(plain(longest_login + "a", "alice", "x"), SaslStep::Kind::Failed);

  auto login = [](const std::string& user, const std::string& password) {
    SaslExchange exchange(Mechanism::Login, std::nullopt);
    exchange.start();
    SaslStep step = exchange.respond(base64_encode(user));
    if (step.kind != SaslStep::Kind::Challenge) return step.kind;
    return exchange.respond(base64_encode(password)).kind;
  };
  EXPECT_EQ(login(longest_login, longest_password), SaslStep::Kind::Done);
  EXPECT_EQ(login(longest_login + "a", "x"), SaslStep::Kind::Failed);
  EXPECT_EQ(login("alice", longest_password + "p"), SaslStep::Kind::Failed);
}

// A response as long as RFC 4954 lets a client send (12288 octets) is refused without harm.
TEST(SaslServerTest, HugeResponsesFail) {
  std::string huge = base64_encode(std::string(9216, 'x'));
  EXPECT_EQ(huge.size(), 12288u);
  SaslExchange plain(Mechanism::Plain, std::nullopt);
  plain.start();
  EXPECT_EQ(render(plain.respond(huge)), "failed bad-credentials");

  std::string huge_plain = base64_encode("\0alice\0"s + std::string(9000, 'p'));
  SaslExchange initial(Mechanism::Plain, huge_plain);
  EXPECT_EQ(render(initial.start()), "failed bad-credentials");
}

// Credentials are bytes: spaces, colons, UTF-8 and 8-bit passwords pass through unchanged.
TEST(SaslServerTest, CredentialsPassThroughUnchanged) {
  const std::string user = "j\xc3\xbcrgen@example.org";
  const std::string password = "p@ss: w\xc3\xb6rd \xff";
  SaslExchange plain(Mechanism::Plain, base64_encode("\0"s + user + '\0' + password));
  SaslStep step = plain.start();
  ASSERT_EQ(step.kind, SaslStep::Kind::Done);
  EXPECT_EQ(step.credentials.authcid, user);
  EXPECT_EQ(step.credentials.password, password);

  SaslExchange login(Mechanism::Login, base64_encode(user));
  EXPECT_EQ(render(login.start()), "334 UGFzc3dvcmQ6");
  step = login.respond(base64_encode(password));
  ASSERT_EQ(step.kind, SaslStep::Kind::Done);
  EXPECT_EQ(step.credentials.authcid, user);
  EXPECT_EQ(step.credentials.password, password);
}

// The protocol engine passes a view into its own command buffer: the exchange keeps a copy.
TEST(SaslServerTest, InitialResponseIsCopied) {
  std::string buffer = "AGFsaWNlAHNlY3JldA==";
  SaslExchange exchange(Mechanism::Plain, std::string_view(buffer));
  buffer.assign(buffer.size(), '!');
  EXPECT_EQ(render(exchange.start()), "done authzid= authcid=alice password=secret");
}

}  // namespace
}  // namespace tern::auth
