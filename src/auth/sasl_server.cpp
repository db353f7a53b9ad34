// SASL PLAIN and LOGIN, server side. Responses are decoded strictly (base64.hpp); every field is
// bounded; a malformed PLAIN message fails exactly like a wrong password so probing learns nothing.
#include "auth/sasl_server.hpp"

#include <algorithm>

#include "base/base64.hpp"
#include "base/strings.hpp"

namespace tern::auth {

std::optional<Mechanism> parse_mechanism(std::string_view name) {
  if (iequals(name, "PLAIN")) return Mechanism::Plain;
  if (iequals(name, "LOGIN")) return Mechanism::Login;
  return std::nullopt;
}

SaslExchange::SaslExchange(Mechanism mechanism, std::optional<std::string_view> initial_response)
    : mechanism_(mechanism) {
  if (initial_response) initial_response_ = std::string(*initial_response);
}

SaslStep SaslExchange::failed(SaslStep::Failure failure) {
  SaslStep step;
  step.kind = SaslStep::Kind::Failed;
  step.failure = failure;
  return step;
}

SaslStep SaslExchange::challenge(std::string text) {
  SaslStep step;
  step.kind = SaslStep::Kind::Challenge;
  step.challenge = std::move(text);
  return step;
}

SaslStep SaslExchange::start() {
  if (mechanism_ == Mechanism::Plain) {
    stage_ = Stage::Plain;
    // RFC 4616: without an initial response the server sends an empty challenge.
    if (!initial_response_) return challenge("");
  } else {
    stage_ = Stage::LoginUser;
    if (!initial_response_) return challenge(base64_encode("Username:"));
  }
  // RFC 4954 §4: "=" stands for an empty initial response (an empty argument could not be seen).
  return respond(*initial_response_ == "=" ? std::string_view() : *initial_response_);
}

SaslStep SaslExchange::respond(std::string_view line) {
  if (line == "*") {
    stage_ = Stage::Over;
    return failed(SaslStep::Failure::Cancelled);
  }
  // A later empty response is an empty line; "=" there is not base64 (RFC 4954 §4).
  std::optional<std::string> decoded = base64_decode(line);
  if (!decoded) {
    stage_ = Stage::Over;
    return failed(SaslStep::Failure::BadBase64);
  }
  switch (stage_) {
    case Stage::Plain:
      return accept_plain(*decoded);
    case Stage::LoginUser:
      return accept_login_user(*decoded);
    case Stage::LoginPassword:
      return accept_login_password(*decoded);
    case Stage::Over:
      break;
  }
  return failed(SaslStep::Failure::BadCredentials);
}

// RFC 4616 §2: message = [authzid] NUL authcid NUL passwd.
SaslStep SaslExchange::accept_plain(std::string_view message) {
  stage_ = Stage::Over;
  std::size_t first = message.find('\0');
  std::size_t second = first == std::string_view::npos ? first : message.find('\0', first + 1);
  if (second == std::string_view::npos ||
      message.find('\0', second + 1) != std::string_view::npos) {
    return failed(SaslStep::Failure::BadCredentials);
  }
  Credentials credentials{std::string(message.substr(0, first)),
                          std::string(message.substr(first + 1, second - first - 1)),
                          std::string(message.substr(second + 1))};
  bool sized = !credentials.authcid.empty() && credentials.authcid.size() <= kMaxLogin &&
               credentials.authzid.size() <= kMaxLogin && !credentials.password.empty() &&
               credentials.password.size() <= kMaxPassword;
  if (!sized) return failed(SaslStep::Failure::BadCredentials);
  SaslStep step;
  step.kind = SaslStep::Kind::Done;
  step.credentials = std::move(credentials);
  return step;
}

SaslStep SaslExchange::accept_login_user(std::string_view user) {
  if (user.empty() || user.size() > kMaxLogin || user.find('\0') != std::string_view::npos) {
    stage_ = Stage::Over;
    return failed(SaslStep::Failure::BadCredentials);
  }
  login_ = std::string(user);
  stage_ = Stage::LoginPassword;
  return challenge(base64_encode("Password:"));
}

SaslStep SaslExchange::accept_login_password(std::string_view password) {
  stage_ = Stage::Over;
  if (password.empty() || password.size() > kMaxPassword ||
      password.find('\0') != std::string_view::npos) {
    return failed(SaslStep::Failure::BadCredentials);
  }
  SaslStep step;
  step.kind = SaslStep::Kind::Done;
  step.credentials = Credentials{"", std::move(login_), std::string(password)};
  return step;
}

}  // namespace tern::auth
