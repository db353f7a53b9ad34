// Enumeration verdicts as transcripts: Postfix with VRFY on (252 vs 550) is enumerable; 252 for
// everyone (the seed's server) and catch-alls are inconclusive, never a list; disabled and
// TLS-demanding servers say so; RCPT enumeration is only a note.
#include "audit/user_enumeration.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

NameProbe probe(const std::string& name, const std::string& reply) {
  return {name, name, ProbeReply::from_raw(reply)};
}

MethodRun vrfy_run(const std::string& control_reply,
                   std::vector<std::pair<std::string, std::string>> names) {
  MethodRun run;
  run.method = EnumerationMethod::Vrfy;
  run.control = probe("tern-audit-nobody-x", control_reply);
  for (const auto& [name, reply] : names) run.names.push_back(probe(name, reply));
  return run;
}

TEST(UserEnumerationTest, CommandsAndAddresses) {
  EXPECT_EQ(enumeration_address("root", ""), "root");
  EXPECT_EQ(enumeration_address("root", "example.org"), "root@example.org");
  EXPECT_EQ(enumeration_command(EnumerationMethod::Vrfy, "root"), "VRFY root");
  EXPECT_EQ(enumeration_command(EnumerationMethod::Expn, "root"), "EXPN root");
  EXPECT_EQ(enumeration_command(EnumerationMethod::Rcpt, "root@x.org"), "RCPT TO:<root@x.org>");
  EXPECT_EQ(impossible_user_name(0), "tern-audit-nobody-000000000000");
  EXPECT_EQ(impossible_user_name(35), "tern-audit-nobody-z00000000000");
  EXPECT_NE(impossible_user_name(1), impossible_user_name(2));
  EXPECT_FALSE(builtin_user_names().empty());
  EXPECT_EQ(parse_user_list("root\n  alice \r\n\n# comment\nbob"),
            (std::vector<std::string>{"root", "alice", "bob"}));
}

TEST(UserEnumerationTest, ClassesOfReplies) {
  auto classify = [](const char* raw) {
    return classify_enumeration_reply(ProbeReply::from_raw(raw));
  };
  EXPECT_EQ(classify("250 2.1.5 Ok\r\n"), ReplyClass::Positive);
  EXPECT_EQ(classify("252 2.0.0 root\r\n"), ReplyClass::Positive);
  EXPECT_EQ(classify("550 5.1.1 <x>: Recipient address rejected\r\n"), ReplyClass::Negative);
  EXPECT_EQ(classify("502 5.5.1 VRFY command is disabled\r\n"), ReplyClass::Disabled);
  EXPECT_EQ(classify("530 5.7.0 Must issue a STARTTLS command first\r\n"), ReplyClass::NeedsTls);
  EXPECT_EQ(classify("450 4.2.0 greylisted\r\n"), ReplyClass::Temporary);
  EXPECT_EQ(classify("554 5.7.1 Relay access denied\r\n"), ReplyClass::Other);
  EXPECT_EQ(classify_enumeration_reply(ProbeReply::closed()), ReplyClass::NoReply);
}

TEST(UserEnumerationTest, PostfixWithVrfyOnIsEnumerable) {
  // C: VRFY tern-audit-nobody-x   S: 550 5.1.1 ... User unknown in local recipient table
  // C: VRFY root                  S: 252 2.0.0 root
  // C: VRFY admin                 S: 550 5.1.1 ...
  MethodRun run = vrfy_run("550 5.1.1 <x>: Recipient address rejected: User unknown\r\n",
                           {{"root", "252 2.0.0 root\r\n"},
                            {"admin", "550 5.1.1 <admin>: Recipient address rejected\r\n"},
                            {"postmaster", "252 2.0.0 postmaster\r\n"}});
  MethodVerdict verdict = judge_enumeration(run);
  EXPECT_EQ(verdict.verdict, EnumerationVerdict::Enumerable);
  EXPECT_EQ(verdict.found, (std::vector<std::string>{"root", "postmaster"}));
  CheckResult check = enumeration_section({run});
  ASSERT_EQ(check.findings.size(), 1u);
  EXPECT_EQ(check.findings[0].severity, Severity::Medium);
  EXPECT_EQ(check.findings[0].title, "VRFY reveals which users exist (2 confirmed)");
  EXPECT_EQ(check.observations[1], "  VRFY confirmed: root, postmaster");
  EXPECT_EQ(check.details["methods"][0]["found"][1], "postmaster");
}

