// Relay and HELO decisions as a table: each row is the facts of one RCPT and the verdict expected.
#include "policy/restrictions.hpp"

#include <gtest/gtest.h>

namespace tern::policy {
namespace {

const std::vector<std::string> kDefaultRelay{"permit_mynetworks", "reject_unauth_destination"};

struct Row {
  bool mynetworks;
  bool local_domain;
  bool routed;
  Decision expected;
};

TEST(RestrictionsTest, DefaultRelayTable) {
  const Row rows[] = {
      {false, true, false, Decision::Dunno},   // stranger -> our domain: accepted (then user check)
      {false, false, false, Decision::Reject},  // stranger -> elsewhere: relay denied
      {false, true, true, Decision::Reject},    // stranger -> user%elsewhere@our-domain: denied
      {true, false, false, Decision::Permit},   // our network -> elsewhere: relay allowed
      {true, true, true, Decision::Permit},
  };
  for (const Row& row : rows) {
    RecipientFacts facts;
    facts.client_in_mynetworks = row.mynetworks;
    facts.recipient_domain_is_local = row.local_domain;
    facts.sender_routed = row.routed;
    facts.recipient = "x@other.example";
    Verdict verdict = evaluate_recipient_restrictions(kDefaultRelay, facts);
    EXPECT_EQ(verdict.decision, row.expected)
        << row.mynetworks << row.local_domain << row.routed;
    if (verdict.decision == Decision::Reject) {
      EXPECT_EQ(verdict.reply.code, 554);
      EXPECT_EQ(verdict.reply.lines.at(0), "<x@other.example>: Relay access denied");
    }
  }
}

TEST(RestrictionsTest, PermitAndRejectEndTheList) {
  RecipientFacts facts;
  EXPECT_EQ(evaluate_recipient_restrictions({"permit", "reject"}, facts).decision, Decision::Permit);
  EXPECT_EQ(evaluate_recipient_restrictions({"reject", "permit"}, facts).decision, Decision::Reject);
  EXPECT_EQ(evaluate_recipient_restrictions({}, facts).decision, Decision::Dunno);
  facts.sasl_authenticated = true;
  EXPECT_EQ(evaluate_recipient_restrictions({"permit_sasl_authenticated", "reject"}, facts).decision,
            Decision::Permit);
}

TEST(RestrictionsTest, HeloHostnameValidity) {
  EXPECT_TRUE(is_valid_helo_hostname("mail1.inlanefreight.htb"));
  EXPECT_TRUE(is_valid_helo_hostname("mail1"));
  EXPECT_TRUE(is_valid_helo_hostname("[127.0.0.1]"));
  EXPECT_TRUE(is_valid_helo_hostname("[IPv6:::1]"));
  EXPECT_FALSE(is_valid_helo_hostname("bad..name"));
  EXPECT_FALSE(is_valid_helo_hostname("-lead.example"));
  EXPECT_FALSE(is_valid_helo_hostname("sp ace"));
  EXPECT_FALSE(is_valid_helo_hostname("[999.1.1.1]"));
  EXPECT_FALSE(is_valid_helo_hostname(""));
}

TEST(RestrictionsTest, HeloRestrictions) {
  const std::vector<std::string> checks{"reject_invalid_helo_hostname",
                                        "reject_non_fqdn_helo_hostname"};
  EXPECT_EQ(evaluate_helo_restrictions(checks, "mail.example", false).decision, Decision::Dunno);
  Verdict invalid = evaluate_helo_restrictions(checks, "bad..name", false);
  EXPECT_EQ(invalid.decision, Decision::Reject);
  EXPECT_EQ(invalid.reply.code, 501);
  Verdict bare = evaluate_helo_restrictions(checks, "mail1", false);
  EXPECT_EQ(bare.decision, Decision::Reject);
  EXPECT_EQ(bare.reply.code, 504);
  EXPECT_EQ(evaluate_helo_restrictions({"permit_mynetworks", "reject_invalid_helo_hostname"},
                                       "bad..name", true)
                .decision,
            Decision::Permit);
}

}  // namespace
}  // namespace tern::policy
