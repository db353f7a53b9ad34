// Password hashes of the users file, in Dovecot's "{SCHEME}value" syntax, verified and made with
// libxcrypt (the formats of /etc/shadow: yescrypt "$y$", bcrypt "$2b$", sha512-crypt "$6$", ...).
// Guarantees: every comparison is constant-time; an empty or unknown stored password never
// matches; only the reentrant crypt functions are used, so any thread may call these at once.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tern::auth {

// How a stored password is kept, so the daemon can warn about clear-text ones.
enum class PasswordScheme {
  Crypt,    // {CRYPT}, {BLF-CRYPT}, {SHA512-CRYPT}, {SHA256-CRYPT}, {MD5-CRYPT}, or a bare "$..."
  Plain,    // {PLAIN} or {CLEARTEXT}: accepted, but only with a warning
  Unknown,  // any other scheme, or a bare value not starting with '$': never matches
  Empty,    // no password (or a scheme prefix with nothing after it): never matches
};

PasswordScheme scheme_of(std::string_view stored);

// True when `password` matches `stored` ("{SCHEME}value", or a bare crypt hash as Dovecot's
// default scheme CRYPT). Slow on purpose for crypt hashes (the hash's own cost).
bool verify_password(std::string_view password, std::string_view stored);

// The same work as verifying against a yescrypt hash of libxcrypt's default cost, for logins of
// unknown users: their failure takes as long as a known user's, so timing does not reveal which
// users exist.
void spend_verification_work(std::string_view password);

// "{CRYPT}$y$..." : yescrypt with libxcrypt's default cost and a salt from the system's entropy.
// Refuses an empty password and one containing NUL.
Result<std::string> hash_password(std::string_view password);

}  // namespace tern::auth
