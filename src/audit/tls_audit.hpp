// TLS as a client finds it (RFC 3207 STARTTLS, RFC 8314 implicit TLS, RFC 8996 TLS 1.0/1.1
// deprecated, RFC 6125 name matching): offered or not, the handshake, which protocol versions the
// server accepts (one handshake per version), and the certificate. Certificate problems weigh by
// what the TLS protects: on a port that offers AUTH, clients send passwords through it, so a
// certificate they cannot verify (self-signed, unknown CA, wrong name) lets a man in the middle
// read them: medium. Without AUTH (an MX), senders use opportunistic TLS (RFC 7435) and do not
// check certificates unless the domain publishes MTA-STS or DANE: info.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/finding.hpp"
#include "audit/probe_reply.hpp"
#include "net/certificate_facts.hpp"

namespace tern::audit {

enum class VersionResult {
  Accepted,  // the handshake pinned to this version succeeded
  Refused,   // the server refused it (handshake failure)
  Untested,  // this machine's OpenSSL cannot offer it, or STARTTLS was refused on that connection
};

struct VersionProbe {
  std::string version;  // "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"
  VersionResult result = VersionResult::Untested;
  std::string detail;  // the negotiated cipher, or the error
};

struct TlsFacts {
  bool tls_on_connect = false;
  bool starttls_offered = false;
  std::optional<ProbeReply> starttls_reply;  // the reply to STARTTLS, when sent
  bool handshake_done = false;
  std::string handshake_error;
  std::string session;  // "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
  std::optional<net::CertificateFacts> certificate;
  std::string certificate_error;       // why there are no facts
  std::string checked_name;            // the name the certificate should carry
  bool name_from_target = true;        // false: the target was an address; the server's own name
  std::vector<VersionProbe> versions;  // empty: the version check did not run
  bool auth_offered = false;           // AUTH seen before or inside TLS
  std::int64_t now = 0;                // seconds since the epoch, for validity
};

// RFC 6125 §6.4: `name` against the dNSName entries (the CN only when there are none), a wildcard
// only as the whole leftmost label standing for exactly one label; an IP address against the
// iPAddress entries. Case-insensitive; a trailing dot is ignored.
bool certificate_matches_name(const net::CertificateFacts& certificate, std::string_view name);

std::string_view version_result_name(VersionResult result);  // "accepted", "refused", "untested"

// "2035-03-01 12:00:00 UTC"
std::string utc_time_text(std::int64_t seconds);

CheckResult tls_section(const TlsFacts& facts);

}  // namespace tern::audit
