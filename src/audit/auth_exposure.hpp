// AUTH (RFC 4954) as a client sees it before and after TLS. RFC 4954 §4 and RFC 8314 want
// passwords to travel only inside TLS: PLAIN and LOGIN carry the password itself (base64 is not
// encryption), so offering them on a plaintext connection is a high finding; other mechanisms in
// the clear (CRAM-MD5, ...) resist sniffing but not offline guessing, a low one.
#pragma once

#include <string>
#include <vector>

#include "audit/finding.hpp"

namespace tern::audit {

struct AuthFacts {
  bool tls_on_connect = false;          // the session was TLS from the first byte (465)
  bool starttls_offered = false;        // in the plaintext EHLO
  bool tls_established = false;         // a handshake succeeded (STARTTLS or implicit)
  std::vector<std::string> before_tls;  // AUTH mechanisms in the plaintext EHLO
  std::vector<std::string> after_tls;   // AUTH mechanisms in the EHLO inside TLS
};

CheckResult auth_section(const AuthFacts& facts);

// Any AUTH offered at all: clients then send passwords through this server's TLS, so the
// certificate must be one they can verify (see tls_section()).
bool auth_offered(const AuthFacts& facts);

}  // namespace tern::audit
