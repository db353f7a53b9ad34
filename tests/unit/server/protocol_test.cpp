// Transcript tests of the SMTP state machine: each script is a conversation, "C:" lines fed to the
// Protocol, "S:" lines the exact wire replies expected. DATA is completed by the runner as the
// session would, with a fixed queue id.
#include "server/protocol.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "config/recipient_directory.hpp"
#include "smtp/reply.hpp"

namespace tern::server {
namespace {

config::Config test_config() {
  config::Config config;
  config.myhostname = "mail.example.test";
  config.smtpd_banner = "mail.example.test ESMTP tern";
  config.mydestination = {"example.test", "mail.example.test", "localhost"};
  config.myorigin = "example.test";
  config.mail_root = "/var/mail/tern";
  config.recipient_delimiter = "+";
  config.smtpd_relay_restrictions = {"permit_mynetworks", "reject_unauth_destination"};
  config.message_size_limit = 10240000;
  config.smtpd_recipient_limit = 3;
  config.smtpd_hard_error_limit = 20;
  config.smtpd_forbidden_commands = {"CONNECT", "GET", "POST"};
  return config;
}

config::RecipientDirectory test_directory(const config::Config& config) {
  std::vector<config::LocalUser> users{{"alice@example.test", "", ""},
                                       {"bob@example.test", "", ""}};
  config::AliasTable aliases;
  aliases.entries["postmaster"] = {"alice@example.test"};
  aliases.entries["sales"] = {"alice@example.test", "bob@example.test"};
  return config::RecipientDirectory(config, std::move(users), std::move(aliases));
}

struct Harness {
  explicit Harness(config::Config config_in = test_config(), bool in_mynetworks = false)
      : config(std::move(config_in)),
        settings(ProtocolSettings::from(config)),
        directory(test_directory(config)),
        protocol(settings, ClientInfo{"192.0.2.1", "unknown", in_mynetworks}, directory) {}

  // Runs a script and returns the server side as the wire would carry it, one "S: " line per reply
  // line.
  std::string run(const std::string& script) {
    std::istringstream in(script);
    std::string line, out;
    bool in_data = false;
    auto emit = [&out](const smtp::Reply& reply) {
      std::istringstream wire(smtp::format_reply(reply));
      std::string reply_line;
      while (std::getline(wire, reply_line)) {
        if (!reply_line.empty() && reply_line.back() == '\r') reply_line.pop_back();
        out += "S: " + reply_line + "\n";
      }
    };
    while (std::getline(in, line)) {
      if (line.rfind("C: ", 0) != 0) continue;
      std::string command = line.substr(3);
      if (in_data) {
        if (command == ".") {
          in_data = false;
          emit(protocol.on_message_queued("4A1B2C3D4E"));
        }
        continue;
      }
      Step step = protocol.on_line(command);
      if (step.action == Action::ReceiveData) {
        out += "S: 354 End data with <CR><LF>.<CR><LF>\n";
        envelopes.push_back(protocol.envelope());
        in_data = true;
        continue;
      }
      if (step.action == Action::Drop) {
        out += "S: (dropped)\n";
        break;
      }
      if (step.action == Action::ReceiveChunk) {
        out += "S: (chunk " + std::to_string(step.chunk_size) + ")\n";
        continue;
      }
      emit(step.reply);
      if (step.action == Action::Close) break;
    }
    return out;
  }

  // The expected side of a script: its "S:" lines.
  static std::string expected(const std::string& script) {
    std::istringstream in(script);
    std::string line, out;
    while (std::getline(in, line)) {
      if (line.rfind("S: ", 0) == 0) out += line + "\n";
    }
    return out;
  }

  void check(const std::string& script) { EXPECT_EQ(run(script), expected(script)); }

