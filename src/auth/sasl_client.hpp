// The client side of SMTP AUTH (RFC 4954 §4) for `tern send` and the outbound SMTP client: the
// PLAIN initial response (RFC 4616 §2) and the answers to LOGIN's two prompts
// (draft-murchison-sasl-login). Pure: no I/O; the caller sends the returned base64 text.
// Guarantees: a field that cannot be sent unambiguously (empty, or holding a NUL that would shift
// PLAIN's fields) is refused rather than sent.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tern::auth {

// base64([authzid] NUL user NUL password), for "AUTH PLAIN <response>". `authzid` is usually
// empty (act as `user`).
Result<std::string> plain_initial_response(std::string_view authzid, std::string_view user,
                                           std::string_view password);

// The base64 answer to one decoded LOGIN challenge: the user for "Username:", the password for
// "Password:" (matched without regard to case, a trailing colon, spaces or NULs, since servers word
// them slightly differently). Any other prompt is an error: guessing could send the password where
// the server asked for the user name.
Result<std::string> login_response(std::string_view decoded_challenge, std::string_view user,
                                   std::string_view password);

}  // namespace tern::auth
