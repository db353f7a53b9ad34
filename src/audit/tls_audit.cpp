// The TLS verdicts: STARTTLS and the handshake, deprecated protocol versions, and the certificate
// (validity, trust, name, key strength, signature).
#include "audit/tls_audit.hpp"

#include <fmt/format.h>

#include <asio/ip/address.hpp>
#include <ctime>

#include "base/strings.hpp"

namespace tern::audit {
namespace {

constexpr std::int64_t kDay = 24 * 60 * 60;

std::string normalized_name(std::string_view name) {
  std::string lower = to_lower_ascii(name);
  if (!lower.empty() && lower.back() == '.') lower.pop_back();
  return lower;
}

bool dns_name_matches(std::string_view pattern_text, const std::string& name) {
  std::string pattern = normalized_name(pattern_text);
  if (pattern.empty()) return false;
  if (!pattern.starts_with("*.")) return pattern == name;
  // "*.example.org" stands for exactly one label before ".example.org", never for the bare
  // "example.org", and never for a public suffix alone ("*.org").
  std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.org"
  if (suffix.find('.', 1) == std::string_view::npos) return false;
  if (name.size() <= suffix.size() || !std::string_view(name).ends_with(suffix)) return false;
  std::string_view label = std::string_view(name).substr(0, name.size() - suffix.size());
  return !label.empty() && label.find('.') == std::string_view::npos;
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

// The certificate's names for messages: "DNS:mail.example.org, IP:192.0.2.1".
std::string alt_names_text(const net::CertificateFacts& certificate) {
  std::vector<std::string> names;
  for (const std::string& name : certificate.dns_names) names.push_back("DNS:" + name);
  for (const std::string& address : certificate.ip_addresses) names.push_back("IP:" + address);
  return names.empty() ? "(none)" : joined(names, ", ");
}

bool weak_key(const net::CertificateFacts& certificate) {
  if (certificate.key_type == "RSA" || certificate.key_type == "DSA") {
    return certificate.key_bits < 2048;
  }
  if (certificate.key_type == "EC") return certificate.key_bits < 224;
  return false;
}

bool weak_signature(const net::CertificateFacts& certificate) {
  std::string algorithm = to_lower_ascii(certificate.signature_algorithm);
  return algorithm.find("md5") != std::string::npos || algorithm.find("sha1") != std::string::npos;
}

const char* kCertificateFix =
    "install a certificate from a CA your clients trust (e.g. Let's Encrypt) for the name they "
    "connect to: tern and Postfix smtpd_tls_cert_file and smtpd_tls_key_file (or "
    "smtpd_tls_chain_files)";

void judge_certificate(const TlsFacts& facts, CheckResult& check) {
  const net::CertificateFacts& certificate = *facts.certificate;
  check.observations.push_back("certificate subject: " + certificate.subject);
  check.observations.push_back("certificate subjectAltName: " + alt_names_text(certificate));
  check.observations.push_back("certificate issuer: " + certificate.issuer);
  std::int64_t days_left = (certificate.not_after - facts.now) / kDay;
  check.observations.push_back(fmt::format("certificate valid: {} to {} ({} days left)",
                                           utc_time_text(certificate.not_before),
                                           utc_time_text(certificate.not_after), days_left));
  check.observations.push_back(fmt::format("certificate key: {} {} bits, signature {}",
                                           certificate.key_type, certificate.key_bits,
                                           certificate.signature_algorithm));
  bool matches = certificate_matches_name(certificate, facts.checked_name);
  std::string trust = certificate.chain_trusted ? "chains to a CA this machine trusts"
                      : certificate.self_signed ? "self-signed"
                                                : "does not chain to a CA this machine trusts (" +
                                                      certificate.trust_error + ")";
  check.observations.push_back("certificate trust: " + trust);
  if (!facts.checked_name.empty()) {
    check.observations.push_back(fmt::format(
        "certificate name: {} {}{}", matches ? "matches" : "does not match", facts.checked_name,
        facts.name_from_target ? "" : " (the server's own name: you gave an address)"));
  }

  nlohmann::ordered_json details;
  details["subject"] = certificate.subject;
  details["dns_names"] = certificate.dns_names;
  details["ip_addresses"] = certificate.ip_addresses;
  details["issuer"] = certificate.issuer;
  details["not_before"] = utc_time_text(certificate.not_before);
  details["not_after"] = utc_time_text(certificate.not_after);
  details["days_left"] = days_left;
  details["key"] = fmt::format("{} {}", certificate.key_type, certificate.key_bits);
  details["signature"] = certificate.signature_algorithm;
  details["self_signed"] = certificate.self_signed;
  details["trusted"] = certificate.chain_trusted;
  details["trust_error"] = certificate.trust_error;
  details["checked_name"] = facts.checked_name;
  details["name_matches"] = matches;
  check.details["certificate"] = details;

  // What an unverifiable certificate costs depends on what it protects (see the header).
  Severity unverifiable = facts.auth_offered ? Severity::Medium : Severity::Info;
  std::string why = facts.auth_offered
                        ? "AUTH is offered here, so clients that accept this certificate can have "
                          "their passwords read by a man in the middle"
                        : "no AUTH here: senders to an MX use opportunistic TLS (RFC 7435) and do "
                          "not check certificates unless the domain publishes MTA-STS or DANE; "
                          "mail is still encrypted against eavesdroppers";
  if (facts.now > certificate.not_after) {
    check.findings.push_back({facts.auth_offered ? Severity::Medium : Severity::Low,
                              "the certificate has expired",
                              "notAfter " + utc_time_text(certificate.not_after), kCertificateFix});
  } else if (facts.now < certificate.not_before) {
    check.findings.push_back(
        {facts.auth_offered ? Severity::Medium : Severity::Low, "the certificate is not valid yet",
         "notBefore " + utc_time_text(certificate.not_before), kCertificateFix});
  } else if (days_left < 14) {
    check.findings.push_back(
        {Severity::Info, fmt::format("the certificate expires in {} days", days_left),
         "notAfter " + utc_time_text(certificate.not_after), "renew it (automate renewal)"});
  }
  if (!certificate.chain_trusted) {
    check.findings.push_back(
        {unverifiable,
         certificate.self_signed
             ? "self-signed certificate: clients that verify will not trust it"
             : "the certificate does not chain to a trusted CA: clients that verify will not "
               "trust it",
         fmt::format("issuer {}{}; {}", certificate.issuer,
                     certificate.self_signed ? "" : " (" + certificate.trust_error + ")", why),
         kCertificateFix});
  }
  if (!facts.checked_name.empty() && !matches) {
    check.findings.push_back(
        {unverifiable, fmt::format("the certificate does not name {}", facts.checked_name),
         fmt::format("it names {} (CN {}); {}", alt_names_text(certificate),
                     certificate.common_name.empty() ? "none" : certificate.common_name, why),
         kCertificateFix});
  }
  if (weak_key(certificate)) {
    check.findings.push_back({Severity::Medium,
                              fmt::format("weak certificate key: {} {} bits", certificate.key_type,
                                          certificate.key_bits),
                              "RSA below 2048 bits (or EC below 224) can be factored or broken",
                              "a new key: RSA 2048+ or ECDSA P-256"});
  }
  if (weak_signature(certificate) && !certificate.self_signed) {
    check.findings.push_back(
        {Severity::Low,
         "the certificate is signed with a broken hash: " + certificate.signature_algorithm,
         "MD5 and SHA-1 signatures can be forged", kCertificateFix});
  }
}

}  // namespace

bool certificate_matches_name(const net::CertificateFacts& certificate, std::string_view name) {
  std::string wanted = normalized_name(name);
  if (wanted.empty()) return false;
  asio::error_code not_address;
  asio::ip::address address = asio::ip::make_address(wanted, not_address);
  if (!not_address) {
    for (const std::string& entry : certificate.ip_addresses) {
      asio::error_code bad;
      asio::ip::address listed = asio::ip::make_address(entry, bad);
      if (!bad && listed == address) return true;
    }
    return false;
  }
  if (!certificate.dns_names.empty()) {
    for (const std::string& pattern : certificate.dns_names) {
      if (dns_name_matches(pattern, wanted)) return true;
    }
    return false;
  }
  return dns_name_matches(certificate.common_name, wanted);  // RFC 6125 §6.4.4 fallback
}

std::string_view version_result_name(VersionResult result) {
  if (result == VersionResult::Accepted) return "accepted";
  if (result == VersionResult::Refused) return "refused";
  return "untested";
}

std::string utc_time_text(std::int64_t seconds) {
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  ::gmtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
  return text;
}

CheckResult tls_section(const TlsFacts& facts) {
  CheckResult check;
  check.id = "tls";
  check.title = "TLS";
  check.details["tls_on_connect"] = facts.tls_on_connect;
  check.details["starttls_offered"] = facts.starttls_offered;
  check.details["handshake"] = facts.handshake_done;
  check.details["session"] = facts.session;
  std::string fix_offer =
      "tern: smtpd_tls_security_level = may (the default); Postfix: smtpd_tls_security_level = "
      "may with smtpd_tls_cert_file and smtpd_tls_key_file";

  if (facts.tls_on_connect) {
    check.observations.push_back("TLS from the first byte (implicit TLS, RFC 8314)");
  } else if (!facts.starttls_offered) {
    check.observations.push_back("STARTTLS: not offered");
    check.findings.push_back({Severity::Medium,
                              "STARTTLS not offered: mail (and any password) crosses the network "
                              "in clear",
                              "no 250-STARTTLS in the EHLO reply", fix_offer});
    check.details["versions"] = nlohmann::ordered_json::object();
    return check;
  } else {
    check.observations.push_back("STARTTLS: offered");
    if (facts.starttls_reply && facts.starttls_reply->code() != 220) {
      check.findings.push_back({Severity::Medium, "STARTTLS is announced but refused",
                                "STARTTLS got " + facts.starttls_reply->summary(), fix_offer});
    }
  }

  if (facts.handshake_done) {
    check.observations.push_back("handshake: " + facts.session);
  } else if (!facts.handshake_error.empty()) {
    check.observations.push_back("handshake failed: " + facts.handshake_error);
    check.findings.push_back({Severity::Medium, "the TLS handshake fails", facts.handshake_error,
                              "check the certificate and key files and smtpd_tls_protocols"});
  }

  nlohmann::ordered_json versions = nlohmann::ordered_json::object();
  if (!facts.versions.empty()) {
    std::vector<std::string> parts;
    std::vector<std::string> deprecated;
    bool modern = false;
    for (const VersionProbe& probe : facts.versions) {
      parts.push_back(fmt::format("{} {}", probe.version, version_result_name(probe.result)));
      versions[probe.version] = {{"result", version_result_name(probe.result)},
                                 {"detail", probe.detail}};
      if (probe.result != VersionResult::Accepted) continue;
      if (probe.version == "TLSv1.0" || probe.version == "TLSv1.1") {
        deprecated.push_back(probe.version);
      } else {
        modern = true;
      }
    }
    check.observations.push_back("protocol versions: " + joined(parts, ", "));
    for (const VersionProbe& probe : facts.versions) {
      if (probe.result == VersionResult::Untested) {
        check.observations.push_back(fmt::format("  {} untested: {}", probe.version, probe.detail));
      }
    }
    if (!deprecated.empty()) {
      check.findings.push_back(
          {Severity::Medium,
           fmt::format("deprecated TLS accepted: {} (RFC 8996)", joined(deprecated, ", ")),
           fmt::format("a handshake limited to {} succeeded", joined(deprecated, " or ")),
           "tern never speaks them; Postfix: smtpd_tls_protocols = >=TLSv1.2 and "
           "smtpd_tls_mandatory_protocols = >=TLSv1.2"});
    }
    if (facts.handshake_done && !modern) {
      check.findings.push_back({Severity::Medium, "neither TLS 1.2 nor TLS 1.3 is accepted",
                                "only deprecated versions completed a handshake",
                                "enable TLS 1.2 and 1.3 (OpenSSL 1.1.1 or newer)"});
    }
  }
  check.details["versions"] = versions;

  if (facts.certificate) {
    judge_certificate(facts, check);
  } else if (facts.handshake_done) {
    check.observations.push_back("certificate: " + facts.certificate_error);
  }
  return check;
}

}  // namespace tern::audit
