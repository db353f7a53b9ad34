// TLS verdicts over recorded facts: STARTTLS missing or refused, deprecated versions, and the
// certificate rules, whose weight depends on whether AUTH rides on this TLS.
#include "audit/tls_audit.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

constexpr std::int64_t kNow = 1'750'000'000;  // 2025-06-15
constexpr std::int64_t kDay = 86400;

net::CertificateFacts good_certificate() {
  net::CertificateFacts certificate;
  certificate.subject = "CN=mail.example.org";
  certificate.issuer = "CN=R11,O=Let's Encrypt,C=US";
  certificate.common_name = "mail.example.org";
  certificate.dns_names = {"mail.example.org", "*.mx.example.org"};
  certificate.not_before = kNow - 30 * kDay;
  certificate.not_after = kNow + 60 * kDay;
  certificate.key_type = "EC";
  certificate.key_bits = 256;
  certificate.signature_algorithm = "sha256WithRSAEncryption";
  certificate.chain_trusted = true;
  return certificate;
}

TlsFacts starttls_facts() {
  TlsFacts facts;
  facts.starttls_offered = true;
  facts.starttls_reply = ProbeReply::from_raw("220 2.0.0 Ready to start TLS\r\n");
  facts.handshake_done = true;
  facts.session = "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)";
  facts.certificate = good_certificate();
  facts.checked_name = "mail.example.org";
  facts.now = kNow;
  facts.versions = {{"TLSv1.0", VersionResult::Refused, "alert"},
                    {"TLSv1.1", VersionResult::Refused, "alert"},
                    {"TLSv1.2", VersionResult::Accepted, "TLSv1.2 with cipher X"},
                    {"TLSv1.3", VersionResult::Accepted, "TLSv1.3 with cipher Y"}};
  return facts;
}

std::vector<Severity> severities(const CheckResult& check) {
  std::vector<Severity> out;
  for (const Finding& finding : check.findings) out.push_back(finding.severity);
  return out;
}

TEST(TlsAuditTest, NameMatchingFollowsRfc6125) {
  net::CertificateFacts certificate = good_certificate();
  EXPECT_TRUE(certificate_matches_name(certificate, "mail.example.org"));
  EXPECT_TRUE(certificate_matches_name(certificate, "MAIL.Example.ORG."));
  EXPECT_TRUE(certificate_matches_name(certificate, "a.mx.example.org"));
  EXPECT_FALSE(certificate_matches_name(certificate, "mx.example.org"));
  EXPECT_FALSE(certificate_matches_name(certificate, "a.b.mx.example.org"));
  EXPECT_FALSE(certificate_matches_name(certificate, "example.org"));
  EXPECT_FALSE(certificate_matches_name(certificate, ""));
  // The CN counts only without dNSName entries.
  certificate.common_name = "other.example.org";
  EXPECT_FALSE(certificate_matches_name(certificate, "other.example.org"));
  certificate.dns_names.clear();
  EXPECT_TRUE(certificate_matches_name(certificate, "other.example.org"));
  // Addresses match iPAddress entries only.
  certificate.ip_addresses = {"192.0.2.1", "2001:db8::1"};
  EXPECT_TRUE(certificate_matches_name(certificate, "192.0.2.1"));
  EXPECT_TRUE(certificate_matches_name(certificate, "2001:DB8:0::1"));
  EXPECT_FALSE(certificate_matches_name(certificate, "192.0.2.2"));
  // "*.org" stands for nothing.
  certificate.dns_names = {"*.org"};
  EXPECT_FALSE(certificate_matches_name(certificate, "example.org"));
}

