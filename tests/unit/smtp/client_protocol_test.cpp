// Transcript tests of the SMTP client state machine: each script is the whole conversation. "S:"
// lines are fed to the ClientProtocol as replies, "C:" lines are what it must write, "--" lines
// mark its other actions (TLS handshake, message data, close) and events the test injects
// (timeout, lost connection). The runner rebuilds the conversation from the protocol's own output,
// so a passing test means the client said exactly the "C:" lines, in that order and batching.
#include "smtp/client_protocol.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

#include "auth/sasl_client.hpp"

namespace tern::smtp {
namespace {

constexpr const char* kServer = "mx.example.org[192.0.2.1]";

ClientSettings test_settings() {
  ClientSettings settings;
  settings.helo_name = "mail.example.test";
  settings.server = kServer;
  settings.relay = "mx.example.org[192.0.2.1]:25";
  settings.tls_policy = TlsPolicy::May;
  settings.tls_available = true;
  return settings;
}

OutboundMessage test_message(std::vector<std::string> recipients = {"bob@example.org"}) {
  OutboundMessage message;
  message.sender = "alice@example.test";
  for (std::string& address : recipients) message.recipients.push_back({std::move(address)});
  message.size = 1234;
  return message;
}

struct Harness {
  Harness(ClientSettings settings = test_settings(), OutboundMessage message = test_message())
      : protocol(std::move(settings), std::move(message)) {}

  std::string run(const std::string& script) {
    std::istringstream in(script);
    std::string line;
    std::string pending;
    std::string pending_lines;
    emit(protocol.start());
    while (std::getline(in, line)) {
      if (line.rfind("S: ", 0) == 0) {
        pending += line.substr(3) + "\r\n";
        pending_lines += line + "\n";
        if (complete_reply_length(pending) == pending.size()) {
          out += pending_lines;
          std::string reply = std::move(pending);
          pending.clear();
          pending_lines.clear();
          emit(protocol.on_reply(reply));
        }
      } else if (line == "-- timeout") {
        out += line + "\n";
        protocol.on_connection_failed(ClientProtocol::Failure::TimedOut);
      } else if (line == "-- lost") {
        out += line + "\n";
        protocol.on_connection_failed(ClientProtocol::Failure::Lost);
      }
    }
    return out;
  }

  void emit(ClientStep step) {
    std::istringstream lines(step.output);
    std::string line;
    while (std::getline(lines, line)) {
      EXPECT_FALSE(line.empty() || line.back() != '\r') << "no CRLF: " << line;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out += "C: " + line + "\n";
    }
    if (step.sensitive) sensitive_steps++;
    if (step.action == ClientAction::StartTls) {
      if (tls_failure.empty()) {
        out += "-- TLS handshake\n";
        emit(protocol.on_tls_started());
      } else {
        out += "-- TLS handshake fails\n";
        emit(protocol.on_tls_failed(tls_failure));
      }
    } else if (step.action == ClientAction::SendMessage) {
      out += "-- message data\n";
      emit(protocol.on_message_sent());
    } else if (step.action == ClientAction::Close) {
      out += "-- close\n";
    }
  }

  // "bob@example.org: Bounced 5.1.1 RCPT TO | host ... said: ..." per recipient.
  std::string outcome(std::size_t index) const {
    const RecipientOutcome& o = protocol.outcomes().at(index);
    const char* names[] = {"Delivered", "Deferred", "Bounced"};
    return fmt::format("{} {} {} | {}", names[static_cast<int>(o.disposition)], o.status,
                       command_name(o.stage), o.text);
  }

