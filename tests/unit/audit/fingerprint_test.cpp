// Fingerprints from each family's default replies, as their servers send them; the guess names
// its evidence, a customized banner still gives a guess from other replies, and a tie stays a tie.
#include "audit/fingerprint.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

using Families = std::vector<std::string>;

const ServerReplies kPostfix{
    "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n",
    "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
    "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n"
    "250 CHUNKING\r\n",
    "502 5.5.2 Error: command not recognized\r\n", "221 2.0.0 Bye\r\n"};

const ServerReplies kTern{
    "220 mail.example.test ESMTP tern\r\n",
    "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ETRN\r\n250-STARTTLS\r\n"
    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
    "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET VRFY EXPN NOOP HELP QUIT ETRN\r\n",
    "221 2.0.0 Bye\r\n"};

TEST(FingerprintTest, PostfixFromItsBanner) {
  Fingerprint fingerprint = guess_software(kPostfix);
  EXPECT_EQ(fingerprint.families, Families{"Postfix"});
  EXPECT_TRUE(fingerprint.banner_names_it);
  EXPECT_EQ(fingerprint.version, "");
  ASSERT_FALSE(fingerprint.evidence.empty());
  EXPECT_EQ(fingerprint.evidence[0],
            "the banner names Postfix: 220 mail.example.org ESMTP Postfix (Debian/GNU)");
}

TEST(FingerprintTest, PostfixBehindTheSeedsCustomBanner) {
  // The seed's "smtpd_banner = ESMTP Server": no name in the banner, but HELP gives Postfix away.
  ServerReplies replies = kPostfix;
  replies.banner = "220 ESMTP Server \r\n";
  Fingerprint fingerprint = guess_software(replies);
  EXPECT_EQ(fingerprint.families, Families{"Postfix"});
  EXPECT_FALSE(fingerprint.banner_names_it);
  EXPECT_NE(std::find(fingerprint.evidence.begin(), fingerprint.evidence.end(),
                      "HELP is not a command, as in Postfix: 502 5.5.2 Error: command not "
                      "recognized"),
            fingerprint.evidence.end());
}

TEST(FingerprintTest, TernFromBannerAndHelp) {
  Fingerprint fingerprint = guess_software(kTern);
  EXPECT_EQ(fingerprint.families, Families{"tern"});
  EXPECT_TRUE(fingerprint.banner_names_it);
  ServerReplies disguised = kTern;
  disguised.banner = "220 mail.example.test ESMTP\r\n";
  EXPECT_EQ(guess_software(disguised).families, Families{"tern"});
}

TEST(FingerprintTest, AHostNameNamesNobody) {
  ServerReplies replies;
  replies.banner = "220 postfix.example.org ESMTP\r\n";
  EXPECT_TRUE(guess_software(replies).families.empty());
}

TEST(FingerprintTest, EximWithItsVersion) {
  ServerReplies replies{
      "220 mx.example.org ESMTP Exim 4.96 Mon, 01 Jan 2024 10:00:00 +0000\r\n",
      "250-mx.example.org Hello client.example [192.0.2.1]\r\n250-SIZE 52428800\r\n"
      "250-8BITMIME\r\n250-PIPELINING\r\n250-PIPE_CONNECT\r\n250-CHUNKING\r\n250-PRDR\r\n"
      "250 HELP\r\n",
      "214-Commands supported:\r\n214 AUTH HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP\r\n",
      "221 mx.example.org closing connection\r\n"};
  Fingerprint fingerprint = guess_software(replies);
  EXPECT_EQ(fingerprint.families, Families{"Exim"});
  EXPECT_EQ(fingerprint.version, "Exim 4.96");
  CheckResult check = banner_section(replies, fingerprint);
  ASSERT_EQ(check.findings.size(), 1u);
  EXPECT_EQ(check.findings[0].severity, Severity::Low);
  EXPECT_EQ(check.findings[0].title, "the banner gives the software version away: Exim 4.96");
}