TEST(TlsAuditTest, AGoodSetupHasNoFindings) {
  CheckResult check = tls_section(starttls_facts());
  EXPECT_TRUE(check.findings.empty()) << check.findings[0].title;
  EXPECT_EQ(check.observations[0], "STARTTLS: offered");
  EXPECT_EQ(check.observations[1],
            "handshake: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
  EXPECT_EQ(check.observations[2],
            "protocol versions: TLSv1.0 refused, TLSv1.1 refused, TLSv1.2 accepted, TLSv1.3 "
            "accepted");
  EXPECT_EQ(check.details["versions"]["TLSv1.2"]["result"], "accepted");
  EXPECT_EQ(check.details["certificate"]["name_matches"], true);
}

TEST(TlsAuditTest, NoStarttlsIsMedium) {
  TlsFacts facts;
  facts.now = kNow;
  CheckResult check = tls_section(facts);
  EXPECT_EQ(severities(check), std::vector<Severity>{Severity::Medium});
  EXPECT_EQ(check.findings[0].title,
            "STARTTLS not offered: mail (and any password) crosses the network in clear");
}

TEST(TlsAuditTest, RefusedStarttlsAndBrokenHandshake) {
  TlsFacts facts = starttls_facts();
  facts.starttls_reply = ProbeReply::from_raw("454 4.7.0 TLS not available\r\n");
  facts.handshake_done = false;
  facts.certificate.reset();
  facts.versions.clear();
  EXPECT_EQ(severities(tls_section(facts)), std::vector<Severity>{Severity::Medium});
  facts.starttls_reply = ProbeReply::from_raw("220 go ahead\r\n");
  facts.handshake_error = "sslv3 alert handshake failure";
  CheckResult check = tls_section(facts);
  EXPECT_EQ(severities(check), std::vector<Severity>{Severity::Medium});
  EXPECT_EQ(check.findings[0].evidence, "sslv3 alert handshake failure");
}

TEST(TlsAuditTest, DeprecatedVersionsAreMedium) {
  TlsFacts facts = starttls_facts();
  facts.versions[0].result = VersionResult::Accepted;
  facts.versions[1].result = VersionResult::Accepted;
  CheckResult check = tls_section(facts);
  ASSERT_EQ(severities(check), std::vector<Severity>{Severity::Medium});
  EXPECT_EQ(check.findings[0].title, "deprecated TLS accepted: TLSv1.0, TLSv1.1 (RFC 8996)");
  facts.versions[2].result = VersionResult::Refused;
  facts.versions[3].result = VersionResult::Refused;
  EXPECT_EQ(tls_section(facts).findings.size(), 2u);  // and nothing modern
}

TEST(TlsAuditTest, UntestedVersionsAreSaidSo) {
  TlsFacts facts = starttls_facts();
  facts.versions[0] = {"TLSv1.0", VersionResult::Untested,
                       "this machine's OpenSSL will not "
                       "offer it"};
  CheckResult check = tls_section(facts);
  EXPECT_TRUE(check.findings.empty());
  EXPECT_EQ(check.observations[3], "  TLSv1.0 untested: this machine's OpenSSL will not offer it");
}

TEST(TlsAuditTest, SelfSignedOnAnMxIsANote) {
  TlsFacts facts = starttls_facts();
  facts.certificate->chain_trusted = false;
  facts.certificate->self_signed = true;
  facts.certificate->issuer = facts.certificate->subject;
  CheckResult check = tls_section(facts);
  ASSERT_EQ(severities(check), std::vector<Severity>{Severity::Info});
  EXPECT_EQ(check.findings[0].title,
            "self-signed certificate: clients that verify will not trust it");
}

TEST(TlsAuditTest, SelfSignedWhereAuthRidesOnItIsMedium) {
  TlsFacts facts = starttls_facts();
  facts.auth_offered = true;
  facts.certificate->chain_trusted = false;
  facts.certificate->self_signed = true;
  EXPECT_EQ(severities(tls_section(facts)), std::vector<Severity>{Severity::Medium});
  facts.certificate->self_signed = false;
  facts.certificate->trust_error = "unable to get local issuer certificate";
  CheckResult check = tls_section(facts);
  ASSERT_EQ(severities(check), std::vector<Severity>{Severity::Medium});
  EXPECT_NE(check.findings[0].evidence.find("unable to get local issuer certificate"),
            std::string::npos);
}

TEST(TlsAuditTest, WrongNameWeighsLikeTrust) {
  TlsFacts facts = starttls_facts();
  facts.checked_name = "smtp.example.net";
  EXPECT_EQ(severities(tls_section(facts)), std::vector<Severity>{Severity::Info});
  facts.auth_offered = true;
  CheckResult check = tls_section(facts);
  EXPECT_EQ(severities(check), std::vector<Severity>{Severity::Medium});
  EXPECT_EQ(check.findings[0].title, "the certificate does not name smtp.example.net");
  facts.name_from_target = false;
  EXPECT_NE(tls_section(facts).observations.back().find("you gave an address"), std::string::npos);
}

TEST(TlsAuditTest, ValidityKeyAndSignature) {
  TlsFacts facts = starttls_facts();
  facts.certificate->not_after = kNow - kDay;
  EXPECT_EQ(severities(tls_section(facts)), std::vector<Severity>{Severity::Low});
  facts.auth_offered = true;
  EXPECT_EQ(severities(tls_section(facts)), std::vector<Severity>{Severity::Medium});
  facts.auth_offered = false;
  facts.certificate->not_after = kNow + 5 * kDay;
  EXPECT_EQ(severities(tls_section(facts)), std::vector<Severity>{Severity::Info});
  facts.certificate->not_before = kNow + kDay;
  EXPECT_EQ(tls_section(facts).findings[0].title, "the certificate is not valid yet");

  facts = starttls_facts();
  facts.certificate->key_type = "RSA";
  facts.certificate->key_bits = 1024;
  facts.certificate->signature_algorithm = "sha1WithRSAEncryption";
  EXPECT_EQ(severities(tls_section(facts)),
            (std::vector<Severity>{Severity::Medium, Severity::Low}));
}

TEST(TlsAuditTest, ImplicitTls) {
  TlsFacts facts = starttls_facts();
  facts.tls_on_connect = true;
  facts.starttls_offered = false;
  facts.starttls_reply.reset();
  CheckResult check = tls_section(facts);
  EXPECT_TRUE(check.findings.empty());
  EXPECT_EQ(check.observations[0], "TLS from the first byte (implicit TLS, RFC 8314)");
}

TEST(TlsAuditTest, UtcTimes) {
  EXPECT_EQ(utc_time_text(0), "1970-01-01 00:00:00 UTC");
  EXPECT_EQ(utc_time_text(kNow), "2025-06-15 15:06:40 UTC");
  EXPECT_EQ(version_result_name(VersionResult::Untested), "untested");
}

}  // namespace
}  // namespace tern::audit
