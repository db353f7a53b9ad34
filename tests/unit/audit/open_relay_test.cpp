// The 16 forms are exactly nmap's (checked against the seed's nmap -v output), srvname follows
// nmap's Lua patterns, and the per-form verdicts follow smtp-open-relay.nse's reply rules.
#include "audit/open_relay.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

TEST(OpenRelayTest, TheSixteenFormsOfTheSeed) {
  RelayParameters parameters;
  parameters.ip = "10.129.14.128";
  parameters.server_name = "ESMTP";  // the seed's banner is "220 ESMTP Server"
  std::vector<RelayForm> forms = relay_forms(parameters);
  // nmap's own list for that server, from the seed's transcript.
  const std::vector<std::pair<std::string, std::string>> expected{
      {"", "relaytest@nmap.scanme.org"},
      {"antispam@nmap.scanme.org", "relaytest@nmap.scanme.org"},
      {"antispam@ESMTP", "relaytest@nmap.scanme.org"},
      {"antispam@[10.129.14.128]", "relaytest@nmap.scanme.org"},
      {"antispam@[10.129.14.128]", "relaytest%nmap.scanme.org@[10.129.14.128]"},
      {"antispam@[10.129.14.128]", "relaytest%nmap.scanme.org@ESMTP"},
      {"antispam@[10.129.14.128]", "\"relaytest@nmap.scanme.org\""},
      {"antispam@[10.129.14.128]", "\"relaytest%nmap.scanme.org\""},
      {"antispam@[10.129.14.128]", "relaytest@nmap.scanme.org@[10.129.14.128]"},
      {"antispam@[10.129.14.128]", "\"relaytest@nmap.scanme.org\"@[10.129.14.128]"},
      {"antispam@[10.129.14.128]", "relaytest@nmap.scanme.org@ESMTP"},
      {"antispam@[10.129.14.128]", "@[10.129.14.128]:relaytest@nmap.scanme.org"},
      {"antispam@[10.129.14.128]", "@ESMTP:relaytest@nmap.scanme.org"},
      {"antispam@[10.129.14.128]", "nmap.scanme.org!relaytest"},
      {"antispam@[10.129.14.128]", "nmap.scanme.org!relaytest@[10.129.14.128]"},
      {"antispam@[10.129.14.128]", "nmap.scanme.org!relaytest@ESMTP"},
  };
  ASSERT_EQ(forms.size(), 16u);
  for (std::size_t i = 0; i < forms.size(); ++i) {
    EXPECT_EQ(forms[i].mail_from, expected[i].first) << i;
    EXPECT_EQ(forms[i].rcpt_to, expected[i].second) << i;
  }
}

TEST(OpenRelayTest, ParametersAreUsed) {
  RelayParameters parameters{"relay.test", "spam", "victim", "127.0.0.1", "mx.local"};
  std::vector<RelayForm> forms = relay_forms(parameters);
  EXPECT_EQ(forms[1].mail_from, "spam@relay.test");
  EXPECT_EQ(forms[4].rcpt_to, "victim%relay.test@[127.0.0.1]");
  EXPECT_EQ(forms[15].rcpt_to, "relay.test!victim@mx.local");
}

TEST(OpenRelayTest, ServerNameAsNmapFindsIt) {
  EXPECT_EQ(nmap_server_name("220 mail.example.test ESMTP tern\r\n", ""), "mail.example.test");
  EXPECT_EQ(nmap_server_name("220 ESMTP Server \r\n", ""), "ESMTP");
  // "%d+%s" needs a word right after the blank: "[" is not one, nor are the address's digits.
  EXPECT_EQ(nmap_server_name("220 [192.0.2.1] ready\r\n", "250-mx.example.org\r\n250 SIZE\r\n"),
            "mx.example.org");
  // No word after "220 " (a multi-line banner's first line): the first later match counts.
  EXPECT_EQ(nmap_server_name("220-\r\n220 mx-1.example.org ok\r\n", ""), "mx-1.example.org");
  EXPECT_EQ(nmap_server_name("220 \r\n", "250-mx.example.org\r\n250 SIZE 1\r\n"), "mx.example.org");
  EXPECT_EQ(nmap_server_name("", ""), "");
}

RelayTest test_with(const char* reset, const char* mail, const char* rcpt) {
  RelayTest test;
  if (reset) test.reset = ProbeReply::from_raw(reset);
  if (mail) test.mail = ProbeReply::from_raw(mail);
  if (rcpt) test.rcpt = ProbeReply::from_raw(rcpt);
  return test;
}

