// EHLO and HELP as nmap's smtp-commands prints them (the seed's transcript), SIZE, and the one
// finding this section makes (SIZE 0).
#include "audit/capabilities.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

const char* kSeedEhlo =
    "250-mail1.inlanefreight.htb\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
    "250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n"
    "250 CHUNKING\r\n";

CapabilityFacts facts_for(const std::string& ehlo, const std::string& help) {
  CapabilityFacts facts;
  facts.ehlo = ProbeReply::from_raw(ehlo);
  facts.help = ProbeReply::from_raw(help);
  if (facts.ehlo.positive()) facts.features = smtp::parse_ehlo_reply(ehlo);
  return facts;
}

TEST(CapabilitiesTest, NmapStyleCommandsAsInTheSeed) {
  // nmap's output in the seed: "mail1.inlanefreight.htb, PIPELINING, SIZE 10240000, VRFY, ETRN,
  // ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8, CHUNKING"
  EXPECT_EQ(nmap_style_commands(kSeedEhlo),
            "mail1.inlanefreight.htb, PIPELINING, SIZE 10240000, VRFY, ETRN, "
            "ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8, CHUNKING");
  EXPECT_EQ(nmap_style_commands("250 mail.example.org\r\n"), "mail.example.org");
  EXPECT_EQ(nmap_style_commands("250-a  b\r\n250 AUTH  PLAIN   LOGIN\r\n"),
            "a b, AUTH PLAIN LOGIN");
}

TEST(CapabilitiesTest, NmapStyleHelp) {
  EXPECT_EQ(nmap_style_help("214 2.0.0 Commands: HELO EHLO MAIL\r\n"),
            "2.0.0 Commands: HELO EHLO MAIL");
  EXPECT_EQ(nmap_style_help("214-Commands supported:\r\n214 AUTH HELO EHLO\r\n"),
            "Commands supported: AUTH HELO EHLO");
}

TEST(CapabilitiesTest, SectionListsWhatIsAnnounced) {
  CheckResult check =
      capabilities_section(facts_for(kSeedEhlo, "502 5.5.2 Error: command not recognized\r\n"));
  EXPECT_EQ(check.id, "capabilities");
  EXPECT_TRUE(check.findings.empty());
  EXPECT_EQ(check.observations[0],
            "EHLO: mail1.inlanefreight.htb, PIPELINING, SIZE 10240000, VRFY, ETRN, "
            "ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8, CHUNKING");
  EXPECT_EQ(check.observations[1], "HELP not answered: 502 5.5.2 Error: command not recognized");
  EXPECT_EQ(check.observations[2], "SIZE: 10240000 octets (9.8 MiB)");
  EXPECT_EQ(check.observations[3],
            "VRFY announced: the user enumeration check says whether it reveals users");
  EXPECT_EQ(check.details["size"], 10240000);
  EXPECT_EQ(check.details["help"], nullptr);
}

TEST(CapabilitiesTest, NoSizeLimitIsLow) {
  CheckResult check = capabilities_section(facts_for("250-mx\r\n250 SIZE 0\r\n", "214 help\r\n"));
  ASSERT_EQ(check.findings.size(), 1u);
  EXPECT_EQ(check.findings[0].severity, Severity::Low);
  EXPECT_EQ(check.observations[1], "HELP: help");
  CheckResult absent = capabilities_section(facts_for("250-mx\r\n250 8BITMIME\r\n", "214 h\r\n"));
  EXPECT_TRUE(absent.findings.empty());
  EXPECT_EQ(absent.observations[2], "SIZE: not announced (the limit shows only after DATA)");
}

TEST(CapabilitiesTest, NoEsmtpIsANote) {
  CapabilityFacts facts = facts_for("502 5.5.2 Error: command not recognized\r\n", "");
  facts.helo = ProbeReply::from_raw("250 mx\r\n");
  CheckResult check = capabilities_section(facts);
  ASSERT_EQ(check.findings.size(), 1u);
  EXPECT_EQ(check.findings[0].severity, Severity::Info);
  EXPECT_EQ(check.observations[1], "HELO: 250 mx");
  EXPECT_EQ(check.details["esmtp"], false);
}

}  // namespace
}  // namespace tern::audit