  config::Config config;
  ProtocolSettings settings;
  config::RecipientDirectory directory;
  Protocol protocol;
  std::vector<queue::Envelope> envelopes;
};

TEST(ProtocolTest, SeedTranscriptHeloAndEhlo) {
  Harness harness;
  harness.check(R"(
C: HELO mail1.inlanefreight.htb
S: 250 mail.example.test
C: EHLO mail1
S: 250-mail.example.test
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
)");
}

TEST(ProtocolTest, SeedTranscriptSendAnEmail) {
  Harness harness;
  harness.check(R"(
C: EHLO inlanefreight.htb
S: 250-mail.example.test
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: MAIL FROM: <cry0l1t3@inlanefreight.htb>
S: 250 2.1.0 Ok
C: RCPT TO: <alice@example.test> NOTIFY=success,failure
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Subject: DB
C: .
S: 250 2.0.0 Ok: queued as 4A1B2C3D4E
C: QUIT
S: 221 2.0.0 Bye
)");
  ASSERT_EQ(harness.envelopes.size(), 1u);
  const queue::Envelope& envelope = harness.envelopes[0];
  EXPECT_EQ(envelope.sender, "cry0l1t3@inlanefreight.htb");
  ASSERT_EQ(envelope.recipients.size(), 1u);
  EXPECT_EQ(envelope.recipients[0].address, "alice@example.test");
  EXPECT_EQ(envelope.recipients[0].notify, smtp::NotifySuccess | smtp::NotifyFailure);
  EXPECT_EQ(envelope.protocol, "ESMTP");
}

TEST(ProtocolTest, RepeatedRecipientIsKeptOnceButCountsTowardTheLimit) {
  Harness harness;
  harness.check(R"(
C: EHLO client.test
S: 250-mail.example.test
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: MAIL FROM:<a@remote.test>
S: 250 2.1.0 Ok
C: RCPT TO:<alice@example.test>
S: 250 2.1.5 Ok
C: RCPT TO:<ALICE@example.test>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: .
S: 250 2.0.0 Ok: queued as 4A1B2C3D4E
)");
  ASSERT_EQ(harness.envelopes.size(), 1u);
  EXPECT_EQ(harness.envelopes[0].recipients.size(), 1u);
}

TEST(ProtocolTest, VrfyNeverRevealsUsersByDefault) {
  Harness harness;
  harness.check(R"(
C: VRFY alice
S: 252 2.0.0 Cannot VRFY user; try RCPT to attempt delivery
C: VRFY aaaaaaaaaaaaaaaaaaaaaaaaaaaa
S: 252 2.0.0 Cannot VRFY user; try RCPT to attempt delivery
C: EXPN sales
S: 252 2.0.0 Cannot VRFY user; try RCPT to attempt delivery
)");
}

TEST(ProtocolTest, VrfyDisabledAndRevealModes) {
  config::Config disabled = test_config();
  disabled.vrfy_mode = config::VrfyMode::Disabled;
  Harness(disabled).check(R"(
C: VRFY alice
S: 502 5.5.1 VRFY command is disabled
)");
  config::Config reveal = test_config();
  reveal.vrfy_mode = config::VrfyMode::Reveal;
  Harness(reveal).check(R"(
C: VRFY <alice@example.test>
S: 252 2.0.0 alice@example.test
C: VRFY nobody
S: 550 5.1.1 <nobody@mail.example.test>: Recipient address rejected: User unknown in local recipient table
)");
}

TEST(ProtocolTest, CommandOrderIsEnforced) {
  Harness harness;
  harness.check(R"(
C: RCPT TO:<alice@example.test>
S: 503 5.5.1 Error: need MAIL command
C: DATA
S: 503 5.5.1 Error: need MAIL command
C: MAIL FROM:<a@remote.test>
S: 250 2.1.0 Ok
C: MAIL FROM:<a@remote.test>
S: 503 5.5.1 Error: nested MAIL command
C: DATA
S: 503 5.5.1 Error: need RCPT command
C: RCPT TO:<nobody@example.test>
S: 550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in local recipient table
C: DATA
S: 554 5.5.1 Error: no valid recipients
C: RSET
S: 250 2.0.0 Ok
C: NOOP
S: 250 2.0.0 Ok
C: FOO bar
S: 502 5.5.2 Error: command not recognized
)");
}

TEST(ProtocolTest, RelayIsRefusedOutsideMynetworksAndAllowedInside) {
  Harness outside;
  outside.check(R"(
C: MAIL FROM:<a@remote.test>
S: 250 2.1.0 Ok
C: RCPT TO:<x@other.example>
S: 554 5.7.1 <x@other.example>: Relay access denied
C: RCPT TO:<relaytest%other.example@example.test>
S: 554 5.7.1 <relaytest%other.example@example.test>: Relay access denied
C: RCPT TO:<@example.test:relaytest@other.example>
S: 554 5.7.1 <relaytest@other.example>: Relay access denied
)");
  Harness inside(test_config(), /*in_mynetworks=*/true);
  inside.check(R"(
C: MAIL FROM:<a@example.test>
S: 250 2.1.0 Ok
C: RCPT TO:<x@other.example>
S: 250 2.1.5 Ok
)");
}

TEST(ProtocolTest, SubaddressAliasAndPostmasterAreAccepted) {
  Harness harness;
  harness.check(R"(
C: MAIL FROM:<>
S: 250 2.1.0 Ok
C: RCPT TO:<alice+lists@example.test>
S: 250 2.1.5 Ok
C: RCPT TO:<sales@example.test>
S: 250 2.1.5 Ok
C: RCPT TO:<postmaster>
S: 250 2.1.5 Ok
C: RCPT TO:<bob@example.test>
S: 452 4.5.3 Error: too many recipients
)");
}

TEST(ProtocolTest, SizeLimitAtMail) {
  Harness harness;
  harness.check(R"(
C: MAIL FROM:<a@remote.test> SIZE=999999999
S: 552 5.3.4 Message size exceeds fixed limit
C: MAIL FROM:<a@remote.test> SIZE=99999999999999999999
S: 552 5.3.4 Message size exceeds fixed limit
C: MAIL FROM:<a@remote.test> SIZE=1000
S: 250 2.1.0 Ok
)");
}

TEST(ProtocolTest, ForbiddenCommandDropsTheClient) {
  Harness harness;
  harness.check(R"(
C: CONNECT 10.129.14.128:25 HTTP/1.0
S: (dropped)
)");
}

TEST(ProtocolTest, HardErrorLimitCloses) {
  config::Config config = test_config();
  config.smtpd_hard_error_limit = 2;
  Harness(config).check(R"(
C: FOO
S: 502 5.5.2 Error: command not recognized
C: BAR
S: 502 5.5.2 Error: command not recognized
C: NOOP
S: 421 4.7.0 mail.example.test Error: too many errors
)");
}

TEST(ProtocolTest, BdatChunksAndRefusals) {
  Harness harness;
  harness.check(R"(
C: BDAT 10
S: 503 5.5.1 Error: need MAIL command
C: MAIL FROM:<a@remote.test>
S: 250 2.1.0 Ok
C: RCPT TO:<alice@example.test>
S: 250 2.1.5 Ok
C: BDAT 5
S: (chunk 5)
C: DATA
S: 503 5.5.1 Error: DATA after BDAT
C: BDAT x
S: 501 5.5.4 Syntax: BDAT count [LAST]
)");
}

TEST(ProtocolTest, HeloRequiredAndInvalidHelo) {
  config::Config config = test_config();
  config.smtpd_helo_required = true;
  config.smtpd_helo_restrictions = {"reject_invalid_helo_hostname"};
  Harness(config).check(R"(
C: MAIL FROM:<a@remote.test>
S: 503 5.5.1 Error: send HELO/EHLO first
C: HELO
S: 501 5.5.4 Syntax: HELO hostname
C: HELO bad..name
S: 501 5.5.2 <bad..name>: Helo command rejected: Invalid name
C: HELO good.example
S: 250 mail.example.test
)");
}

TEST(ProtocolTest, DisconnectSummaryCountsLikePostfix) {
  Harness harness;
  harness.run(R"(
C: EHLO x
C: MAIL FROM:<a@remote.test>
C: RCPT TO:<nobody@example.test>
C: RCPT TO:<alice@example.test>
C: QUIT
)");
  EXPECT_EQ(harness.protocol.command_summary(), "ehlo=1 mail=1 rcpt=1/2 quit=1 commands=4/5");
}

}  // namespace
}  // namespace tern::server
