// The server side of one SMTP AUTH exchange (RFC 4954 §4) for PLAIN (RFC 4616) and LOGIN
// (draft-murchison-sasl-login), as a pure state machine: fed the AUTH arguments and then each
// client line after a 334, it answers with the next challenge, the credentials to verify, or why
// the exchange failed. It never checks a password and never sees a socket.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::auth {

enum class Mechanism { Plain, Login };
std::optional<Mechanism> parse_mechanism(std::string_view name);  // case-insensitive

struct Credentials {
  std::string authzid;  // PLAIN's authorization identity, usually empty
  std::string authcid;  // the login
  std::string password;
};

struct SaslStep {
  enum class Kind { Challenge, Done, Failed };
  enum class Failure {
    None,
    Cancelled,       // the client sent "*" (RFC 4954 §4): 501
    BadBase64,       // 501 5.5.2
    BadCredentials,  // malformed PLAIN message, empty or oversized fields: an ordinary 535
  };
  Kind kind = Kind::Failed;
  std::string challenge;    // Challenge: the base64 text after "334 " (empty for PLAIN)
  Credentials credentials;  // Done
  Failure failure = Failure::None;
};

class SaslExchange {
 public:
  // Longest login and password accepted: a local part and a domain, and a generous passphrase.
  static constexpr std::size_t kMaxLogin = 64 + 1 + 255;
  static constexpr std::size_t kMaxPassword = 1024;

  // `initial_response`: AUTH's optional second argument; "=" is an empty response (RFC 4954 §4).
  SaslExchange(Mechanism mechanism, std::optional<std::string_view> initial_response);

  SaslStep start();
  SaslStep respond(std::string_view line);

 private:
  enum class Stage { Plain, LoginUser, LoginPassword, Over };
  SaslStep accept_plain(std::string_view response);
  SaslStep accept_login_user(std::string_view response);
  SaslStep accept_login_password(std::string_view response);
  static SaslStep failed(SaslStep::Failure failure);
  static SaslStep challenge(std::string text);

  Mechanism mechanism_;
  std::optional<std::string> initial_response_;
  Stage stage_ = Stage::Over;
  std::string login_;
};

}  // namespace tern::auth
