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
  explicit Harness(config::Config config_in = test_config(), bool in_mynetworks = false,
                   config::ListenerRole role = config::ListenerRole::Smtp,
                   bool tls_available = false, QueueSpaceProbe queue_space = {})
      : config(std::move(config_in)),
        settings(ProtocolSettings::from(config, role, tls_available)),
        directory(test_directory(config)),
        protocol(settings, ClientInfo{"192.0.2.1", "unknown", in_mynetworks}, directory,
                 std::move(queue_space)) {}

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
      if (step.action == Action::Authenticate) {
        // The session verifies the password; here "secret" is right for every user.
        out += "S: (verify " + step.credentials.authcid + ")\n";
        step = protocol.on_auth_result(step.credentials.password == "secret");
      }
      emit(step.reply);
      if (step.action == Action::StartTls) {
        protocol.on_tls_started("TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
      }
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

// Postfix smtpd_check_queue: MAIL waits for room in the queue (1.5 x message_size_limit free, and
// more than queue_minfree); space that returns is used at the next MAIL. Unknown space never
// refuses.
TEST(ProtocolTest, QueueSpaceIsCheckedAtMail) {
  std::optional<std::uint64_t> free_bytes = 15'360'000;  // exactly 1.5 x the default 10240000
  config::Config config = test_config();
  config.queue_minfree = 20'000'000;
  Harness harness(config, false, config::ListenerRole::Smtp, false,
                  [&free_bytes] { return free_bytes; });
  harness.check(R"(
C: MAIL FROM:<a@remote.test>
S: 452 4.3.1 Insufficient system storage
)");
  free_bytes = 20'000'000;
  harness.check(R"(
C: MAIL FROM:<a@remote.test>
S: 452 4.3.1 Insufficient system storage
)");
  free_bytes = 20'000'001;
  harness.check(R"(
C: MAIL FROM:<a@remote.test>
S: 250 2.1.0 Ok
C: RSET
S: 250 2.0.0 Ok
)");
  free_bytes = std::nullopt;
  harness.check(R"(
C: MAIL FROM:<a@remote.test>
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

// --- STARTTLS and AUTH (RFC 3207, RFC 4954) ---------------------------------------------------

config::Config submission_config() {
  config::Config config = test_config();
  config.mua_relay_restrictions = {"permit_sasl_authenticated", "reject"};
  config.mua_sender_restrictions = {"reject_sender_login_mismatch"};
  config.smtpd_auth_failure_limit = 3;
  return config;
}

// base64 of "\0alice@example.test\0secret" and of a wrong password.
constexpr const char* kAlicePlain = "AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=";
constexpr const char* kAliceWrong = "AGFsaWNlQGV4YW1wbGUudGVzdAB3cm9uZw==";

TEST(ProtocolTest, StartTlsResetsTheSessionAndIsOfferedOnlyOnce) {
  Harness harness(test_config(), false, config::ListenerRole::Smtp, /*tls_available=*/true);
  harness.check(R"(
C: EHLO client.test
S: 250-mail.example.test
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-ETRN
S: 250-STARTTLS
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: STARTTLS now
S: 501 5.5.4 Syntax: STARTTLS
C: MAIL FROM:<a@remote.test>
S: 250 2.1.0 Ok
C: STARTTLS
S: 503 5.5.1 Error: MAIL transaction in progress
C: RSET
S: 250 2.0.0 Ok
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
C: MAIL FROM:<a@remote.test>
S: 250 2.1.0 Ok
C: STARTTLS
S: 503 5.5.1 Error: TLS already active
)");
  EXPECT_TRUE(harness.protocol.tls_active());
  EXPECT_EQ(harness.protocol.protocol_name(), "SMTPS");  // no EHLO yet after TLS
}

TEST(ProtocolTest, StartTlsWithoutTlsIsNotImplemented) {
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
C: STARTTLS
S: 502 5.5.1 Error: STARTTLS command not implemented
C: AUTH PLAIN
S: 503 5.5.1 Error: authentication not enabled
)");
}

TEST(ProtocolTest, SubmissionRequiresTlsThenAuthThenOwnAddresses) {
  Harness harness(submission_config(), false, config::ListenerRole::Submission, true);
  harness.check(std::string(R"(
C: EHLO client.test
S: 250-mail.example.test
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-ETRN
S: 250-STARTTLS
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: MAIL FROM:<alice@example.test>
S: 530 5.7.0 Must issue a STARTTLS command first
C: AUTH PLAIN )") +
                kAlicePlain + R"(
S: 530 5.7.0 Must issue a STARTTLS command first
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
C: AUTH PLAIN
S: 503 5.5.1 Error: send HELO/EHLO first
C: EHLO client.test
S: 250-mail.example.test
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-ETRN
S: 250-AUTH PLAIN LOGIN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: MAIL FROM:<alice@example.test>
S: 530 5.7.0 Authentication required
C: AUTH CRAM-MD5
S: 504 5.5.4 Unrecognized authentication type
C: AUTH PLAIN )" +
                kAlicePlain + R"(
S: (verify alice@example.test)
S: 235 2.7.0 Authentication successful
C: AUTH PLAIN )" +
                kAlicePlain + R"(
S: 503 5.5.1 Error: already authenticated
C: MAIL FROM:<bob@example.test>
S: 553 5.7.1 <bob@example.test>: Sender address rejected: not owned by user alice@example.test
C: MAIL FROM:<alice+lists@example.test>
S: 250 2.1.0 Ok
C: RCPT TO:<anyone@remote.example>
S: 250 2.1.5 Ok
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<postmaster@example.test>
S: 250 2.1.0 Ok
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<>
S: 250 2.1.0 Ok
C: RCPT TO:<someone@remote.example>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: .
S: 250 2.0.0 Ok: queued as 4A1B2C3D4E
)");
  ASSERT_EQ(harness.envelopes.size(), 1u);
  EXPECT_EQ(harness.envelopes[0].protocol, "ESMTPSA");
  EXPECT_EQ(harness.protocol.login(), "alice@example.test");
}

