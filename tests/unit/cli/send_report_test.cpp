// What tern send reports for each way a session can end: exit status by failed stage, one line
// per failure in the words of the refused command, partial success kept apart from success and
// failure, the JSON document's fields, transcript colouring and queue ids from replies.
#include "cli/send_report.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tern::cli {
namespace {

using smtp::ClientStage;
using smtp::Disposition;

smtp::RecipientOutcome outcome(Disposition disposition, std::string status, ClientStage stage,
                               std::string reply, std::string text = "") {
  smtp::RecipientOutcome out;
  out.disposition = disposition;
  out.status = std::move(status);
  out.stage = stage;
  out.diagnostic_code = reply.empty() ? "" : "smtp; " + reply;
  out.text = text.empty() ? reply : text;
  return out;
}

SendFacts facts(std::vector<smtp::RecipientOutcome> outcomes) {
  SendFacts f;
  f.server = "127.0.0.1:2525";
  f.peer = "127.0.0.1[127.0.0.1]:2525";
  f.sender = "alice@example.org";
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    f.recipients.push_back(fmt::format("r{}@example.org", i));
  }
  f.attempt.connected = true;
  f.attempt.established = true;
  f.attempt.recipients = std::move(outcomes);
  f.tls_mode = "none";
  return f;
}

const std::string kQueued = "250 2.0.0 Ok: queued as 4A1B2C3D";

TEST(SendReportTest, AllDelivered) {
  SendFacts f = facts({outcome(Disposition::Delivered, "2.0.0", ClientStage::EndOfData, kQueued),
                       outcome(Disposition::Delivered, "2.0.0", ClientStage::EndOfData, kQueued)});
  SendReport report = make_send_report(f);
  EXPECT_EQ(report.exit_code, kSendOk);
  EXPECT_EQ(report.result, "sent");
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(report.summary, "sent to <r0@example.org>, <r1@example.org>: " + kQueued);
}

TEST(SendReportTest, ConnectFailure) {
  SendFacts f = facts({});
  f.connect_error = "connect to 127.0.0.1[127.0.0.1]:9: Connection refused";
  SendReport report = make_send_report(f);
  EXPECT_EQ(report.exit_code, kSendConnect);
  EXPECT_EQ(report.failed_stage, "connect");
  EXPECT_EQ(report.errors, std::vector<std::string>{*f.connect_error});
}

TEST(SendReportTest, EveryRecipientRefusedIsRcpt) {
  SendFacts f = facts(
      {outcome(Disposition::Bounced, "5.1.1", ClientStage::Rcpt, "550 5.1.1 <r0>: User unknown"),
       outcome(Disposition::Deferred, "4.2.2", ClientStage::Rcpt, "452 4.2.2 Mailbox full")});
  SendReport report = make_send_report(f);
  EXPECT_EQ(report.exit_code, kSendRcpt);
  EXPECT_EQ(report.failed_stage, "rcpt");
  EXPECT_EQ(report.errors, (std::vector<std::string>{
                               "RCPT TO <r0@example.org> refused: 550 5.1.1 <r0>: User unknown",
                               "RCPT TO <r1@example.org> refused: 452 4.2.2 Mailbox full"}));
  EXPECT_TRUE(report.summary.empty());
}

TEST(SendReportTest, PartialSuccessIsItsOwnStatus) {
  SendFacts f =
      facts({outcome(Disposition::Delivered, "2.0.0", ClientStage::EndOfData, kQueued),
             outcome(Disposition::Bounced, "5.1.1", ClientStage::Rcpt, "550 5.1.1 User unknown")});
  SendReport report = make_send_report(f);
  EXPECT_EQ(report.exit_code, kSendPartial);
  EXPECT_EQ(report.result, "partial");
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_EQ(report.errors[0], "RCPT TO <r1@example.org> refused: 550 5.1.1 User unknown");
  EXPECT_EQ(report.errors[1], "partial success: sent to 1 of 2 recipients");
  EXPECT_EQ(report.summary, "sent to <r0@example.org>: " + kQueued);
}

