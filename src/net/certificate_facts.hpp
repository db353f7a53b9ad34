// The facts about a TLS peer's certificate that a client tool reports (`tern audit`): subject,
// subjectAltName, issuer, validity, key, signature, whether it is self-signed and whether its
// chain leads to a CA the client trusts. Read with the OpenSSL API into plain values, so the
// verdicts over them are pure functions. Guarantees: every text is printable ASCII; the chain is
// checked without any host name (name matching is the caller's, over `dns_names`/`ip_addresses`).
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace tern::net {

struct CertificateFacts {
  std::string subject;  // RFC 2253 style: "CN=mail.example.org,O=Example"
  std::string issuer;
  std::string common_name;                // the subject's last CN, or empty
  std::vector<std::string> dns_names;     // subjectAltName dNSName entries
  std::vector<std::string> ip_addresses;  // subjectAltName iPAddress entries, as text
  std::int64_t not_before = 0;            // seconds since the epoch (UTC)
  std::int64_t not_after = 0;
  bool self_signed = false;  // issuer = subject and signed by its own key
  std::string key_type;      // "RSA", "EC", "ED25519", ...
  int key_bits = 0;
  std::string signature_algorithm;  // "ecdsa-with-SHA256", "sha1WithRSAEncryption"
  bool chain_trusted = false;       // verifies against the client context's CA store
  std::string trust_error;          // OpenSSL's reason when not trusted
};

// The facts of the certificate `ssl`'s peer presented (client side, after the handshake); the
// chain is verified against the CA store of `ssl`'s context.
Result<CertificateFacts> peer_certificate_facts(const SSL* ssl);

// The same for a certificate on its own (no chain: trusted only when a CA in `store`, which may be
// null, signed it directly).
Result<CertificateFacts> certificate_facts(X509* certificate, X509_STORE* store,
                                           STACK_OF(X509) * untrusted_chain);

}  // namespace tern::net