TEST(ProtocolTest, AuthLoginCancelBadBase64AndFailureLimit) {
  Harness harness(submission_config(), false, config::ListenerRole::Smtps, true);
  harness.protocol.on_tls_started("TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
  harness.check(std::string(R"(
C: EHLO client.test
S: 250-mail.example.test
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-ETRN
S: 250-AUTH PLAIN LOGIN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: *
S: 501 5.7.0 Authentication aborted
C: AUTH PLAIN
S: 334 
C: not base64!
S: 501 5.5.2 Cannot decode response
C: AUTH
S: 501 5.5.4 Syntax: AUTH mechanism
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: Ym9iQGV4YW1wbGUudGVzdA==
S: 334 UGFzc3dvcmQ6
C: d3Jvbmc=
S: (verify bob@example.test)
S: 535 5.7.8 Error: authentication failed
C: AUTH PLAIN )") +
                kAliceWrong + R"(
S: (verify alice@example.test)
S: 535 5.7.8 Error: authentication failed
C: AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdA==
S: (verify )
S: 421 4.7.0 mail.example.test Error: too many authentication failures
)");
}

TEST(ProtocolTest, AuthzidMustBeTheLoginItself) {
  Harness harness(submission_config(), false, config::ListenerRole::Smtps, true);
  harness.protocol.on_tls_started("TLSv1.3");
  // "bob@example.test\0alice@example.test\0secret": alice asking to act as bob.
  harness.protocol.on_line("EHLO client.test");
  Step step = harness.protocol.on_line(
      "AUTH PLAIN Ym9iQGV4YW1wbGUudGVzdABhbGljZUBleGFtcGxlLnRlc3QAc2VjcmV0");
  // Verified like any attempt (same work, same throttle), but as nobody: it cannot succeed.
  EXPECT_EQ(step.action, Action::Authenticate);
  EXPECT_EQ(step.credentials.authcid, "");
  EXPECT_EQ(harness.protocol.on_auth_result(false).reply.code, 535);
}

TEST(ProtocolTest, EncryptLevelRefusesMailUntilTls) {
  config::Config config = test_config();
  config.smtpd_tls_security_level = config::TlsLevel::Encrypt;
  Harness harness(config, false, config::ListenerRole::Smtp, true);
  harness.protocol.on_line("EHLO client.test");
  for (const char* line : {"MAIL FROM:<a@remote.test>", "RCPT TO:<alice@example.test>",
                           "VRFY alice", "EXPN sales", "ETRN example.test"}) {
    EXPECT_EQ(harness.protocol.on_line(line).reply.code, 530) << line;
  }
  EXPECT_EQ(harness.protocol.on_line("NOOP").reply.code, 250);
  EXPECT_EQ(harness.protocol.on_line("BDAT 10 LAST").action, Action::DiscardChunk);
  EXPECT_EQ(harness.protocol.on_line("STARTTLS").action, Action::StartTls);
}

TEST(ProtocolTest, EtrnNamesTheDestinationToFlush) {
  Harness harness(test_config());
  harness.protocol.on_line("EHLO client.test");
  Step domain = harness.protocol.on_line("ETRN example.net");
  EXPECT_EQ(domain.action, Action::FlushQueue);
  EXPECT_EQ(domain.reply.code, 250);
  EXPECT_EQ(domain.flush_destination, "example.net");
  EXPECT_EQ(harness.protocol.on_line("ETRN @example.net").flush_destination, "@example.net");
  EXPECT_EQ(harness.protocol.on_line("ETRN #example.net").flush_destination, "example.net");
  EXPECT_EQ(harness.protocol.on_line("ETRN exa mple").reply.code, 501);
}

}  // namespace
}  // namespace tern::server