TEST(UserEnumerationTest, TwoFiftyTwoForEveryoneIsInconclusive) {
  // The seed's server: "VRFY aaaaaaaaaaaaaaaaaaaaaaaaaaaa" gets "252 2.0.0 aaaa...".
  MethodRun run =
      vrfy_run("252 2.0.0 tern-audit-nobody-x\r\n",
               {{"root", "252 2.0.0 root\r\n"}, {"cry0l1t3", "252 2.0.0 cry0l1t3\r\n"}});
  MethodVerdict verdict = judge_enumeration(run);
  EXPECT_EQ(verdict.verdict, EnumerationVerdict::Inconclusive);
  EXPECT_TRUE(verdict.found.empty());
  CheckResult check = enumeration_section({run});
  EXPECT_TRUE(check.findings.empty());
  EXPECT_NE(check.observations[0].find("answers every name alike"), std::string::npos);
}

TEST(UserEnumerationTest, CatchAllRcptIsInconclusive) {
  MethodRun run;
  run.method = EnumerationMethod::Rcpt;
  run.control = probe("nobody", "250 2.1.5 Ok\r\n");
  run.names.push_back(probe("root", "250 2.1.5 Ok\r\n"));
  EXPECT_EQ(judge_enumeration(run).verdict, EnumerationVerdict::Inconclusive);
}

TEST(UserEnumerationTest, RcptEnumerationIsOnlyANote) {
  MethodRun run;
  run.method = EnumerationMethod::Rcpt;
  run.control = probe("nobody", "550 5.1.1 <nobody@example.test>: User unknown\r\n");
  run.names.push_back(probe("alice", "250 2.1.5 Ok\r\n"));
  CheckResult check = enumeration_section({run});
  ASSERT_EQ(check.findings.size(), 1u);
  EXPECT_EQ(check.findings[0].severity, Severity::Info);
  EXPECT_EQ(check.findings[0].title, "RCPT TO tells existing recipients apart (1 confirmed)");
}

TEST(UserEnumerationTest, OtherVerdicts) {
  EXPECT_EQ(judge_enumeration(vrfy_run("502 5.5.1 VRFY command is disabled\r\n", {})).verdict,
            EnumerationVerdict::Disabled);
  EXPECT_EQ(
      judge_enumeration(vrfy_run("530 5.7.0 Must issue a STARTTLS command first\r\n", {})).verdict,
      EnumerationVerdict::Refused);
  EXPECT_EQ(judge_enumeration(vrfy_run("451 4.3.0 try later\r\n", {})).verdict,
            EnumerationVerdict::Inconclusive);
  MethodRun none = vrfy_run("550 5.1.1 unknown\r\n", {{"root", "550 5.1.1 unknown\r\n"}});
  EXPECT_EQ(judge_enumeration(none).verdict, EnumerationVerdict::NoneFound);
  EXPECT_TRUE(enumeration_section({none}).findings.empty());
  MethodRun never;
  never.failure = "connect to x: Connection refused";
  MethodVerdict not_run = judge_enumeration(never);
  EXPECT_EQ(not_run.verdict, EnumerationVerdict::NotRun);
  EXPECT_EQ(not_run.reason, "connect to x: Connection refused");
  MethodRun dropped;
  dropped.control = NameProbe{"x", "x", ProbeReply::closed()};
  EXPECT_EQ(judge_enumeration(dropped).verdict, EnumerationVerdict::NotRun);
}

TEST(UserEnumerationTest, AnInterruptedRunIsIncomplete) {
  MethodRun run = vrfy_run("550 5.1.1 unknown\r\n", {{"root", "252 2.0.0 root\r\n"}});
  run.failure = "the server keeps closing the connection: (connection closed)";
  CheckResult check = enumeration_section({run});
  EXPECT_EQ(check.status, CheckStatus::Incomplete);
  EXPECT_EQ(check.findings.size(), 1u);  // what it saw still counts
}

}  // namespace
}  // namespace tern::audit