TEST(SendReportTest, SessionWideFailuresGiveOneLineAndTheirStage) {
  struct Case {
    smtp::RecipientOutcome outcome;
    int exit_code;
    std::string line;
  };
  std::vector<Case> cases = {
      {outcome(Disposition::Deferred, "4.3.2", ClientStage::Greeting, "421 4.3.2 go away"),
       kSendBanner, "session refused: 421 4.3.2 go away"},
      {outcome(Disposition::Bounced, "5.5.2", ClientStage::Helo, "502 5.5.2 no"), kSendEhlo,
       "HELO refused: 502 5.5.2 no"},
      {outcome(Disposition::Deferred, "4.7.4", ClientStage::Ehlo, "",
               "TLS is required, but was not offered by host x[1.2.3.4]"),
       kSendTls, "TLS is required, but was not offered by host x[1.2.3.4]"},
      {outcome(Disposition::Deferred, "4.7.5", ClientStage::StartTls, "",
               "Cannot start TLS: handshake failure with x: certificate verify failed"),
       kSendTls, "Cannot start TLS: handshake failure with x: certificate verify failed"},
      {outcome(Disposition::Deferred, "4.7.0", ClientStage::Ehlo, "",
               "SASL authentication failed; server x offered no AUTH"),
       kSendAuth, "SASL authentication failed; server x offered no AUTH"},
      {outcome(Disposition::Deferred, "4.7.8", ClientStage::Auth,
               "535 5.7.8 Error: authentication failed"),
       kSendAuth, "AUTH refused: 535 5.7.8 Error: authentication failed"},
      {outcome(Disposition::Bounced, "5.3.4", ClientStage::Auth, "",
               "message size 99 exceeds size limit 10 of server x"),
       kSendMail, "message size 99 exceeds size limit 10 of server x"},
      {outcome(Disposition::Bounced, "5.7.1", ClientStage::Mail, "553 5.7.1 not yours"), kSendMail,
       "MAIL FROM <alice@example.org> refused: 553 5.7.1 not yours"},
      {outcome(Disposition::Bounced, "5.5.1", ClientStage::Data, "554 5.5.1 no"), kSendData,
       "DATA refused: 554 5.5.1 no"},
      {outcome(Disposition::Bounced, "5.6.0", ClientStage::EndOfData, "554 5.6.0 spam"),
       kSendMessage, "message refused: 554 5.6.0 spam"},
      {outcome(Disposition::Deferred, "4.4.2", ClientStage::Message, "",
               "lost connection with x while sending message body"),
       kSendMessage, "lost connection with x while sending message body"},
  };
  for (const Case& c : cases) {
    SendFacts f = facts({c.outcome, c.outcome});
    SendReport report = make_send_report(f);
    EXPECT_EQ(report.exit_code, c.exit_code) << c.line;
    EXPECT_EQ(report.result, "failed");
    EXPECT_EQ(report.errors, std::vector<std::string>{c.line});
  }
}

TEST(SendReportTest, QuitAfterAsAsked) {
  SendFacts f = facts({outcome(Disposition::Deferred, "4.0.0", ClientStage::Rcpt, "",
                               "not sent: quit after rcpt as asked"),
                       outcome(Disposition::Bounced, "5.1.1", ClientStage::Rcpt, "550 5.1.1 no")});
  f.quit_after = smtp::ClientCheckpoint::Rcpt;
  f.quit_as_asked = true;
  f.replies = {{ClientStage::Rcpt, 0, "250 2.1.5 Ok"}, {ClientStage::Rcpt, 1, "550 5.1.1 no"}};
  SendReport report = make_send_report(f);
  EXPECT_EQ(report.exit_code, kSendPartial);
  EXPECT_EQ(report.errors,
            std::vector<std::string>{"RCPT TO <r1@example.org> refused: 550 5.1.1 no"});
  EXPECT_EQ(report.summary,
            "quit after rcpt as asked; no message sent; accepted <r0@example.org>; refused "
            "<r1@example.org>");

  f.replies[1].text = "250 2.1.5 Ok";
  f.attempt.recipients[1] = f.attempt.recipients[0];
  report = make_send_report(f);
  EXPECT_EQ(report.exit_code, kSendOk);
  EXPECT_EQ(report.result, "quit");
  EXPECT_TRUE(report.errors.empty());

  SendFacts early = facts({outcome(Disposition::Deferred, "4.0.0", ClientStage::Greeting, "",
                                   "not sent: quit after banner as asked")});
  early.quit_after = smtp::ClientCheckpoint::Banner;
  early.quit_as_asked = true;
  report = make_send_report(early);
  EXPECT_EQ(report.exit_code, kSendOk);
  EXPECT_EQ(report.summary, "quit after banner as asked; no message sent");
}