  ClientProtocol protocol;
  std::string out;
  std::string tls_failure;
  int sensitive_steps = 0;
};

// The usual opening: greeting and EHLO with the given extension lines.
std::string opening(const std::string& extensions) {
  std::string script = "S: 220 mx.example.org ESMTP\nC: EHLO mail.example.test\n";
  std::istringstream lines(extensions);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(lines, line)) all.push_back(line);
  if (all.empty()) return script + "S: 250 mx.example.org\n";
  script += "S: 250-mx.example.org\n";
  for (std::size_t i = 0; i < all.size(); ++i) {
    script += (i + 1 == all.size() ? "S: 250 " : "S: 250-") + all[i] + "\n";
  }
  return script;
}

TEST(ClientProtocolTest, PipelinedDeliveryToTwoRecipients) {
  Harness h(test_settings(), test_message({"bob@example.org", "carol@example.org"}));
  std::string script = opening("PIPELINING\nSIZE 10240000\n8BITMIME\nENHANCEDSTATUSCODES") +
                       "C: MAIL FROM:<alice@example.test> SIZE=1234\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: RCPT TO:<carol@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 354 End data with <CR><LF>.<CR><LF>\n"
                       "-- message data\n"
                       "S: 250 2.0.0 Ok: queued as 4TzQ1x0bKqz9sZ\n"
                       "C: QUIT\n"
                       "S: 221 2.0.0 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.finished());
  EXPECT_EQ(h.outcome(0), "Delivered 2.0.0 end of DATA | 250 2.0.0 Ok: queued as 4TzQ1x0bKqz9sZ");
  EXPECT_EQ(h.outcome(1), h.outcome(0));
  const RecipientOutcome& o = h.protocol.outcomes()[0];
  EXPECT_EQ(o.diagnostic_code, "smtp; 250 2.0.0 Ok: queued as 4TzQ1x0bKqz9sZ");
  EXPECT_EQ(o.relay, "mx.example.org[192.0.2.1]:25");
  EXPECT_FALSE(o.remote_dsn);
  EXPECT_TRUE(h.protocol.features().pipelining);
  EXPECT_EQ(h.protocol.features().size_limit, 10240000u);
}

TEST(ClientProtocolTest, WithoutPipeliningOneCommandAtATime) {
  Harness h(test_settings(), test_message({"bob@example.org", "carol@example.org"}));
  std::string script = opening("SIZE") +
                       "C: MAIL FROM:<alice@example.test> SIZE=1234\n"
                       "S: 250 2.1.0 Ok\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "S: 250 2.1.5 Ok\n"
                       "C: RCPT TO:<carol@example.org>\n"
                       "S: 250 2.1.5 Ok\n"
                       "C: DATA\n"
                       "S: 354 go ahead\n"
                       "-- message data\n"
                       "S: 250 ok 1700000000 qp 123\n"
                       "C: QUIT\n"
                       "S: 221 bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  // No enhanced status from the server: the class of the code (RFC 3463).
  EXPECT_EQ(h.outcome(0), "Delivered 2.0.0 end of DATA | 250 ok 1700000000 qp 123");
}

TEST(ClientProtocolTest, PipeliningCanBeTurnedOff) {
  ClientSettings settings = test_settings();
  settings.pipelining = false;
  Harness h(settings);
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "S: 250 2.1.0 Ok\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "S: 250 2.1.5 Ok\n"
                       "C: DATA\n";
  EXPECT_EQ(h.run(script), script);
}

TEST(ClientProtocolTest, EachRecipientGetsItsOwnReply) {
  Harness h(test_settings(),
            test_message({"bob@example.org", "nobody@example.org", "full@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: RCPT TO:<nobody@example.org>\n"
                       "C: RCPT TO:<full@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 550 5.1.1 <nobody@example.org>: Recipient address rejected: User "
                       "unknown in virtual mailbox table\n"
                       "S: 452 4.2.2 <full@example.org>: Mailbox full\n"
                       "S: 354 End data with <CR><LF>.<CR><LF>\n"
                       "-- message data\n"
                       "S: 250 2.0.0 Ok: queued as ABC\n"
                       "C: QUIT\n"
                       "S: 221 2.0.0 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0), "Delivered 2.0.0 end of DATA | 250 2.0.0 Ok: queued as ABC");
  EXPECT_EQ(h.outcome(1),
            "Bounced 5.1.1 RCPT TO | host mx.example.org[192.0.2.1] said: 550 5.1.1 "
            "<nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox "
            "table (in reply to RCPT TO command)");
  EXPECT_EQ(h.protocol.outcomes()[1].diagnostic_code,
            "smtp; 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in "
            "virtual mailbox table");
  EXPECT_EQ(h.outcome(2),
            "Deferred 4.2.2 RCPT TO | host mx.example.org[192.0.2.1] said: 452 4.2.2 "
            "<full@example.org>: Mailbox full (in reply to RCPT TO command)");
}

TEST(ClientProtocolTest, NoAcceptedRecipientMeansNoData) {
  Harness h(test_settings(), test_message({"a@example.org", "b@example.org"}));
  std::string script = opening("8BITMIME") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "S: 250 2.1.0 Ok\n"
                       "C: RCPT TO:<a@example.org>\n"
                       "S: 550 5.1.1 unknown\n"
                       "C: RCPT TO:<b@example.org>\n"
                       "S: 450 4.1.1 try later\n"
                       "C: QUIT\n"
                       "S: 221 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.protocol.outcomes()[0].disposition, Disposition::Bounced);
  EXPECT_EQ(h.protocol.outcomes()[1].disposition, Disposition::Deferred);
}

TEST(ClientProtocolTest, PipelinedDataRefusedWhenNoRecipientWasAccepted) {
  Harness h;
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 550 5.7.1 <bob@example.org>: Relay access denied\n"
                       "S: 554 5.5.1 Error: no valid recipients\n"
                       "C: QUIT\n"
                       "S: 221 2.0.0 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  // The RCPT reply is the reason, not the DATA reply that follows from it.
  EXPECT_EQ(h.outcome(0),
            "Bounced 5.7.1 RCPT TO | host mx.example.org[192.0.2.1] said: 550 5.7.1 "
            "<bob@example.org>: Relay access denied (in reply to RCPT TO command)");
}

TEST(ClientProtocolTest, ServerThatWantsDataWithoutRecipientsIsLeft) {
  Harness h;
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 550 5.1.1 unknown\n"
                       "S: 354 send it anyway\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.protocol.outcomes()[0].disposition, Disposition::Bounced);
}

TEST(ClientProtocolTest, RejectedSenderDecidesEveryRecipient) {
  Harness h(test_settings(), test_message({"bob@example.org", "carol@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: RCPT TO:<carol@example.org>\n"
                       "C: DATA\n"
                       "S: 553 5.7.1 <alice@example.test>: Sender address rejected: not owned\n"
                       "S: 503 5.5.1 Error: need MAIL command\n"
                       "S: 503 5.5.1 Error: need MAIL command\n"
                       "S: 503 5.5.1 Error: need MAIL command\n"
                       "C: QUIT\n"
                       "S: 221 2.0.0 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  std::string expected =
      "Bounced 5.7.1 MAIL FROM | host mx.example.org[192.0.2.1] said: 553 5.7.1 "
      "<alice@example.test>: Sender address rejected: not owned (in reply to MAIL FROM command)";
  EXPECT_EQ(h.outcome(0), expected);
  EXPECT_EQ(h.outcome(1), expected);
}

TEST(ClientProtocolTest, TemporarilyRejectedSenderWithoutPipelining) {
  Harness h;
  std::string script = opening("") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "S: 451 4.3.0 Temporary lookup failure\n"
                       "C: QUIT\n"
                       "S: 221 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.3.0 MAIL FROM | host mx.example.org[192.0.2.1] said: 451 4.3.0 Temporary "
            "lookup failure (in reply to MAIL FROM command)");
}

TEST(ClientProtocolTest, TransientGreetingDefersForTheNextMx) {
  Harness h;
  std::string script =
      "S: 450 4.3.2 mx.example.org too busy, try later\n"
      "C: QUIT\n"
      "S: 221 Bye\n"
      "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.3.2 CONNECT | host mx.example.org[192.0.2.1] refused to talk to me: 450 "
            "4.3.2 mx.example.org too busy, try later");
}

TEST(ClientProtocolTest, Greeting421ClosesWithoutQuit) {
  Harness h;
  std::string script =
      "S: 421 4.7.0 mx.example.org Error: too many connections from 192.0.2.9\n"
      "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.7.0 CONNECT | host mx.example.org[192.0.2.1] refused to talk to me: 421 "
            "4.7.0 mx.example.org Error: too many connections from 192.0.2.9");
}

TEST(ClientProtocolTest, PermanentGreetingIsSkippedLikePostfixUnlessConfigured) {
  std::string script =
      "S: 554 5.7.1 You are not welcome here\n"
      "C: QUIT\n"
      "S: 221 Bye\n"
      "-- close\n";
  Harness skip;
  EXPECT_EQ(skip.run(script), script);
  EXPECT_EQ(skip.outcome(0),
            "Deferred 4.7.1 CONNECT | host mx.example.org[192.0.2.1] refused to talk to me: 554 "
            "5.7.1 You are not welcome here");
  ClientSettings settings = test_settings();
  settings.skip_5xx_greeting = false;
  Harness bounce(settings);
  EXPECT_EQ(bounce.run(script), script);
  EXPECT_EQ(bounce.protocol.outcomes()[0].disposition, Disposition::Bounced);
  EXPECT_EQ(bounce.protocol.outcomes()[0].status, "5.7.1");
}

TEST(ClientProtocolTest, EhloRefusedFallsBackToHelo) {
  for (std::string code : {"500 5.5.1 Command unrecognized", "502 Command not implemented"}) {
    Harness h;
    std::string script =
        "S: 220 old.example.org SMTP\n"
        "C: EHLO mail.example.test\n"
        "S: " +
        code +
        "\n"
        "C: HELO mail.example.test\n"
        "S: 250 old.example.org\n"
        "C: MAIL FROM:<alice@example.test>\n"
        "S: 250 ok\n"
        "C: RCPT TO:<bob@example.org>\n";
    EXPECT_EQ(h.run(script), script);
    EXPECT_FALSE(h.protocol.features().esmtp);
  }
}

TEST(ClientProtocolTest, HeloRefusedBouncesAndEhlo4xxDefers) {
  Harness helo;
  std::string script =
      "S: 220 old.example.org SMTP\n"
      "C: EHLO mail.example.test\n"
      "S: 502 no\n"
      "C: HELO mail.example.test\n"
      "S: 550 5.7.1 go away\n"
      "C: QUIT\n";
  EXPECT_EQ(helo.run(script), script);
  EXPECT_EQ(helo.outcome(0),
            "Bounced 5.7.1 HELO | host mx.example.org[192.0.2.1] said: 550 5.7.1 go away (in "
            "reply to HELO command)");

  Harness ehlo;
  script =
      "S: 220 mx.example.org ESMTP\n"
      "C: EHLO mail.example.test\n"
      "S: 451 4.3.0 try later\n"
      "C: QUIT\n";
  EXPECT_EQ(ehlo.run(script), script);
  EXPECT_EQ(ehlo.protocol.outcomes()[0].disposition, Disposition::Deferred);
}

TEST(ClientProtocolTest, OpportunisticStartTlsThenEhloAgain) {
  Harness h;
  std::string script = opening("PIPELINING\nSTARTTLS\nSIZE 100") +
                       "C: STARTTLS\n"
                       "S: 220 2.0.0 Ready to start TLS\n"
                       "-- TLS handshake\n"
                       "C: EHLO mail.example.test\n"
                       "S: 250-mx.example.org\n"
                       "S: 250 SIZE 20000\n"
                       "C: MAIL FROM:<alice@example.test> SIZE=1234\n"
                       "S: 250 2.1.0 Ok\n"
                       "C: RCPT TO:<bob@example.org>\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.tls_active());
  // What was said before TLS is forgotten (RFC 3207 §4.2): no PIPELINING, the new SIZE.
  EXPECT_FALSE(h.protocol.features().pipelining);
  EXPECT_EQ(h.protocol.features().size_limit, 20000u);
}

TEST(ClientProtocolTest, NoStartTlsWhenNotOfferedOrPolicyNone) {
  Harness not_offered;
  std::string script = opening("SIZE") + "C: MAIL FROM:<alice@example.test> SIZE=1234\n";
  EXPECT_EQ(not_offered.run(script), script);

  ClientSettings settings = test_settings();
  settings.tls_policy = TlsPolicy::None;
  Harness none(settings);
  script = opening("STARTTLS") + "C: MAIL FROM:<alice@example.test>\n";
  EXPECT_EQ(none.run(script), script);

  settings = test_settings();
  settings.tls_available = false;  // no client context: opportunistic TLS has nothing to use
  Harness unavailable(settings);
  EXPECT_EQ(unavailable.run(script), script);
}

TEST(ClientProtocolTest, RequiredTlsNotOfferedDefers) {
  ClientSettings settings = test_settings();
  settings.tls_policy = TlsPolicy::Encrypt;
  Harness h(settings);
  std::string script = opening("PIPELINING") + "C: QUIT\nS: 221 Bye\n-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.7.4 EHLO | TLS is required, but was not offered by host "
            "mx.example.org[192.0.2.1]");
  EXPECT_EQ(h.protocol.outcomes()[0].diagnostic_code, "");

  settings.tls_policy = TlsPolicy::Verify;
  settings.tls_available = false;
  Harness engine(settings);
  script = opening("STARTTLS") + "C: QUIT\n";
  EXPECT_EQ(engine.run(script), script);
  EXPECT_EQ(engine.outcome(0),
            "Deferred 4.7.5 EHLO | TLS is required, but our TLS engine is unavailable");
}

TEST(ClientProtocolTest, StartTlsRefused) {
  Harness may;
  std::string script = opening("STARTTLS") +
                       "C: STARTTLS\n"
                       "S: 454 4.7.0 TLS not available due to local problem\n"
                       "C: MAIL FROM:<alice@example.test>\n";
  EXPECT_EQ(may.run(script), script);
  ASSERT_EQ(may.protocol.notes().size(), 1u);
  EXPECT_EQ(may.protocol.notes()[0],
            "host mx.example.org[192.0.2.1] refused to start TLS: 454 4.7.0 TLS not available due "
            "to local problem; continuing without TLS");

  ClientSettings settings = test_settings();
  settings.tls_policy = TlsPolicy::Encrypt;
  Harness encrypt(settings);
  script = opening("STARTTLS") +
           "C: STARTTLS\n"
           "S: 454 4.7.0 TLS not available due to local problem\n"
           "C: QUIT\n";
  EXPECT_EQ(encrypt.run(script), script);
  EXPECT_EQ(encrypt.outcome(0),
            "Deferred 4.7.0 STARTTLS | TLS is required, but host mx.example.org[192.0.2.1] "
            "refused to start TLS: 454 4.7.0 TLS not available due to local problem");
}

TEST(ClientProtocolTest, FailedHandshakeWithOpportunisticTlsAsksForAPlainRetry) {
  Harness h;
  h.tls_failure = "wrong version number";
  std::string script = opening("STARTTLS") +
                       "C: STARTTLS\n"
                       "S: 220 2.0.0 Ready to start TLS\n"
                       "-- TLS handshake fails\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.retry_without_tls());
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.7.5 STARTTLS | Cannot start TLS: handshake failure with "
            "mx.example.org[192.0.2.1]: wrong version number");

  ClientSettings settings = test_settings();
  settings.tls_policy = TlsPolicy::Verify;
  Harness verify(settings);
  verify.tls_failure = "certificate verify failed";
  EXPECT_EQ(verify.run(script), script);
  EXPECT_FALSE(verify.protocol.retry_without_tls());
}

TEST(ClientProtocolTest, Smtputf8RequiredButNotOfferedBounces) {
  OutboundMessage message = test_message({"bob@example.org", "bjørn@example.org"});
  message.smtputf8 = true;
  Harness h(test_settings(), message);
  std::string script = opening("PIPELINING\n8BITMIME") + "C: QUIT\nS: 221 Bye\n-- close\n";
  EXPECT_EQ(h.run(script), script);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(h.outcome(i),
              "Bounced 5.6.7 EHLO | SMTPUTF8 is required, but was not offered by host "
              "mx.example.org[192.0.2.1]");
  }
}

TEST(ClientProtocolTest, Smtputf8Parameter) {
  OutboundMessage ascii = test_message();
  ascii.smtputf8 = true;  // requested, but nothing in it needs it: sent without (RFC 6531 §3.4)
  Harness plain(test_settings(), ascii);
  std::string script = opening("8BITMIME") + "C: MAIL FROM:<alice@example.test>\n";
  EXPECT_EQ(plain.run(script), script);

  OutboundMessage header = ascii;
  header.utf8_header = true;
  Harness refused(test_settings(), header);
  script = opening("8BITMIME") + "C: QUIT\n";
  EXPECT_EQ(refused.run(script), script);

  Harness offered(test_settings(), header);
  script = opening("SMTPUTF8") + "C: MAIL FROM:<alice@example.test> SMTPUTF8\n";
  EXPECT_EQ(offered.run(script), script);
}

TEST(ClientProtocolTest, MessageLargerThanTheServerTakesIsNotSent) {
  OutboundMessage message = test_message();
  message.size = 20000001;
  Harness h(test_settings(), message);
  std::string script = opening("PIPELINING\nSIZE 20000000") + "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Bounced 5.3.4 EHLO | message size 20000001 exceeds size limit 20000000 of server "
            "mx.example.org[192.0.2.1]");

