// Fuzzes the SASL decoders: the server's PLAIN/LOGIN exchange (auth/sasl_server.hpp) fed an AUTH
// initial response and client lines, strict base64 (base/base64.hpp), and our SASL client
// (auth/sasl_client.hpp) talking to our server. Checks: credentials that reach the password check
// are within the documented bounds and NUL-free where the mechanism needs it; base64 decoding
// accepts exactly the canonical encodings (decode(encode(x)) == x, encode(decode(t)) == t); any
// credentials our client can send, our server reads back unchanged.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/sasl_client.hpp"
#include "auth/sasl_server.hpp"
#include "base/base64.hpp"
#include "fuzz_check.hpp"

namespace {

using tern::fuzz::visible;
using namespace tern;
using auth::SaslExchange;
using auth::SaslStep;

void check_base64(std::string_view bytes) {
  std::string encoded = base64_encode(bytes);
  auto decoded = base64_decode(encoded);
  FUZZ_CHECK(decoded && *decoded == bytes, "base64 round trip of " + visible(bytes));
  if (auto read = base64_decode(bytes)) {
    FUZZ_CHECK(base64_encode(*read) == bytes, "non-canonical base64 accepted: " + visible(bytes));
  }
}

void check_done(const SaslStep& step, auth::Mechanism mechanism) {
  const auth::Credentials& credentials = step.credentials;
  FUZZ_CHECK(!credentials.authcid.empty() && credentials.authcid.size() <= SaslExchange::kMaxLogin,
             "login of " + std::to_string(credentials.authcid.size()) + " octets");
  FUZZ_CHECK(
      !credentials.password.empty() && credentials.password.size() <= SaslExchange::kMaxPassword,
      "password of " + std::to_string(credentials.password.size()) + " octets");
  FUZZ_CHECK(credentials.authzid.size() <= SaslExchange::kMaxLogin, "authzid too long");
  for (const std::string* field :
       {&credentials.authzid, &credentials.authcid, &credentials.password}) {
    FUZZ_CHECK(field->find('\0') == std::string::npos, "NUL in a credential: " + visible(*field));
  }
  if (mechanism == auth::Mechanism::Login) {
    FUZZ_CHECK(credentials.authzid.empty(), "LOGIN with an authorization identity");
  }
}

// The server's exchange over fuzzer-chosen AUTH argument and client lines.
void run_server(FuzzedDataProvider& provider) {
  auto mechanism = provider.ConsumeBool() ? auth::Mechanism::Login : auth::Mechanism::Plain;
  std::optional<std::string> initial;
  if (provider.ConsumeBool()) initial = provider.ConsumeRandomLengthString(600);
  SaslExchange exchange(mechanism, initial);
  SaslStep step = exchange.start();
  for (int round = 0; step.kind == SaslStep::Kind::Challenge && round < 4; ++round) {
    auto challenge = base64_decode(step.challenge);
    FUZZ_CHECK(challenge.has_value(), "challenge is not base64: " + visible(step.challenge));
    step = exchange.respond(provider.ConsumeRandomLengthString(2000));
  }
  if (step.kind == SaslStep::Kind::Done) check_done(step, mechanism);
  if (step.kind == SaslStep::Kind::Failed) {
    FUZZ_CHECK(step.failure != SaslStep::Failure::None, "failed without a reason");
  }
}

// Our client against our server, both mechanisms.
void run_client_against_server(FuzzedDataProvider& provider) {
  std::string authzid = provider.ConsumeRandomLengthString(40);
  std::string user = provider.ConsumeRandomLengthString(400);
  std::string password = provider.ConsumeRandomLengthString(1100);
  bool fits = !user.empty() && user.size() <= SaslExchange::kMaxLogin && !password.empty() &&
              password.size() <= SaslExchange::kMaxPassword &&
              authzid.size() <= SaslExchange::kMaxLogin;

  if (auto response = auth::plain_initial_response(authzid, user, password)) {
    SaslStep step = SaslExchange(auth::Mechanism::Plain, *response).start();
    if (fits) {
      FUZZ_CHECK(step.kind == SaslStep::Kind::Done,
                 "PLAIN from our client refused for " + visible(user) + " / " + visible(password));
      FUZZ_CHECK(step.credentials.authzid == authzid && step.credentials.authcid == user &&
                     step.credentials.password == password,
                 "PLAIN credentials changed on the way: " + visible(step.credentials.authcid));
    }
  }

  SaslExchange login(auth::Mechanism::Login, std::nullopt);
  SaslStep step = login.start();
  for (int round = 0; step.kind == SaslStep::Kind::Challenge && round < 3; ++round) {
    auto prompt = base64_decode(step.challenge);
    FUZZ_CHECK(prompt.has_value(), "LOGIN prompt is not base64");
    auto answer = auth::login_response(*prompt, user, password);
    if (!answer) return;  // a NUL in a field: the client refuses to send it
    step = login.respond(*answer);
  }
  if (fits) {
    FUZZ_CHECK(step.kind == SaslStep::Kind::Done && step.credentials.authcid == user &&
                   step.credentials.password == password,
               "LOGIN from our client not read back for " + visible(user));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_base64(std::string_view(reinterpret_cast<const char*>(data), size));
  FuzzedDataProvider provider(data, size);
  run_server(provider);
  run_client_against_server(provider);
  return 0;
}