TEST(FingerprintTest, Sendmail) {
  ServerReplies replies{
      "220 mail.example.org ESMTP Sendmail 8.15.2/8.15.2; Mon, 1 Jan 2024 10:00:00 GMT\r\n",
      "250-mail.example.org Hello client [192.0.2.1], pleased to meet you\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-EXPN\r\n250-VERB\r\n250-8BITMIME\r\n"
      "250-SIZE\r\n250-DSN\r\n250-ETRN\r\n250-DELIVERBY\r\n250 HELP\r\n",
      "214-2.0.0 This is sendmail version 8.15.2\r\n214 2.0.0 End of HELP info\r\n",
      "221 2.0.0 mail.example.org closing connection\r\n"};
  Fingerprint fingerprint = guess_software(replies);
  EXPECT_EQ(fingerprint.families, Families{"Sendmail"});
  EXPECT_EQ(fingerprint.version, "Sendmail 8.15.2/8.15.2");
  // Without its banner, the keywords only Sendmail announces still point to it.
  replies.banner = "220 mail.example.org ESMTP\r\n";
  replies.help.clear();
  EXPECT_EQ(guess_software(replies).families, Families{"Sendmail"});
}

TEST(FingerprintTest, OpenSmtpd) {
  ServerReplies replies{
      "220 mail.example.org ESMTP OpenSMTPD\r\n",
      "250-mail.example.org Hello client [192.0.2.1], pleased to meet you\r\n250-8BITMIME\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250-SIZE 36700160\r\n250-DSN\r\n250 HELP\r\n",
      "214- This is OpenSMTPD\r\n214- To report bugs in the implementation, please contact\r\n"
      "214 End of HELP info\r\n",
      "221 2.0.0 Bye\r\n"};
  EXPECT_EQ(guess_software(replies).families, Families{"OpenSMTPD"});
}

TEST(FingerprintTest, ExchangeFromKeywordsAlone) {
  ServerReplies replies{
      "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 1 Jan 2024 10:00:00 "
      "+0000\r\n",
      "250-EX01.contoso.com Hello [192.0.2.1]\r\n250-SIZE 37748736\r\n250-PIPELINING\r\n"
      "250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-X-ANONYMOUSTLS\r\n"
      "250-AUTH NTLM\r\n250-X-EXPS GSSAPI NTLM\r\n250-8BITMIME\r\n250-BINARYMIME\r\n"
      "250-CHUNKING\r\n250 XRDST\r\n",
      "", "221 2.0.0 Service closing transmission channel\r\n"};
  EXPECT_EQ(guess_software(replies).families, Families{"Exchange"});
  replies.banner = "220 EX01.contoso.com ESMTP\r\n";
  Fingerprint fingerprint = guess_software(replies);
  EXPECT_EQ(fingerprint.families, Families{"Exchange"});
  EXPECT_FALSE(fingerprint.banner_names_it);
}

TEST(FingerprintTest, UnknownAndTies) {
  ServerReplies unknown{"220 ESMTP\r\n", "250-host\r\n250 8BITMIME\r\n", "", "221 2.0.0 Bye\r\n"};
  Fingerprint nothing = guess_software(unknown);
  EXPECT_TRUE(nothing.families.empty());
  CheckResult check = banner_section(unknown, nothing);
  EXPECT_TRUE(check.findings.empty());
  EXPECT_EQ(check.observations[1], "software: unknown (no reply matched a known family)");

  ServerReplies tie{"220 mail ESMTP\r\n",
                    "250-mail Hello x [192.0.2.1], pleased to meet you\r\n250 SIZE\r\n", "", ""};
  EXPECT_EQ(guess_software(tie).families, (Families{"OpenSMTPD", "Sendmail"}));
  CheckResult tied = banner_section(tie, guess_software(tie));
  EXPECT_EQ(tied.observations[1], "software (a guess): OpenSMTPD or Sendmail");
}

TEST(FingerprintTest, SectionShowsBannerAndGuess) {
  CheckResult check = banner_section(kTern, guess_software(kTern));
  EXPECT_EQ(check.id, "banner");
  EXPECT_EQ(check.observations[0], "banner: 220 mail.example.test ESMTP tern");
  EXPECT_EQ(check.observations[1], "software (a guess, the banner names it): tern");
  EXPECT_TRUE(check.findings.empty());
  EXPECT_EQ(check.details["software"], nlohmann::ordered_json::array({"tern"}));
}

}  // namespace
}  // namespace tern::audit