  Harness unlimited(test_settings(), message);  // SIZE 0: no fixed limit (RFC 1870 §4)
  script = opening("SIZE 0") + "C: MAIL FROM:<alice@example.test> SIZE=20000001\n";
  EXPECT_EQ(unlimited.run(script), script);
}

TEST(ClientProtocolTest, BodyParameter) {
  OutboundMessage eight = test_message();
  eight.body = Body::EightBitMime;
  Harness offered(test_settings(), eight);
  std::string script = opening("8BITMIME") + "C: MAIL FROM:<alice@example.test> BODY=8BITMIME\n";
  EXPECT_EQ(offered.run(script), script);
  EXPECT_TRUE(offered.protocol.notes().empty());

  Harness missing(test_settings(), eight);
  script = opening("SIZE") + "C: MAIL FROM:<alice@example.test> SIZE=1234\n";
  EXPECT_EQ(missing.run(script), script);
  ASSERT_EQ(missing.protocol.notes().size(), 1u);
  EXPECT_EQ(missing.protocol.notes()[0],
            "host mx.example.org[192.0.2.1] does not announce 8BITMIME; 8-bit message sent as is");

  OutboundMessage seven = test_message();
  seven.body = Body::SevenBit;
  Harness seven_bit(test_settings(), seven);
  script = opening("8BITMIME") + "C: MAIL FROM:<alice@example.test> BODY=7BIT\n";
  EXPECT_EQ(seven_bit.run(script), script);
}

