// SASL client responses: PLAIN's initial response (RFC 4616 §2, the RFC 4954 §4 example) and the
// LOGIN answers, checked against the server side so both ends agree.
#include "auth/sasl_client.hpp"

#include <gtest/gtest.h>

#include <string>

#include "auth/sasl_server.hpp"
#include "base/base64.hpp"

namespace tern::auth {
namespace {

using namespace std::literals;

TEST(SaslClientTest, PlainInitialResponse) {
  auto response = plain_initial_response("", "alice", "secret");
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(*response, "AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(base64_decode(*response), "\0alice\0secret"s);

  // RFC 4954 §4's example: authzid "test", authcid "test", password "test" is dGVzdAB0ZXN0AHRlc3Q=.
  auto rfc = plain_initial_response("test", "test", "test");
  ASSERT_TRUE(rfc.ok());
  EXPECT_EQ(*rfc, "dGVzdAB0ZXN0AHRlc3Q=");
}

TEST(SaslClientTest, PlainRefusesFieldsAServerWouldMisread) {
  EXPECT_FALSE(plain_initial_response("", "", "secret").ok());
  EXPECT_FALSE(plain_initial_response("", "alice", "").ok());
  EXPECT_FALSE(plain_initial_response("", "al\0ice"sv, "secret").ok());
  EXPECT_FALSE(plain_initial_response("", "alice", "sec\0ret"sv).ok());
  EXPECT_FALSE(plain_initial_response("b\0b"sv, "alice", "secret").ok());
  auto error = plain_initial_response("", "alice", "sec\0ret"sv);
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().message, "password contains a NUL byte");
  EXPECT_EQ(plain_initial_response("", "", "x").error().message, "empty user name");
}

TEST(SaslClientTest, PlainRoundTripsThroughTheServer) {
  const std::string password = "p@ss: w\xc3\xb6rd \xff";
  auto response = plain_initial_response("bob", "j\xc3\xbcrgen@example.org", password);
  ASSERT_TRUE(response.ok());
  SaslExchange exchange(Mechanism::Plain, *response);
  SaslStep step = exchange.start();
  ASSERT_EQ(step.kind, SaslStep::Kind::Done);
  EXPECT_EQ(step.credentials.authzid, "bob");
  EXPECT_EQ(step.credentials.authcid, "j\xc3\xbcrgen@example.org");
  EXPECT_EQ(step.credentials.password, password);
}

TEST(SaslClientTest, LoginAnswersEachPrompt) {
  auto user = login_response("Username:", "alice", "secret");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(*user, "YWxpY2U=");
  auto password = login_response("Password:", "alice", "secret");
  ASSERT_TRUE(password.ok());
  EXPECT_EQ(*password, "c2VjcmV0");
}

// Servers word the prompts slightly differently; all of these mean the same thing.
TEST(SaslClientTest, LoginPromptVariants) {
  for (std::string_view prompt : {"Username:"sv, "username:"sv, "USERNAME"sv, "User Name"sv,
                                  "User Name:"sv, " Username: "sv, "Username:\0"sv}) {
    auto answer = login_response(prompt, "alice", "secret");
    ASSERT_TRUE(answer.ok()) << prompt;
    EXPECT_EQ(*answer, "YWxpY2U=") << prompt;
  }
  for (std::string_view prompt : {"Password:"sv, "password"sv, "PASSWORD:"sv, "Password:\0"sv}) {
    auto answer = login_response(prompt, "alice", "secret");
    ASSERT_TRUE(answer.ok()) << prompt;
    EXPECT_EQ(*answer, "c2VjcmV0") << prompt;
  }
}

// An unknown prompt gets no answer at all: guessing could send the password as the user name.
TEST(SaslClientTest, LoginRefusesUnknownPrompts) {
  for (std::string_view prompt :
       {""sv, "Passcode:"sv, "User:"sv, "Username: Password:"sv, "Token"sv, "Username::x"sv}) {
    EXPECT_FALSE(login_response(prompt, "alice", "secret").ok()) << prompt;
  }
  auto error = login_response("Pass\x01word\xff", "alice", "secret");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().message, "unexpected LOGIN prompt \"Pass?word?\"");
  auto long_prompt = login_response(std::string(200, 'x'), "alice", "secret");
  ASSERT_FALSE(long_prompt.ok());
  EXPECT_EQ(long_prompt.error().message,
            "unexpected LOGIN prompt \"" + std::string(64, 'x') + "...\"");
}

TEST(SaslClientTest, LoginRefusesEmptyOrNulFields) {
  EXPECT_FALSE(login_response("Username:", "", "secret").ok());
  EXPECT_FALSE(login_response("Password:", "alice", "").ok());
  EXPECT_FALSE(login_response("Username:", "al\0ice"sv, "secret").ok());
  EXPECT_FALSE(login_response("Password:", "alice", "sec\0ret"sv).ok());
  // Only the field asked for is checked: the password is not needed to answer "Username:".
  EXPECT_TRUE(login_response("Username:", "alice", "").ok());
}

// The client's answers, decoded from the server's own challenges, complete a server exchange.
TEST(SaslClientTest, LoginRoundTripsThroughTheServer) {
  SaslExchange exchange(Mechanism::Login, std::nullopt);
  SaslStep step = exchange.start();
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(step.kind, SaslStep::Kind::Challenge);
    auto prompt = base64_decode(step.challenge);
    ASSERT_TRUE(prompt.has_value());
    auto answer = login_response(*prompt, "alice@example.org", "correct horse");
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    step = exchange.respond(*answer);
  }
  ASSERT_EQ(step.kind, SaslStep::Kind::Done);
  EXPECT_EQ(step.credentials.authcid, "alice@example.org");
  EXPECT_EQ(step.credentials.password, "correct horse");
}

}  // namespace
}  // namespace tern::auth
