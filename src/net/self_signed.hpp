// A self-signed certificate for the first start of a server that has none configured, so STARTTLS
// works out of the box (clients that verify will refuse it; docs/security.md says how to install a
// real one). Made with the OpenSSL API: an ECDSA P-256 key and an X.509 v3 certificate naming the
// host in its subject and subjectAltName, valid for ten years.
#pragma once

#include <string>

#include "base/result.hpp"

namespace tern::net {

struct CertificateFiles {
  std::string certificate;  // PEM certificate path
  std::string key;          // PEM private key path, mode 0600
  bool created = false;     // made now rather than found from an earlier start
};

// Uses `directory`/self-signed.crt and .key when both exist; otherwise creates them (the directory
// too, mode 0700).
Result<CertificateFiles> ensure_self_signed_certificate(const std::string& directory,
                                                        const std::string& hostname);

}  // namespace tern::net
