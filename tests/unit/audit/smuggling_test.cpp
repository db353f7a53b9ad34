// The smuggling message carries exactly one fake end and the real one; verdicts from the replies
// before RSET's: one reply is safe (or rejected), more than one means the form ended DATA.
#include "audit/smuggling.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

SmugglingRun accepted_run(const char* form) {
  SmugglingRun run;
  run.form_name = form;
  run.mail = ProbeReply::from_raw("250 2.1.0 Ok\r\n");
  run.rcpt = ProbeReply::from_raw("250 2.1.5 Ok\r\n");
  run.data = ProbeReply::from_raw("354 End data with <CR><LF>.<CR><LF>\r\n");
  return run;
}

TEST(SmugglingTest, TheFourForms) {
  const std::vector<SmugglingForm>& forms = smuggling_forms();
  ASSERT_EQ(forms.size(), 4u);
  EXPECT_EQ(forms[0].bytes, "\n.\n");
  EXPECT_EQ(forms[1].bytes, "\n.\r\n");
  EXPECT_EQ(forms[2].bytes, "\r.\r\n");
  EXPECT_EQ(forms[3].bytes, "\r\n.\n");
  EXPECT_EQ(forms[0].name, "\\n.\\n");
}

TEST(SmugglingTest, MessageHasOneFakeEndAndTheRealOne) {
  for (const SmugglingForm& form : smuggling_forms()) {
    std::string message = smuggling_message(form, "a@example.org", "b@example.org",
                                            "Mon, 1 Jan 2024 00:00:00 +0000", "id@example.org");
    EXPECT_TRUE(message.starts_with("From: <a@example.org>\r\nTo: <b@example.org>\r\n"));
    std::string fake = std::string(form.bytes) + std::string(kSmuggledLine) + "\r\n";
    EXPECT_EQ(message.find(fake), message.rfind(fake)) << form.name;
    EXPECT_NE(message.find(fake), std::string::npos) << form.name;
    EXPECT_TRUE(message.ends_with("\r\nafter the smuggled line\r\n.\r\n"));
    // Outside the form, every line ends in CRLF and no line is a lone dot.
    std::string rest = message;
    rest.erase(rest.find(fake), fake.size());
    for (std::size_t at = 0; (at = rest.find('\n', at)) != std::string::npos; ++at) {
      EXPECT_EQ(rest[at - 1], '\r') << form.name << " at " << at;
    }
    EXPECT_EQ(rest.find("\r\n.\r\n"), rest.size() - 5) << form.name;
  }
}

TEST(SmugglingTest, OneReplyIsSafe) {
  SmugglingRun run = accepted_run("\\n.\\n");
  run.end = ProbeReply::from_raw("250 2.0.0 Ok: queued as 1A2B\r\n");
  run.reset = ProbeReply::from_raw("250 2.0.0 Ok\r\n");
  EXPECT_EQ(judge_smuggling(run), SmugglingVerdict::Safe);
}

TEST(SmugglingTest, ARefusedMessageIsRejected) {
  SmugglingRun run = accepted_run("\\n.\\n");
  run.end = ProbeReply::from_raw("550 5.5.2 Error: bare <LF> received\r\n");
  run.reset = ProbeReply::from_raw("250 2.0.0 Ok\r\n");
  EXPECT_EQ(judge_smuggling(run), SmugglingVerdict::Rejected);
}

TEST(SmugglingTest, RepliesToTheSmuggledLinesAreVulnerable) {
  // C: ...before the form\n.\nXTERNAUDIT smuggled-line\r\nafter the smuggled line\r\n.\r\n
  // S: 250 2.0.0 Ok: queued as 1        (the fake end ended DATA)
  // C: RSET
  // S: 500 5.5.2 Error: command not recognized   (XTERNAUDIT)
  // S: 500 ...   (after ...)   S: 500 ... (.)   S: 250 2.0.0 Ok (RSET)
  SmugglingRun run = accepted_run("\\n.\\n");
  run.end = ProbeReply::from_raw("250 2.0.0 Ok: queued as 1\r\n");
  run.extra = {ProbeReply::from_raw("500 5.5.2 Error: command not recognized\r\n"),
               ProbeReply::from_raw("500 5.5.2 Error: command not recognized\r\n")};
  run.reset = ProbeReply::from_raw("250 2.0.0 Ok\r\n");
  EXPECT_EQ(judge_smuggling(run), SmugglingVerdict::Vulnerable);
  CheckResult check = smuggling_section({run}, "b@example.org", "", "");
  ASSERT_EQ(check.findings.size(), 1u);
  EXPECT_EQ(check.findings[0].severity, Severity::High);
  EXPECT_EQ(check.findings[0].title, "SMTP smuggling: \\n.\\n ends DATA");
}

TEST(SmugglingTest, NotTestedAndInconclusive) {
  SmugglingRun refused = accepted_run("\\n.\\n");
  refused.rcpt = ProbeReply::from_raw("554 5.7.1 Relay access denied\r\n");
  EXPECT_EQ(judge_smuggling(refused), SmugglingVerdict::NotTested);
  CheckResult check = smuggling_section({refused}, "b@x", "", "");
  EXPECT_EQ(check.observations[1], "  \\n.\\n: not-tested: 554 5.7.1 Relay access denied");
  SmugglingRun silent = accepted_run("\\n.\\n");
  silent.end = ProbeReply::timed_out();
  EXPECT_EQ(judge_smuggling(silent), SmugglingVerdict::Inconclusive);
  SmugglingRun broken = accepted_run("\\n.\\n");
  broken.end = ProbeReply::from_raw("250 Ok\r\n");
  EXPECT_EQ(judge_smuggling(broken), SmugglingVerdict::Inconclusive);  // no RSET reply seen
}

TEST(SmugglingTest, SkippedWithoutIntrusive) {
  CheckResult check = smuggling_section({}, "", "it sends test messages", "");
  EXPECT_EQ(check.status, CheckStatus::Skipped);
  EXPECT_TRUE(check.findings.empty());
  EXPECT_EQ(smuggling_verdict_name(SmugglingVerdict::Vulnerable), "vulnerable");
}

}  // namespace
}  // namespace tern::audit
