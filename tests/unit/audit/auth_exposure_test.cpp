// AUTH before TLS: PLAIN/LOGIN is high, other mechanisms low; inside TLS or TLS from the first
// byte is fine.
#include "audit/auth_exposure.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

TEST(AuthExposureTest, PasswordMechanismsBeforeTlsAreHigh) {
  AuthFacts facts;
  facts.starttls_offered = true;
  facts.tls_established = true;
  facts.before_tls = {"PLAIN", "LOGIN"};
  facts.after_tls = {"PLAIN", "LOGIN"};
  CheckResult check = auth_section(facts);
  ASSERT_EQ(check.findings.size(), 1u);
  EXPECT_EQ(check.findings[0].severity, Severity::High);
  EXPECT_EQ(check.findings[0].title,
            "AUTH PLAIN LOGIN offered before TLS: passwords can cross the network in clear");
  EXPECT_EQ(check.observations[0], "before TLS: AUTH PLAIN LOGIN");
  EXPECT_EQ(check.observations[1], "inside TLS: AUTH PLAIN LOGIN");
  EXPECT_TRUE(auth_offered(facts));
}

TEST(AuthExposureTest, ChallengeMechanismsBeforeTlsAreLow) {
  AuthFacts facts;
  facts.before_tls = {"CRAM-MD5", "LOGIN"};
  CheckResult check = auth_section(facts);
  ASSERT_EQ(check.findings.size(), 2u);
  EXPECT_EQ(check.findings[0].severity, Severity::High);
  EXPECT_EQ(check.findings[1].severity, Severity::Low);
  EXPECT_EQ(check.observations[1], "inside TLS: not seen (no TLS session)");
}

TEST(AuthExposureTest, AuthOnlyInsideTlsIsFine) {
  AuthFacts facts;
  facts.starttls_offered = true;
  facts.tls_established = true;
  facts.after_tls = {"PLAIN", "LOGIN"};
  CheckResult check = auth_section(facts);
  EXPECT_TRUE(check.findings.empty());
  EXPECT_EQ(check.observations[0], "before TLS: AUTH not offered");
  EXPECT_TRUE(auth_offered(facts));
}

TEST(AuthExposureTest, ImplicitTlsAndNoAuth) {
  AuthFacts implicit;
  implicit.tls_on_connect = true;
  implicit.tls_established = true;
  implicit.after_tls = {"PLAIN"};
  EXPECT_TRUE(auth_section(implicit).findings.empty());
  AuthFacts none;
  none.starttls_offered = true;
  none.tls_established = true;
  CheckResult check = auth_section(none);
  EXPECT_TRUE(check.findings.empty());
  EXPECT_FALSE(auth_offered(none));
  EXPECT_EQ(check.observations[1], "inside TLS: AUTH not offered");
}

}  // namespace
}  // namespace tern::audit