TEST(SendReportTest, WarningsForDsnNotOfferedAndProtocolNotes) {
  SendFacts f = facts({outcome(Disposition::Delivered, "2.0.0", ClientStage::EndOfData, kQueued)});
  f.dsn_requested = true;
  f.attempt.notes = {"host x does not announce 8BITMIME; 8-bit message sent as is"};
  SendReport report = make_send_report(f);
  EXPECT_EQ(report.exit_code, kSendOk);
  ASSERT_EQ(report.warnings.size(), 2u);
  EXPECT_EQ(report.warnings[1],
            "the server does not offer DSN: NOTIFY, ORCPT, RET and ENVID were not sent");
  f.attempt.features.dsn = true;
  EXPECT_EQ(make_send_report(f).warnings.size(), 1u);
}

TEST(SendReportTest, JsonDocument) {
  SendFacts f =
      facts({outcome(Disposition::Delivered, "2.0.0", ClientStage::EndOfData, kQueued),
             outcome(Disposition::Bounced, "5.1.1", ClientStage::Rcpt, "550 5.1.1 User unknown")});
  f.auth_user = "alice";
  f.auth_mechanism = "PLAIN";
  f.attempt.authenticated = true;
  f.attempt.tls = "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)";
  f.attempt.features.esmtp = true;
  f.attempt.features.keywords = {"PIPELINING", "AUTH PLAIN LOGIN"};
  f.attempt.transcript = {"S: 220 hi", "C: QUIT"};
  f.size = 321;
  f.replies = {{ClientStage::Greeting, 0, "220 mx ESMTP"},
               {ClientStage::Ehlo, 0, "250-mx 250 PIPELINING"},
               {ClientStage::Auth, 0, "235 2.7.0 Authentication successful"},
               {ClientStage::Mail, 0, "250 2.1.0 Ok"},
               {ClientStage::Rcpt, 0, "250 2.1.5 Ok"},
               {ClientStage::Rcpt, 1, "550 5.1.1 User unknown"},
               {ClientStage::Data, 0, "354 go"},
               {ClientStage::EndOfData, 0, kQueued}};
  SendReport report = make_send_report(f);
  nlohmann::ordered_json json = send_report_json(f, report, false);
  EXPECT_EQ(json["result"], "partial");
  EXPECT_EQ(json["exit_code"], kSendPartial);
  EXPECT_EQ(json["failed_stage"], "rcpt");
  EXPECT_EQ(json["banner"], "220 mx ESMTP");
  EXPECT_EQ(json["tls"]["active"], true);
  EXPECT_EQ(json["auth"]["mechanism"], "PLAIN");
  EXPECT_EQ(json["auth"]["authenticated"], true);
  EXPECT_EQ(json["auth"]["reply"], "235 2.7.0 Authentication successful");
  EXPECT_EQ(json["mail"]["reply"], "250 2.1.0 Ok");
  EXPECT_EQ(json["mail"]["size"], 321);
  EXPECT_EQ(json["recipients"][0]["status"], "sent");
  EXPECT_EQ(json["recipients"][0]["rcpt_reply"], "250 2.1.5 Ok");
  EXPECT_EQ(json["recipients"][0]["reply"], kQueued);
  EXPECT_EQ(json["recipients"][1]["status"], "refused");
  EXPECT_EQ(json["recipients"][1]["accepted"], false);
  EXPECT_EQ(json["recipients"][1]["reply"], "550 5.1.1 User unknown");
  EXPECT_EQ(json["data"]["queue_id"], "4A1B2C3D");
  EXPECT_FALSE(json.contains("transcript"));
  EXPECT_EQ(send_report_json(f, report, true)["transcript"].size(), 2u);
}

TEST(SendReportTest, TranscriptColourOnlyWhenAsked) {
  EXPECT_EQ(format_transcript_line("C: EHLO x", false), "C: EHLO x");
  EXPECT_EQ(format_transcript_line("C: EHLO x", true), "\x1b[36mC: EHLO x\x1b[0m");
  EXPECT_EQ(format_transcript_line("S: 250 ok", true), "\x1b[32mS: 250 ok\x1b[0m");
  EXPECT_EQ(format_transcript_line("-- TLSv1.3", true), "\x1b[2m-- TLSv1.3\x1b[0m");
}

TEST(SendReportTest, QueueIdsFromCommonServers) {
  EXPECT_EQ(queue_id_from_reply("250 2.0.0 Ok: queued as 6E1CF1681AB"), "6E1CF1681AB");
  EXPECT_EQ(queue_id_from_reply("250 OK id=1rABcD-000Efg-Hi"), "1rABcD-000Efg-Hi");
  EXPECT_EQ(queue_id_from_reply("250 2.0.0 x8ABC123 Message accepted for delivery"), "x8ABC123");
  EXPECT_EQ(queue_id_from_reply("250 OK"), std::nullopt);
}

}  // namespace
}  // namespace tern::cli
