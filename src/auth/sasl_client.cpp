// SASL PLAIN and LOGIN, client side: build the responses, refuse what a server would misread.
#include "auth/sasl_client.hpp"

#include <fmt/format.h>

#include "base/base64.hpp"
#include "base/strings.hpp"

namespace tern::auth {
namespace {

bool has_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

// Checks one credential field; `what` names it in the error.
Status check_field(std::string_view value, std::string_view what, bool may_be_empty) {
  if (!may_be_empty && value.empty()) return Error{fmt::format("empty {}", what)};
  if (has_nul(value)) return Error{fmt::format("{} contains a NUL byte", what)};
  return ok_status();
}

// "Username:", "User Name", "username\0" -> "username"; "Password:" -> "password".
std::string normalize_prompt(std::string_view prompt) {
  std::string out;
  for (char c : prompt) {
    if (c == ' ' || c == '\t' || c == '\0') continue;
    out += c;
  }
  while (!out.empty() && out.back() == ':') out.pop_back();
  return to_lower_ascii(out);
}

// The prompt as it may be shown in an error: printable ASCII only, and not too much of it.
std::string printable(std::string_view text) {
  constexpr std::size_t kShown = 64;
  std::string out;
  for (char c : text.substr(0, kShown)) out += c >= 0x20 && c < 0x7f ? c : '?';
  if (text.size() > kShown) out += "...";
  return out;
}

}  // namespace

Result<std::string> plain_initial_response(std::string_view authzid, std::string_view user,
                                           std::string_view password) {
  // RFC 4616 §2: authzid may be empty, authcid and passwd may not, and none may hold a NUL.
  for (const Status& status :
       {check_field(authzid, "authorization identity", true), check_field(user, "user name", false),
        check_field(password, "password", false)}) {
    if (!status) return status.error();
  }
  std::string message;
  message.reserve(authzid.size() + user.size() + password.size() + 2);
  message.append(authzid).append(1, '\0').append(user).append(1, '\0').append(password);
  return base64_encode(message);
}

Result<std::string> login_response(std::string_view decoded_challenge, std::string_view user,
                                   std::string_view password) {
  std::string prompt = normalize_prompt(decoded_challenge);
  std::string_view answer;
  if (prompt == "username") {
    if (auto status = check_field(user, "user name", false); !status) return status.error();
    answer = user;
  } else if (prompt == "password") {
    if (auto status = check_field(password, "password", false); !status) return status.error();
    answer = password;
  } else {
    return Error{fmt::format("unexpected LOGIN prompt \"{}\"", printable(decoded_challenge))};
  }
  return base64_encode(answer);
}

}  // namespace tern::auth