OutboundMessage dsn_message() {
  OutboundMessage message = test_message({"bob@example.org", "carol@example.org"});
  message.ret = Ret::Headers;
  message.envid = "QQ314159 x+y";
  message.recipients[0].notify = NotifySuccess | NotifyFailure;
  message.recipients[0].orcpt_type = "rfc822";
  message.recipients[0].orcpt_address = "Bob+list@example.org";
  message.recipients[1].notify = NotifyNever;
  return message;
}

TEST(ClientProtocolTest, DsnParametersOnlyWhenOffered) {
  Harness h(test_settings(), dsn_message());
  std::string script =
      opening("PIPELINING\nDSN") +
      "C: MAIL FROM:<alice@example.test> RET=HDRS ENVID=QQ314159+20x+2By\n"
      "C: RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Blist@example.org\n"
      "C: RCPT TO:<carol@example.org> NOTIFY=NEVER\n"
      "C: DATA\n"
      "S: 250 2.1.0 Ok\n"
      "S: 250 2.1.5 Ok\n"
      "S: 250 2.1.5 Ok\n"
      "S: 354 go\n"
      "-- message data\n"
      "S: 250 2.0.0 Ok: queued as X\n"
      "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.outcomes()[0].remote_dsn);
  EXPECT_TRUE(h.protocol.outcomes()[1].remote_dsn);

  Harness without(test_settings(), dsn_message());
  script = opening("PIPELINING") +
           "C: MAIL FROM:<alice@example.test>\n"
           "C: RCPT TO:<bob@example.org>\n"
           "C: RCPT TO:<carol@example.org>\n"
           "C: DATA\n"
           "S: 250 2.1.0 Ok\n"
           "S: 250 2.1.5 Ok\n"
           "S: 250 2.1.5 Ok\n"
           "S: 354 go\n"
           "-- message data\n"
           "S: 250 2.0.0 Ok: queued as X\n"
           "C: QUIT\n";
  EXPECT_EQ(without.run(script), script);
  // The server takes no DSN duty: a NOTIFY=SUCCESS sender is owed a "relayed" notice by us.
  EXPECT_FALSE(without.protocol.outcomes()[0].remote_dsn);
}