TEST(OpenRelayTest, VerdictsFollowNmap) {
  EXPECT_EQ(judge_relay_test(test_with("250 Ok\r\n", "250 Ok\r\n", "250 Ok\r\n")),
            RelayOutcome::Relayed);
  EXPECT_EQ(judge_relay_test(test_with("250 Ok\r\n", "250 Ok\r\n", "251 will forward\r\n")),
            RelayOutcome::Relayed);
  EXPECT_EQ(judge_relay_test(
                test_with("250 Ok\r\n", "250 Ok\r\n", "554 5.7.1 <x>: Relay access denied\r\n")),
            RelayOutcome::RcptRefused);
  EXPECT_EQ(judge_relay_test(test_with("250 Ok\r\n", "553 5.1.3 bad address\r\n", nullptr)),
            RelayOutcome::MailRefused);
  // nmap takes only 250 for MAIL.
  EXPECT_EQ(judge_relay_test(test_with("250 Ok\r\n", "251 Ok\r\n", nullptr)),
            RelayOutcome::MailRefused);
  EXPECT_EQ(judge_relay_test(test_with("530 5.7.0 Authentication required\r\n", nullptr, nullptr)),
            RelayOutcome::AuthRequired);
  EXPECT_EQ(judge_relay_test(test_with("250 Ok\r\n", "530 5.7.0 Must issue STARTTLS\r\n", nullptr)),
            RelayOutcome::AuthRequired);
  EXPECT_EQ(judge_relay_test(test_with("250 Ok\r\n", "250 Ok\r\n", "530 5.7.0 auth\r\n")),
            RelayOutcome::AuthRequired);
  RelayTest lost = test_with("250 Ok\r\n", "250 Ok\r\n", nullptr);
  lost.rcpt = ProbeReply::closed();
  EXPECT_EQ(judge_relay_test(lost), RelayOutcome::NotTested);
}

TEST(OpenRelayTest, SectionCountsRelayedForms) {
  RelayRun run;
  run.parameters = {"nmap.scanme.org", "antispam", "relaytest", "127.0.0.1", "mx"};
  std::vector<RelayForm> forms = relay_forms(run.parameters);
  for (std::size_t i = 0; i < forms.size(); ++i) {
    RelayTest test = test_with("250 Ok\r\n", "250 Ok\r\n",
                               i < 3 ? "250 Ok\r\n" : "554 5.7.1 Relay access denied\r\n");
    test.form = forms[i];
    run.tests.push_back(test);
  }
  CheckResult check = relay_section(run);
  ASSERT_EQ(check.findings.size(), 1u);
  EXPECT_EQ(check.findings[0].severity, Severity::High);
  EXPECT_EQ(check.findings[0].title, "open relay: RCPT accepted for 3/16 forms");
  EXPECT_EQ(check.details["relayed"], 3);
  EXPECT_EQ(check.details["tested"], 16);
  EXPECT_EQ(check.observations[1],
            "  MAIL FROM:<> -> RCPT TO:<relaytest@nmap.scanme.org>: relayed: 250 Ok");

  for (std::size_t i = 3; i < 5; ++i) run.tests[i].rcpt = ProbeReply::from_raw("251 forward\r\n");
  CheckResult five = relay_section(run);
  EXPECT_EQ(five.findings[0].title, "open relay: RCPT accepted for 5/16 forms");
  EXPECT_TRUE(five.findings[0].evidence.ends_with("; and 2 more")) << five.findings[0].evidence;

  for (RelayTest& test : run.tests) test.rcpt = ProbeReply::from_raw("554 5.7.1 denied\r\n");
  CheckResult closed = relay_section(run);
  EXPECT_TRUE(closed.findings.empty());
  EXPECT_EQ(closed.observations.back(), "relayed: 0/16 (no form accepted)");
}

TEST(OpenRelayTest, AuthenticationRequiredAndFailures) {
  RelayRun run;
  run.parameters.ip = "127.0.0.1";
  run.tests.push_back(test_with("530 5.7.0 Authentication required\r\n", nullptr, nullptr));
  CheckResult check = relay_section(run);
  EXPECT_TRUE(check.findings.empty());
  EXPECT_EQ(check.details["auth_required"], true);
  RelayRun failed;
  failed.failure = "connect to x: refused";
  CheckResult failed_check = relay_section(failed);
  EXPECT_EQ(failed_check.status, CheckStatus::Failed);
  EXPECT_EQ(relay_outcome_name(RelayOutcome::Relayed), "relayed");
}

}  // namespace
}  // namespace tern::audit