TEST(ClientProtocolTest, DataRefusedAppliesToAcceptedRecipients) {
  Harness h(test_settings(), test_message({"bob@example.org", "nobody@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: RCPT TO:<nobody@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 550 5.1.1 unknown\n"
                       "S: 554 5.7.0 Too many spam reports\n"
                       "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Bounced 5.7.0 DATA | host mx.example.org[192.0.2.1] said: 554 5.7.0 Too many spam "
            "reports (in reply to DATA command)");
  EXPECT_EQ(h.protocol.outcomes()[1].stage, ClientStage::Rcpt);
}

// Found by fuzz/client_protocol: a server that answered DATA with a 2xx instead of 354 had every
// accepted recipient counted as delivered, though no message was sent; the queue then dropped it.
TEST(ClientProtocolTest, PositiveReplyToDataIsNoDelivery) {
  Harness h(test_settings(), test_message({"bob@example.org", "nobody@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: RCPT TO:<nobody@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 550 5.1.1 unknown\n"
                       "S: 250 2.0.0 Ok\n"
                       "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.5.0 DATA | host mx.example.org[192.0.2.1] said: 250 2.0.0 Ok (in reply "
            "to DATA command)");
  EXPECT_EQ(h.protocol.outcomes()[1].disposition, Disposition::Bounced);  // its RCPT reply
}

TEST(ClientProtocolTest, EndOfDataReplyAppliesToAllAcceptedRecipients) {
  for (std::string reply : {"452 4.3.1 Insufficient system storage",
                            "550 5.7.1 Message rejected "
                            "as spam"}) {
    Harness h(test_settings(), test_message({"bob@example.org", "carol@example.org"}));
    std::string script = opening("PIPELINING") +
                         "C: MAIL FROM:<alice@example.test>\n"
                         "C: RCPT TO:<bob@example.org>\n"
                         "C: RCPT TO:<carol@example.org>\n"
                         "C: DATA\n"
                         "S: 250 2.1.0 Ok\n"
                         "S: 250 2.1.5 Ok\n"
                         "S: 250 2.1.5 Ok\n"
                         "S: 354 go\n"
                         "-- message data\n"
                         "S: " +
                         reply +
                         "\n"
                         "C: QUIT\n";
    EXPECT_EQ(h.run(script), script);
    std::string disposition = reply[0] == '4' ? "Deferred " : "Bounced ";
    std::string expected = disposition + reply.substr(4, 5) +
                           " end of DATA | host mx.example.org[192.0.2.1] said: " + reply +
                           " (in reply to end of DATA command)";
    EXPECT_EQ(h.outcome(0), expected);
    EXPECT_EQ(h.outcome(1), expected);
  }
}

TEST(ClientProtocolTest, TooManyRecipientsGoInANewTransaction) {
  Harness h(test_settings(),
            test_message({"a@example.org", "b@example.org", "c@example.org", "d@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<a@example.org>\n"
                       "C: RCPT TO:<b@example.org>\n"
                       "C: RCPT TO:<c@example.org>\n"
                       "C: RCPT TO:<d@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 452 4.5.3 Error: too many recipients\n"
                       "S: 550 5.1.1 <c@example.org>: unknown\n"
                       "S: 452 4.5.3 Error: too many recipients\n"
                       "S: 354 go\n"
                       "-- message data\n"
                       "S: 250 2.0.0 Ok: queued as ONE\n"
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<b@example.org>\n"
                       "C: RCPT TO:<d@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 452 Too many recipients\n"  // no enhanced code: the words count
                       "S: 354 go\n"
                       "-- message data\n"
                       "S: 250 2.0.0 Ok: queued as TWO\n"
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<d@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 354 go\n"
                       "-- message data\n"
                       "S: 250 2.0.0 Ok: queued as THREE\n"
                       "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.protocol.outcomes()[0].text, "250 2.0.0 Ok: queued as ONE");
  EXPECT_EQ(h.protocol.outcomes()[1].text, "250 2.0.0 Ok: queued as TWO");
  EXPECT_EQ(h.protocol.outcomes()[2].disposition, Disposition::Bounced);
  EXPECT_EQ(h.protocol.outcomes()[3].text, "250 2.0.0 Ok: queued as THREE");
}

TEST(ClientProtocolTest, TooManyRecipientsWithNoneAcceptedOrDataRefusedIsADeferral) {
  // Nothing accepted in the transaction: a new one would get no further.
  Harness first(test_settings(), test_message({"a@example.org"}));
  std::string refused = opening("PIPELINING") +
                        "C: MAIL FROM:<alice@example.test>\n"
                        "C: RCPT TO:<a@example.org>\n"
                        "C: DATA\n"
                        "S: 250 2.1.0 Ok\n"
                        "S: 452 4.5.3 Error: too many recipients\n"
                        "S: 554 5.5.1 Error: no valid recipients\n"
                        "C: QUIT\n";
  EXPECT_EQ(first.run(refused), refused);
  EXPECT_EQ(first.protocol.outcomes()[0].disposition, Disposition::Deferred);
  // DATA refused: the waiting recipient keeps its 452.
  Harness second(test_settings(), test_message({"a@example.org", "b@example.org"}));
  std::string data_refused = opening("PIPELINING") +
                             "C: MAIL FROM:<alice@example.test>\n"
                             "C: RCPT TO:<a@example.org>\n"
                             "C: RCPT TO:<b@example.org>\n"
                             "C: DATA\n"
                             "S: 250 2.1.0 Ok\n"
                             "S: 250 2.1.5 Ok\n"
                             "S: 452 4.5.3 Error: too many recipients\n"
                             "S: 554 5.7.0 rejected\n"
                             "C: QUIT\n";
  EXPECT_EQ(second.run(data_refused), data_refused);
  EXPECT_EQ(second.protocol.outcomes()[1].disposition, Disposition::Deferred);
  EXPECT_EQ(second.protocol.outcomes()[1].status, "4.5.3");
  // 452 4.2.2 (mailbox full) is not about the number of recipients.
  Harness third(test_settings(), test_message({"a@example.org", "b@example.org"}));
  std::string full = opening("PIPELINING") +
                     "C: MAIL FROM:<alice@example.test>\n"
                     "C: RCPT TO:<a@example.org>\n"
                     "C: RCPT TO:<b@example.org>\n"
                     "C: DATA\n"
                     "S: 250 2.1.0 Ok\n"
                     "S: 250 2.1.5 Ok\n"
                     "S: 452 4.2.2 Mailbox full\n"
                     "S: 354 go\n"
                     "-- message data\n"
                     "S: 250 2.0.0 Ok\n"
                     "C: QUIT\n";
  EXPECT_EQ(third.run(full), full);
  EXPECT_EQ(third.protocol.outcomes()[1].status, "4.2.2");
}

TEST(ClientProtocolTest, MultiLineRepliesAreJoinedAsPostfixLogsThem) {
  Harness h;
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 OK\n"
                       "S: 550-5.1.1 The email account that you tried to reach does not exist.\n"
                       "S: 550 5.1.1 Please try double-checking the recipient's email address.\n"
                       "S: 503 5.5.1 RCPT first.\n"
                       "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Bounced 5.1.1 RCPT TO | host mx.example.org[192.0.2.1] said: 550-5.1.1 The email "
            "account that you tried to reach does not exist. 550 5.1.1 Please try "
            "double-checking the recipient's email address. (in reply to RCPT TO command)");
}

TEST(ClientProtocolTest, TimeoutAfterTheDotMayMeanTwoCopies) {
  Harness h(test_settings(), test_message({"bob@example.org", "nobody@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: RCPT TO:<nobody@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 550 5.1.1 unknown\n"
                       "S: 354 go\n"
                       "-- message data\n"
                       "-- timeout\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.finished());
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.4.2 end of DATA | conversation with mx.example.org[192.0.2.1] timed out "
            "while sending end of data -- message may be sent more than once");
  EXPECT_EQ(h.protocol.outcomes()[0].diagnostic_code, "");
  EXPECT_EQ(h.protocol.outcomes()[1].disposition, Disposition::Bounced);  // decided before
}

TEST(ClientProtocolTest, LostConnectionNamesTheStage) {
  Harness greeting;
  EXPECT_EQ(greeting.run("-- lost\n"), "-- lost\n");
  EXPECT_EQ(greeting.outcome(0),
            "Deferred 4.4.2 CONNECT | lost connection with mx.example.org[192.0.2.1] while "
            "receiving the initial server greeting");

  Harness rcpt;
  std::string script = opening("") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "S: 250 ok\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "-- lost\n";
  EXPECT_EQ(rcpt.run(script), script);
  EXPECT_EQ(rcpt.outcome(0),
            "Deferred 4.4.2 RCPT TO | lost connection with mx.example.org[192.0.2.1] while "
            "sending RCPT TO");
}

TEST(ClientProtocolTest, ConnectFailureAndLocalFailure) {
  ClientProtocol connect(test_settings(), test_message());
  connect.on_connect_failed("connect to mx.example.org[192.0.2.1]:25: Connection refused");
  EXPECT_TRUE(connect.finished());
  EXPECT_EQ(connect.outcomes()[0].status, "4.4.1");
  EXPECT_EQ(connect.outcomes()[0].relay, "none");
  EXPECT_EQ(connect.outcomes()[0].text,
            "connect to mx.example.org[192.0.2.1]:25: Connection refused");

  ClientProtocol local(test_settings(), test_message());
  local.start();
  local.on_local_failure("4.3.0", "error reading queue file");
  EXPECT_TRUE(local.finished());
  EXPECT_EQ(local.outcomes()[0].disposition, Disposition::Deferred);
  EXPECT_EQ(local.outcomes()[0].text, "error reading queue file");
}

TEST(ClientProtocolTest, ReplyCode421MidTransactionEndsTheSession) {
  Harness h(test_settings(), test_message({"bob@example.org", "carol@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: RCPT TO:<carol@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 550 5.1.1 unknown\n"
                       "S: 421 4.4.2 mx.example.org Error: timeout exceeded\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.protocol.outcomes()[0].disposition, Disposition::Bounced);
  EXPECT_EQ(h.outcome(1),
            "Deferred 4.4.2 RCPT TO | host mx.example.org[192.0.2.1] said: 421 4.4.2 "
            "mx.example.org Error: timeout exceeded (in reply to RCPT TO command)");
}

TEST(ClientProtocolTest, MalformedReplyDefers) {
  Harness h;
  std::string script = opening("") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "S: 250 ok\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "S: hello there\n"
                       "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.5.0 RCPT TO | host mx.example.org[192.0.2.1] said: hello there (in reply "
            "to RCPT TO command)");
}

TEST(ClientProtocolTest, LongRecipientListsArePipelinedInWindows) {
  std::vector<std::string> addresses;
  for (int i = 0; i < 6; ++i) addresses.push_back(fmt::format("user{}@example.org", i));
  ClientSettings settings = test_settings();
  settings.pipeline_window = 65;  // MAIL and two RCPTs, then three RCPTs, then the rest and DATA
  Harness h(settings, test_message(addresses));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<user0@example.org>\n"
                       "C: RCPT TO:<user1@example.org>\n"
                       "S: 250 ok\nS: 250 ok\nS: 250 ok\n"
                       "C: RCPT TO:<user2@example.org>\n"
                       "C: RCPT TO:<user3@example.org>\n"
                       "C: RCPT TO:<user4@example.org>\n"
                       "S: 250 ok\nS: 550 no\nS: 250 ok\n"
                       "C: RCPT TO:<user5@example.org>\n"
                       "C: DATA\n"
                       "S: 250 ok\nS: 354 go\n"
                       "-- message data\n"
                       "S: 250 queued\n"
                       "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.protocol.outcomes()[3].disposition, Disposition::Bounced);
  EXPECT_EQ(h.protocol.outcomes()[5].disposition, Disposition::Delivered);
}

TEST(ClientProtocolTest, AddressWithControlCharactersIsNeverSent) {
  Harness h(test_settings(), test_message({"bob@example.org\r\nRSET", "carol@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<carol@example.org>\n"
                       "C: DATA\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0), "Bounced 5.1.3 RCPT TO | bad recipient address syntax");
}

ClientSettings auth_settings() {
  ClientSettings settings = test_settings();
  ClientCredentials credentials;
  credentials.plain = [] { return auth::plain_initial_response("", "alice", "secret"); };
  credentials.login = [](std::string_view challenge) {
    return auth::login_response(challenge, "alice", "secret");
  };
  settings.credentials = credentials;
  return settings;
}

std::string tls_opening(const std::string& extensions_after_tls) {
  std::string script = opening("STARTTLS") +
                       "C: STARTTLS\n"
                       "S: 220 2.0.0 Ready to start TLS\n"
                       "-- TLS handshake\n"
                       "C: EHLO mail.example.test\n";
  std::istringstream lines(extensions_after_tls);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(lines, line)) all.push_back(line);
  script += "S: 250-mx.example.org\n";
  for (std::size_t i = 0; i < all.size(); ++i) {
    script += (i + 1 == all.size() ? "S: 250 " : "S: 250-") + all[i] + "\n";
  }
  return script;
}

TEST(ClientProtocolTest, AuthPlainAfterTls) {
  Harness h(auth_settings());
  std::string script = tls_opening("AUTH LOGIN PLAIN") +
                       "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==\n"
                       "S: 235 2.7.0 Authentication successful\n"
                       "C: MAIL FROM:<alice@example.test>\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.authenticated());
  EXPECT_EQ(h.sensitive_steps, 1);
}

TEST(ClientProtocolTest, AuthLoginAnswersBothPrompts) {
  Harness h(auth_settings());
  std::string script = tls_opening("AUTH=LOGIN") +
                       "C: AUTH LOGIN\n"
                       "S: 334 VXNlcm5hbWU6\n"
                       "C: YWxpY2U=\n"
                       "S: 334 UGFzc3dvcmQ6\n"
                       "C: c2VjcmV0\n"
                       "S: 235 2.7.0 Authentication successful\n"
                       "C: MAIL FROM:<alice@example.test>\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.sensitive_steps, 2);
}

TEST(ClientProtocolTest, AuthFailureDefers) {
  Harness h(auth_settings());
  std::string script = tls_opening("AUTH PLAIN") +
                       "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==\n"
                       "S: 535 5.7.8 Error: authentication failed: authentication failure\n"
                       "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.7.8 AUTH | SASL authentication failed; server mx.example.org[192.0.2.1] "
            "said: 535 5.7.8 Error: authentication failed: authentication failure");
}

TEST(ClientProtocolTest, UnknownLoginPromptIsCancelled) {
  Harness h(auth_settings());
  std::string script = tls_opening("AUTH LOGIN") +
                       "C: AUTH LOGIN\n"
                       "S: 334 RG9tYWluOg==\n"  // "Domain:"
                       "C: *\n"
                       "S: 501 5.7.0 Authentication aborted\n"
                       "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.7.0 AUTH | SASL authentication failed; unexpected LOGIN "
            "prompt \"Domain:\"");
}

TEST(ClientProtocolTest, CredentialsAreNeverSentInTheClear) {
  Harness h(auth_settings());
  std::string script = opening("AUTH PLAIN LOGIN") + "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.7.0 EHLO | SASL authentication failed; cannot authenticate to server "
            "mx.example.org[192.0.2.1]: TLS is not active and credentials are never sent in the "
            "clear");

  ClientSettings settings = auth_settings();
  settings.auth_without_tls = true;
  Harness allowed(settings);
  script = opening("AUTH PLAIN") + "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==\n";
  EXPECT_EQ(allowed.run(script), script);
}

TEST(ClientProtocolTest, AuthWithoutACommonMechanismOrNotOffered) {
  Harness none(auth_settings());
  std::string script = tls_opening("AUTH CRAM-MD5 GSSAPI") + "C: QUIT\n";
  EXPECT_EQ(none.run(script), script);
  EXPECT_EQ(none.outcome(0),
            "Deferred 4.7.0 EHLO | SASL authentication failed; cannot authenticate to server "
            "mx.example.org[192.0.2.1]: no mechanism available");

  // Not offered at all: mail goes without AUTH, as Postfix's client does.
  Harness absent(auth_settings());
  script = tls_opening("PIPELINING") +
           "C: MAIL FROM:<alice@example.test>\n"
           "C: RCPT TO:<bob@example.org>\n"
           "C: DATA\n";
  EXPECT_EQ(absent.run(script), script);
  EXPECT_FALSE(absent.protocol.authenticated());
}

// tern send's additions: --quit-after checkpoints, TLS from the first byte, AUTH required, the
// reply observer and the last look at the features before MAIL FROM.

ClientSettings quitting_after(ClientCheckpoint checkpoint,
                              ClientSettings settings = test_settings()) {
  settings.quit_after = checkpoint;
  return settings;
}

std::string quit_text(std::string_view name) {
  return fmt::format("not sent: quit after {} as asked", name);
}

TEST(ClientProtocolTest, QuitAfterConnectSaysNothing) {
  Harness h(quitting_after(ClientCheckpoint::Connect));
  EXPECT_EQ(h.run(""), "-- close\n");
  EXPECT_TRUE(h.protocol.quit_as_asked());
  EXPECT_TRUE(h.protocol.finished());
  EXPECT_EQ(h.outcome(0), "Deferred 4.0.0 CONNECT | " + quit_text("connect"));
}

TEST(ClientProtocolTest, QuitAfterBannerAndEhlo) {
  Harness banner(quitting_after(ClientCheckpoint::Banner));
  std::string script =
      "S: 220 mx.example.org ESMTP\n"
      "C: QUIT\n"
      "S: 221 2.0.0 Bye\n"
      "-- close\n";
  EXPECT_EQ(banner.run(script), script);
  EXPECT_TRUE(banner.protocol.quit_as_asked());
  EXPECT_EQ(banner.outcome(0), "Deferred 4.0.0 CONNECT | " + quit_text("banner"));

  Harness ehlo(quitting_after(ClientCheckpoint::Ehlo));
  script = opening("PIPELINING\nSTARTTLS") + "C: STARTTLS\n" +
           "S: 220 2.0.0 Ready\n-- TLS handshake\nC: EHLO mail.example.test\n" +
           "S: 250 mx.example.org\nC: QUIT\n";
  EXPECT_EQ(ehlo.run(script), script);  // the EHLO that counts is the one after TLS
  EXPECT_TRUE(ehlo.protocol.quit_as_asked());

  // A failure before the checkpoint is a failure, not a stop as asked.
  Harness refused(quitting_after(ClientCheckpoint::Ehlo));
  script = "S: 554 5.7.1 go away\nC: QUIT\n";
  EXPECT_EQ(refused.run(script), script);
  EXPECT_FALSE(refused.protocol.quit_as_asked());
}

TEST(ClientProtocolTest, QuitAfterTlsRightAfterTheHandshake) {
  Harness h(quitting_after(ClientCheckpoint::Tls));
  std::string script = opening("STARTTLS") +
                       "C: STARTTLS\n"
                       "S: 220 2.0.0 Ready to start TLS\n"
                       "-- TLS handshake\n"
                       "C: QUIT\n"
                       "S: 221 2.0.0 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.quit_as_asked());
  // Opportunistic TLS not offered: the TLS point is passed at the end of the handshake.
  Harness plain(quitting_after(ClientCheckpoint::Tls));
  script = opening("PIPELINING") + "C: QUIT\n";
  EXPECT_EQ(plain.run(script), script);
  EXPECT_TRUE(plain.protocol.quit_as_asked());
}

TEST(ClientProtocolTest, QuitAfterAuth) {
  Harness h(quitting_after(ClientCheckpoint::Auth, auth_settings()));
  std::string script = tls_opening("AUTH PLAIN") +
                       "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==\n"
                       "S: 235 2.7.0 Authentication successful\n"
                       "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.quit_as_asked());
  EXPECT_TRUE(h.protocol.authenticated());
}

TEST(ClientProtocolTest, QuitAfterMailSendsNoRecipientEvenPipelined) {
  Harness h(quitting_after(ClientCheckpoint::Mail));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "S: 250 2.1.0 Ok\n"
                       "C: QUIT\n"
                       "S: 221 2.0.0 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.quit_as_asked());
  EXPECT_EQ(h.outcome(0), "Deferred 4.0.0 MAIL FROM | " + quit_text("mail"));
}

TEST(ClientProtocolTest, QuitAfterRcptSendsNoData) {
  Harness h(quitting_after(ClientCheckpoint::Rcpt),
            test_message({"bob@example.org", "nobody@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: RCPT TO:<nobody@example.org>\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 550 5.1.1 <nobody@example.org>: User unknown\n"
                       "C: QUIT\n"
                       "S: 221 2.0.0 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(h.protocol.quit_as_asked());
  EXPECT_EQ(h.outcome(0), "Deferred 4.0.0 RCPT TO | " + quit_text("rcpt"));
  EXPECT_EQ(h.protocol.outcomes()[1].disposition, Disposition::Bounced);

  Harness one_at_a_time(quitting_after(ClientCheckpoint::Rcpt));
  script = opening("SIZE") +
           "C: MAIL FROM:<alice@example.test> SIZE=1234\n"
           "S: 250 2.1.0 Ok\n"
           "C: RCPT TO:<bob@example.org>\n"
           "S: 250 2.1.5 Ok\n"
           "C: QUIT\n";
  EXPECT_EQ(one_at_a_time.run(script), script);
}

TEST(ClientProtocolTest, TlsOnConnectNeedsNoStartTlsAndAllowsAuth) {
  ClientSettings settings = auth_settings();
  settings.tls_on_connect = true;
  settings.tls_policy = TlsPolicy::Encrypt;
  Harness h(settings);
  EXPECT_TRUE(h.protocol.tls_active());
  std::string script = opening("STARTTLS\nAUTH PLAIN") +
                       "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==\n"
                       "S: 235 2.7.0 Authentication successful\n"
                       "C: MAIL FROM:<alice@example.test>\n";
  EXPECT_EQ(h.run(script), script);

  settings.quit_after = ClientCheckpoint::Tls;
  Harness quit(settings);
  script = "S: 220 mx.example.org ESMTP\nC: QUIT\n";
  EXPECT_EQ(quit.run(script), script);  // the handshake came before the banner
  EXPECT_TRUE(quit.protocol.quit_as_asked());
}

TEST(ClientProtocolTest, AuthRequiredFailsWhenNotOffered) {
  ClientSettings settings = auth_settings();
  settings.auth_required = true;
  Harness h(settings);
  std::string script = tls_opening("PIPELINING") + "C: QUIT\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(h.outcome(0),
            "Deferred 4.7.0 EHLO | SASL authentication failed; server mx.example.org[192.0.2.1] "
            "offered no AUTH");
}

TEST(ClientProtocolTest, ReplyObserverSeesEveryReplyWithItsStage) {
  ClientSettings settings = test_settings();
  std::vector<std::string> seen;
  settings.reply_observer = [&seen](ClientStage stage, std::size_t recipient,
                                    std::string_view raw) {
    seen.push_back(
        fmt::format("{}/{}/{}", command_name(stage), recipient, raw.substr(0, raw.find('\r'))));
  };
  Harness h(settings, test_message({"bob@example.org", "nobody@example.org"}));
  std::string script = opening("PIPELINING") +
                       "C: MAIL FROM:<alice@example.test>\n"
                       "C: RCPT TO:<bob@example.org>\n"
                       "C: RCPT TO:<nobody@example.org>\n"
                       "C: DATA\n"
                       "S: 250 2.1.0 Ok\n"
                       "S: 250 2.1.5 Ok\n"
                       "S: 550 5.1.1 unknown\n"
                       "S: 354 go\n"
                       "-- message data\n"
                       "S: 250 2.0.0 Ok: queued as X\n"
                       "C: QUIT\n"
                       "S: 221 Bye\n"
                       "-- close\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_EQ(seen,
            (std::vector<std::string>{
                "CONNECT/0/220 mx.example.org ESMTP", "EHLO/0/250-mx.example.org",
                "MAIL FROM/0/250 2.1.0 Ok", "RCPT TO/0/250 2.1.5 Ok", "RCPT TO/1/550 5.1.1 unknown",
                "DATA/0/354 go", "end of DATA/0/250 2.0.0 Ok: queued as X", "QUIT/0/221 Bye"}));
}

TEST(ClientProtocolTest, BeforeTransactionMayChangeTheMessageOrRefuseIt) {
  ClientSettings settings = test_settings();
  bool saw_8bitmime = false;
  settings.before_transaction = [&](const ServerFeatures& features, OutboundMessage& message) {
    saw_8bitmime = features.eight_bit_mime;
    message.size = 999;
    message.body = Body::EightBitMime;
    return ok_status();
  };
  Harness h(settings);
  std::string script =
      opening("SIZE\n8BITMIME") + "C: MAIL FROM:<alice@example.test> SIZE=999 BODY=8BITMIME\n";
  EXPECT_EQ(h.run(script), script);
  EXPECT_TRUE(saw_8bitmime);

  settings.before_transaction = [](const ServerFeatures&, OutboundMessage&) -> Status {
    return Error{"8BITMIME is required, but was not offered"};
  };
  Harness refused(settings);
  script = opening("SIZE") + "C: QUIT\n";
  EXPECT_EQ(refused.run(script), script);
  EXPECT_EQ(refused.outcome(0), "Bounced 5.6.3 EHLO | 8BITMIME is required, but was not offered");
}

TEST(ClientProtocolTest, CheckpointNames) {
  EXPECT_EQ(checkpoint_name(ClientCheckpoint::Connect), "connect");
  EXPECT_EQ(checkpoint_name(ClientCheckpoint::Rcpt), "rcpt");
}

TEST(ClientProtocolTest, ParseEhloReply) {
  ServerFeatures features = parse_ehlo_reply(
      "250-mx.example.org Hello [192.0.2.9]\r\n"
      "250-pipelining\r\n"
      "250-SIZE 35882577\r\n"
      "250-8BITMIME\r\n"
      "250-AUTH LOGIN PLAIN XOAUTH2\r\n"
      "250-AUTH=LOGIN\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-DSN\r\n"
      "250-SMTPUTF8\r\n"
      "250-CHUNKING\r\n"
      "250 STARTTLS\r\n");
  EXPECT_TRUE(features.esmtp);
  EXPECT_TRUE(features.pipelining);
  EXPECT_TRUE(features.size);
  EXPECT_EQ(features.size_limit, 35882577u);
  EXPECT_TRUE(features.eight_bit_mime);
  EXPECT_EQ(features.auth_mechanisms, (std::vector<std::string>{"LOGIN", "PLAIN", "XOAUTH2"}));
  EXPECT_TRUE(features.enhanced_status_codes);
  EXPECT_TRUE(features.dsn);
  EXPECT_TRUE(features.smtputf8);
  EXPECT_TRUE(features.chunking);
  EXPECT_TRUE(features.starttls);
  EXPECT_EQ(features.keywords.size(), 10u);
  EXPECT_EQ(features.keywords[0], "pipelining");

  ServerFeatures bare = parse_ehlo_reply("250 mx.example.org\r\n");
  EXPECT_TRUE(bare.esmtp);
  EXPECT_FALSE(bare.pipelining);
  EXPECT_TRUE(bare.keywords.empty());
  EXPECT_EQ(parse_ehlo_reply("250-x\r\n250 SIZE junk\r\n").size_limit, 0u);
  EXPECT_EQ(parse_ehlo_reply("250-x\r\n250 SIZE 99999999999999999999999\r\n").size_limit,
            UINT64_MAX);
}

TEST(ClientProtocolTest, CompleteReplyLength) {
  EXPECT_EQ(complete_reply_length(""), 0u);
  EXPECT_EQ(complete_reply_length("250 ok"), 0u);
  EXPECT_EQ(complete_reply_length("250 ok\r\n"), 8u);
  EXPECT_EQ(complete_reply_length("250-a\r\n250-b\r\n"), 0u);
  EXPECT_EQ(complete_reply_length("250-a\r\n250 b\r\n354 go\r\n"), 14u);
  EXPECT_EQ(complete_reply_length("250\r\n"), 5u);
  EXPECT_EQ(complete_reply_length("garbage\n"), 8u);
}

std::string stuff(std::vector<std::string> chunks) {
  DotStuffer stuffer;
  std::string out;
  for (const std::string& chunk : chunks) stuffer.encode(chunk, out);
  stuffer.finish(out);
  return out;
}

TEST(ClientProtocolTest, DotStuffing) {
  EXPECT_EQ(stuff({"a\r\n"}), "a\r\n.\r\n");
  EXPECT_EQ(stuff({".\r\n"}), "..\r\n.\r\n");
  EXPECT_EQ(stuff({"a\r\n.\r\nb\r\n"}), "a\r\n..\r\nb\r\n.\r\n");
  EXPECT_EQ(stuff({"..x\r\n"}), "...x\r\n.\r\n");
  EXPECT_EQ(stuff({"a.b\r\n"}), "a.b\r\n.\r\n");
  // A dot at the start of a chunk that starts a line, and one that does not.
  EXPECT_EQ(stuff({"a\r\n", ".b\r\n"}), "a\r\n..b\r\n.\r\n");
  EXPECT_EQ(stuff({"a", ".b\r\n"}), "a.b\r\n.\r\n");
  EXPECT_EQ(stuff({"a\r", "\n", ".\r", "\n"}), "a\r\n..\r\n.\r\n");
  // No final CRLF: one is added so the end of data is on a line of its own.
  EXPECT_EQ(stuff({"a"}), "a\r\n.\r\n");
  EXPECT_EQ(stuff({"a\r"}), "a\r\r\n.\r\n");
  EXPECT_EQ(stuff({}), ".\r\n");
  // A bare LF starts a line too: no receiver can take "\n.\r\n" as the end (smuggling).
  EXPECT_EQ(stuff({"a\n.\r\nb\r\n"}), "a\n..\r\nb\r\n.\r\n");
}

TEST(ClientProtocolTest, EncodeOrcpt) {
  EXPECT_EQ(encode_orcpt("rfc822", "a+b=c@example.org", false), "rfc822;a+2Bb+3Dc@example.org");
  EXPECT_EQ(encode_orcpt("RFC822", "a b@example.org", false), "rfc822;a+20b@example.org");
  EXPECT_EQ(encode_orcpt("utf-8", "bjørn@example.org", false), "utf-8;bj\\x{F8}rn@example.org");
  EXPECT_EQ(encode_orcpt("utf-8", "bjørn@example.org", true), "utf-8;bjørn@example.org");
  EXPECT_EQ(encode_orcpt("utf-8", "a+b\\c@x", true), "utf-8;a\\x{2B}b\\x{5C}c@x");
  EXPECT_EQ(encode_orcpt("utf-8", "日本@x", false), "utf-8;\\x{65E5}\\x{672C}@x");
}

}  // namespace
}  // namespace tern::smtp
