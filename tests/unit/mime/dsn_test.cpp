// DSN messages: golden output for a bounce (RET=HDRS), a delay warning and a success report with
// ORCPT and ENVID; RET=FULL with an 8-bit original; the size limit; a boundary that collides with
// the content; CRLF and the 998-octet limit under hostile input; and every report parsed back:
// split at its boundary, its parts' headers and delivery-status fields read and checked.
#include "mime/dsn.hpp"

#include <gtest/gtest.h>

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {
namespace {

using Action = DsnRecipient::Action;

// Sets TZ for one test and puts the previous value back.
class ZoneGuard {
 public:
  explicit ZoneGuard(const char* zone) {
    if (const char* old = std::getenv("TZ")) previous_ = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ZoneGuard() {
    if (previous_) {
      ::setenv("TZ", previous_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> previous_;
};

constexpr std::time_t kNow = 1700000000;  // Tue, 14 Nov 2023 22:13:20 UTC
constexpr std::string_view kMessageId = "20231114221320.6553F1A00B1C2D0001B@mail.example.org";
constexpr std::string_view kBoundary = "6553F1A00B1C2D0001A.1700000000/mail.example.org";

const std::string kOriginal =
    "Received: from client.example.org (client.example.org [192.0.2.7])\r\n"
    "\tby mail.example.org (tern) with ESMTP id 6553F1A00B1C2D0001A; Tue, 14 Nov 2023 17:13:20 "
    "+0000 (UTC)\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject: Lunch\r\n"
    "Message-ID: <lunch-1@example.org>\r\n"
    "\r\n"
    "Are you free on Friday?\r\n";

DsnReport base_report() {
  DsnReport report;
  report.reporting_mta = "mail.example.org";
  report.queue_id = "6553F1A00B1C2D0001A";
  report.original_sender = "alice@example.org";
  report.arrival = kNow - 5 * 3600;
  report.original_message = kOriginal;
  report.postmaster = "MAILER-DAEMON@mail.example.org";
  return report;
}

DsnRecipient failed_bob() {
  DsnRecipient recipient;
  recipient.final_recipient = "rfc822;bob@example.net";
  recipient.action = Action::Failed;
  recipient.status = "5.1.1";
  recipient.remote_mta = "dns; mx.example.net";
  recipient.diagnostic =
      "smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual "
      "mailbox table";
  recipient.last_attempt = kNow - 10;
  return recipient;
}

// ---- A small reader for what build_dsn writes: enough MIME to check it from the outside. ----

struct Fields {
  std::vector<std::pair<std::string, std::string>> list;  // name as written, unfolded value

  std::optional<std::string> get(std::string_view name) const {
    for (const auto& [key, value] : list) {
      if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
        return value;
      }
    }
    return std::nullopt;
  }
  std::string at(std::string_view name) const { return get(name).value_or("<missing>"); }
};

// RFC 5322 §2.2.3: unfold by removing each CRLF that precedes WSP, then split "name: value".
Fields read_fields(std::string_view block) {
  Fields fields;
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t end = block.find("\r\n", pos);
    if (end == std::string_view::npos) end = block.size();
    std::string_view line = block.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) continue;
    if ((line[0] == ' ' || line[0] == '\t') && !fields.list.empty()) {
      fields.list.back().second += std::string(line);
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      ADD_FAILURE() << "not a field: " << line;
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    fields.list.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return fields;
}

struct Part {
  Fields headers;
  std::string body;
};

struct Report {
  Fields headers;
  std::string boundary;
  std::vector<Part> parts;
};

std::pair<std::string_view, std::string_view> split_header(std::string_view entity) {
  std::size_t end = entity.find("\r\n\r\n");
  if (end == std::string_view::npos) return {entity, {}};
  return {entity.substr(0, end + 2), entity.substr(end + 4)};
}

// Splits at the boundary from Content-Type (RFC 2046 §5.1.1: a delimiter is CRLF "--" boundary).
Report parse_report(std::string_view message) {
  Report report;
  auto [head, body] = split_header(message);
  report.headers = read_fields(head);
  std::string type = report.headers.at("Content-Type");
  std::size_t at = type.find("boundary=\"");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no boundary in " << type;
    return report;
  }
  at += 10;
  report.boundary = type.substr(at, type.find('"', at) - at);
  std::string delimiter = "\r\n--" + report.boundary;
  std::size_t pos = body.find(delimiter);
  while (pos != std::string_view::npos) {
    std::size_t start = pos + delimiter.size();
    if (body.substr(start, 2) == "--") {
      EXPECT_EQ(body.substr(start), "--\r\n") << "text after the close delimiter";
      break;
    }
    EXPECT_EQ(body.substr(start, 2), "\r\n");
    start += 2;
    std::size_t next = body.find(delimiter, start);
    if (next == std::string_view::npos) {
      ADD_FAILURE() << "no close delimiter";
      break;
    }
    auto [part_head, part_body] = split_header(body.substr(start, next - start));
    report.parts.push_back(Part{read_fields(part_head), std::string(part_body)});
    pos = next;
  }
  return report;
}

// The message/delivery-status body: per-message fields, then one group per recipient.
std::vector<Fields> read_delivery_status(std::string_view body) {
  std::vector<Fields> groups;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find("\r\n\r\n", pos);
    std::size_t stop = end == std::string_view::npos ? body.size() : end + 2;
    groups.push_back(read_fields(body.substr(pos, stop - pos)));
    pos = end == std::string_view::npos ? body.size() : end + 4;
  }
  return groups;
}

// RFC 5322 §2.1.1 and §2.3: CRLF only, no line longer than 998 octets.
void expect_well_formed_lines(std::string_view message) {
  ASSERT_TRUE(message.ends_with("\r\n"));
  std::size_t start = 0;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n') {
      ASSERT_TRUE(i > 0 && message[i - 1] == '\r') << "bare LF at " << i;
      ASSERT_LE(i - 1 - start, 998u) << "line at " << start;
      start = i + 1;
    } else if (message[i] == '\r') {
      ASSERT_TRUE(i + 1 < message.size() && message[i + 1] == '\n') << "bare CR at " << i;
    }
  }
}

bool is_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// ---- Golden messages ----

TEST(DsnTest, BounceReturnsHeadersOnlyByDefault) {
  ZoneGuard zone("UTC");
  DsnReport report = base_report();
  report.recipients.push_back(failed_bob());
  DsnRecipient carol;
  carol.final_recipient = "rfc822;carol@example.com";
  carol.action = Action::Failed;
  carol.status = "5.7.1";
  carol.remote_mta = "dns; mx.example.com";
  carol.diagnostic = "smtp; 554 5.7.1 <carol@example.com>: Relay access denied";
  report.recipients.push_back(carol);
  EXPECT_EQ(build_dsn(report, kMessageId, kNow),
            "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r\n"
            "To: alice@example.org\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n"
            "Message-ID: <20231114221320.6553F1A00B1C2D0001B@mail.example.org>\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"6553F1A00B1C2D0001A.1700000000/mail.example.org\"\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "This is a MIME-encapsulated message.\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org\r\n"
            "Content-Description: Notification\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n"
            "This is the mail system at host mail.example.org.\r\n"
            "\r\n"
            "I'm sorry to have to inform you that your message could not\r\n"
            "be delivered to one or more recipients. It's attached below.\r\n"
            "\r\n"
            "For further assistance, please send mail to postmaster.\r\n"
            "\r\n"
            "If you do so, please include this problem report. You can\r\n"
            "delete your own text from the attached returned message.\r\n"
            "\r\n"
            "                   The mail system\r\n"
            "\r\n"
            "<bob@example.net>: host mx.example.net said: 550 5.1.1 <bob@example.net>:\r\n"
            "    Recipient address rejected: User unknown in virtual mailbox table\r\n"
            "\r\n"
            "<carol@example.com>: host mx.example.com said: 554 5.7.1 <carol@example.com>:\r\n"
            "    Relay access denied\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org\r\n"
            "Content-Description: Delivery report\r\n"
            "Content-Type: message/delivery-status\r\n"
            "\r\n"
            "Reporting-MTA: dns; mail.example.org\r\n"
            "X-Postfix-Queue-ID: 6553F1A00B1C2D0001A\r\n"
            "X-Postfix-Sender: rfc822; alice@example.org\r\n"
            "Arrival-Date: Tue, 14 Nov 2023 17:13:20 +0000 (UTC)\r\n"
            "\r\n"
            "Final-Recipient: rfc822; bob@example.net\r\n"
            "Action: failed\r\n"
            "Status: 5.1.1\r\n"
            "Remote-MTA: dns; mx.example.net\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address\r\n"
            " rejected: User unknown in virtual mailbox table\r\n"
            "Last-Attempt-Date: Tue, 14 Nov 2023 22:13:10 +0000 (UTC)\r\n"
            "\r\n"
            "Final-Recipient: rfc822; carol@example.com\r\n"
            "Action: failed\r\n"
            "Status: 5.7.1\r\n"
            "Remote-MTA: dns; mx.example.com\r\n"
            "Diagnostic-Code: smtp; 554 5.7.1 <carol@example.com>: Relay access denied\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org\r\n"
            "Content-Description: Undelivered Message Headers\r\n"
            "Content-Type: text/rfc822-headers\r\n"
            "\r\n"
            "Return-Path: <alice@example.org>\r\n"
            "Received: from client.example.org (client.example.org [192.0.2.7])\r\n"
            "\tby mail.example.org (tern) with ESMTP id 6553F1A00B1C2D0001A; Tue, 14 Nov 2023 "
            "17:13:20 +0000 (UTC)\r\n"
            "From: Alice <alice@example.org>\r\n"
            "To: Bob <bob@example.net>\r\n"
            "Subject: Lunch\r\n"
            "Message-ID: <lunch-1@example.org>\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org--\r\n");
}

TEST(DsnTest, DelayWarning) {
  ZoneGuard zone("UTC");
  DsnReport report = base_report();
  DsnRecipient bob;
  bob.final_recipient = "rfc822;bob@example.net";
  bob.action = Action::Delayed;
  bob.status = "4.4.1";
  bob.diagnostic = "X-tern; connect to mx.example.net[192.0.2.25]:25: Connection timed out";
  bob.last_attempt = kNow - 60;
  bob.will_retry_until = report.arrival + 5 * 86400;
  report.recipients.push_back(bob);
  EXPECT_EQ(build_dsn(report, kMessageId, kNow),
            "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r\n"
            "To: alice@example.org\r\n"
            "Subject: Delayed Mail (still being retried)\r\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n"
            "Message-ID: <20231114221320.6553F1A00B1C2D0001B@mail.example.org>\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"6553F1A00B1C2D0001A.1700000000/mail.example.org\"\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "This is a MIME-encapsulated message.\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org\r\n"
            "Content-Description: Notification\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n"
            "This is the mail system at host mail.example.org.\r\n"
            "\r\n"
            "####################################################################\r\n"
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n"
            "####################################################################\r\n"
            "\r\n"
            "Your message could not be delivered for more than 5 hour(s).\r\n"
            "It will be retried until it is 5 day(s) old.\r\n"
            "\r\n"
            "For further assistance, please send mail to postmaster.\r\n"
            "\r\n"
            "If you do so, please include this problem report. You can\r\n"
            "delete your own text from the attached returned message.\r\n"
            "\r\n"
            "                   The mail system\r\n"
            "\r\n"
            "<bob@example.net>: connect to mx.example.net[192.0.2.25]:25: Connection timed\r\n"
            "    out\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org\r\n"
            "Content-Description: Delivery report\r\n"
            "Content-Type: message/delivery-status\r\n"
            "\r\n"
            "Reporting-MTA: dns; mail.example.org\r\n"
            "X-Postfix-Queue-ID: 6553F1A00B1C2D0001A\r\n"
            "X-Postfix-Sender: rfc822; alice@example.org\r\n"
            "Arrival-Date: Tue, 14 Nov 2023 17:13:20 +0000 (UTC)\r\n"
            "\r\n"
            "Final-Recipient: rfc822; bob@example.net\r\n"
            "Action: delayed\r\n"
            "Status: 4.4.1\r\n"
            "Diagnostic-Code: X-tern; connect to mx.example.net[192.0.2.25]:25: Connection\r\n"
            " timed out\r\n"
            "Last-Attempt-Date: Tue, 14 Nov 2023 22:12:20 +0000 (UTC)\r\n"
            "Will-Retry-Until: Sun, 19 Nov 2023 17:13:20 +0000 (UTC)\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org\r\n"
            "Content-Description: Undelivered Message Headers\r\n"
            "Content-Type: text/rfc822-headers\r\n"
            "\r\n"
            "Return-Path: <alice@example.org>\r\n"
            "Received: from client.example.org (client.example.org [192.0.2.7])\r\n"
            "\tby mail.example.org (tern) with ESMTP id 6553F1A00B1C2D0001A; Tue, 14 Nov 2023 "
            "17:13:20 +0000 (UTC)\r\n"
            "From: Alice <alice@example.org>\r\n"
            "To: Bob <bob@example.net>\r\n"
            "Subject: Lunch\r\n"
            "Message-ID: <lunch-1@example.org>\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org--\r\n");
}

TEST(DsnTest, SuccessWithOrcptAndEnvid) {
  ZoneGuard zone("UTC");
  DsnReport report = base_report();
  report.envid = "QQ314159";
  DsnRecipient bob;
  bob.final_recipient = "rfc822;bob@example.net";
  bob.original_recipient = "rfc822;Bob.Smith@example.net";
  bob.action = Action::Delivered;
  bob.status = "2.0.0";
  bob.diagnostic = "X-tern; delivered to maildir";
  report.recipients.push_back(bob);
  DsnRecipient dave;
  dave.final_recipient = "rfc822;dave@example.com";
  dave.original_recipient = "rfc822;dave@example.com";
  dave.action = Action::Relayed;
  dave.status = "2.0.0";
  dave.remote_mta = "dns; mx.example.com";
  dave.diagnostic = "smtp; 250 2.0.0 Ok: queued as 4TzQ1x0bKqz9sZ";
  report.recipients.push_back(dave);
  EXPECT_EQ(build_dsn(report, kMessageId, kNow),
            "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r\n"
            "To: alice@example.org\r\n"
            "Subject: Successful Mail Delivery Report\r\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n"
            "Message-ID: <20231114221320.6553F1A00B1C2D0001B@mail.example.org>\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"6553F1A00B1C2D0001A.1700000000/mail.example.org\"\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "This is a MIME-encapsulated message.\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org\r\n"
            "Content-Description: Notification\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n"
            "This is the mail system at host mail.example.org.\r\n"
            "\r\n"
            "Your message was successfully delivered to the destination(s)\r\n"
            "listed below. If the message was delivered to mailbox you will\r\n"
            "receive no further notifications. Otherwise you may still receive\r\n"
            "notifications of mail delivery errors from other systems.\r\n"
            "\r\n"
            "                   The mail system\r\n"
            "\r\n"
            "<bob@example.net>: delivered to maildir\r\n"
            "\r\n"
            "<dave@example.com>: host mx.example.com said: 250 2.0.0 Ok: queued as\r\n"
            "    4TzQ1x0bKqz9sZ\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org\r\n"
            "Content-Description: Delivery report\r\n"
            "Content-Type: message/delivery-status\r\n"
            "\r\n"
            "Reporting-MTA: dns; mail.example.org\r\n"
            "Original-Envelope-Id: QQ314159\r\n"
            "X-Postfix-Queue-ID: 6553F1A00B1C2D0001A\r\n"
            "X-Postfix-Sender: rfc822; alice@example.org\r\n"
            "Arrival-Date: Tue, 14 Nov 2023 17:13:20 +0000 (UTC)\r\n"
            "\r\n"
            "Final-Recipient: rfc822; bob@example.net\r\n"
            "Original-Recipient: rfc822; Bob.Smith@example.net\r\n"
            "Action: delivered\r\n"
            "Status: 2.0.0\r\n"
            "Diagnostic-Code: X-tern; delivered to maildir\r\n"
            "\r\n"
            "Final-Recipient: rfc822; dave@example.com\r\n"
            "Original-Recipient: rfc822; dave@example.com\r\n"
            "Action: relayed\r\n"
            "Status: 2.0.0\r\n"
            "Remote-MTA: dns; mx.example.com\r\n"
            "Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4TzQ1x0bKqz9sZ\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org\r\n"
            "Content-Description: Message Headers\r\n"
            "Content-Type: text/rfc822-headers\r\n"
            "\r\n"
            "Return-Path: <alice@example.org>\r\n"
            "Received: from client.example.org (client.example.org [192.0.2.7])\r\n"
            "\tby mail.example.org (tern) with ESMTP id 6553F1A00B1C2D0001A; Tue, 14 Nov 2023 "
            "17:13:20 +0000 (UTC)\r\n"
            "From: Alice <alice@example.org>\r\n"
            "To: Bob <bob@example.net>\r\n"
            "Subject: Lunch\r\n"
            "Message-ID: <lunch-1@example.org>\r\n"
            "\r\n"
            "--6553F1A00B1C2D0001A.1700000000/mail.example.org--\r\n");
}

// ---- Parsed back ----

TEST(DsnTest, BounceParsesBackIntoItsThreeParts) {
  ZoneGuard zone("UTC");
  DsnReport report = base_report();
  report.envid = "ENV+2B1";
  report.recipients.push_back(failed_bob());
  DsnRecipient carol;
  carol.final_recipient = "carol@example.com";  // no type: rfc822
  carol.original_recipient = "rfc822;Carol@Example.COM";
  carol.action = Action::Failed;  // no status: the class of the action
  report.recipients.push_back(carol);
  std::string message = build_dsn(report, "<x@mail.example.org>", kNow);
  expect_well_formed_lines(message);

  Report parsed = parse_report(message);
  EXPECT_EQ(parsed.headers.at("From"), "MAILER-DAEMON@mail.example.org (Mail Delivery System)");
  EXPECT_EQ(parsed.headers.at("To"), "alice@example.org");
  EXPECT_EQ(parsed.headers.at("Message-ID"), "<x@mail.example.org>");
  EXPECT_EQ(parsed.headers.at("Auto-Submitted"), "auto-replied");
  EXPECT_EQ(parsed.headers.at("MIME-Version"), "1.0");
  EXPECT_EQ(parsed.headers.at("Content-Type"),
            "multipart/report; report-type=delivery-status;\tboundary=\"" + std::string(kBoundary) +
                "\"");
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[0].headers.at("Content-Type"), "text/plain; charset=us-ascii");
  EXPECT_EQ(parsed.parts[1].headers.at("Content-Type"), "message/delivery-status");
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Type"), "text/rfc822-headers");
  EXPECT_NE(parsed.parts[0].body.find("<carol@example.com>: delivery failed (status 5.0.0)"),
            std::string::npos);

  std::vector<Fields> groups = read_delivery_status(parsed.parts[1].body);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].at("Reporting-MTA"), "dns; mail.example.org");
  EXPECT_EQ(groups[0].at("Original-Envelope-Id"), "ENV+2B1");
  EXPECT_EQ(groups[0].at("X-Postfix-Queue-ID"), "6553F1A00B1C2D0001A");
  EXPECT_EQ(groups[0].at("X-Postfix-Sender"), "rfc822; alice@example.org");
  EXPECT_EQ(groups[0].at("Arrival-Date"), "Tue, 14 Nov 2023 17:13:20 +0000 (UTC)");
  EXPECT_EQ(groups[1].at("Final-Recipient"), "rfc822; bob@example.net");
  EXPECT_FALSE(groups[1].get("Original-Recipient"));  // RFC 3464 §2.3.1: no ORCPT, no field
  EXPECT_EQ(groups[1].at("Action"), "failed");
  EXPECT_EQ(groups[1].at("Status"), "5.1.1");
  EXPECT_EQ(groups[1].at("Remote-MTA"), "dns; mx.example.net");
  // Folding is undone exactly: the diagnostic reads as the remote server sent it.
  EXPECT_EQ(groups[1].at("Diagnostic-Code"), failed_bob().diagnostic);
  EXPECT_EQ(groups[1].at("Last-Attempt-Date"), "Tue, 14 Nov 2023 22:13:10 +0000 (UTC)");
  EXPECT_FALSE(groups[1].get("Will-Retry-Until"));
  EXPECT_EQ(groups[2].at("Final-Recipient"), "rfc822; carol@example.com");
  EXPECT_EQ(groups[2].at("Original-Recipient"), "rfc822; Carol@Example.COM");
  EXPECT_EQ(groups[2].at("Status"), "5.0.0");
  EXPECT_FALSE(groups[2].get("Remote-MTA"));
  EXPECT_FALSE(groups[2].get("Diagnostic-Code"));
  EXPECT_FALSE(groups[2].get("Last-Attempt-Date"));

  // The header section without its empty line, which the delimiter's CRLF stands in for.
  std::string_view headers = header_section(kOriginal);
  EXPECT_EQ(parsed.parts[2].body, "Return-Path: <alice@example.org>\r\n" +
                                      std::string(headers.substr(0, headers.size() - 2)));
}

TEST(DsnTest, DefaultStatusFollowsTheAction) {
  DsnReport report = base_report();
  for (Action action :
       {Action::Failed, Action::Delayed, Action::Delivered, Action::Relayed, Action::Expanded}) {
    DsnRecipient recipient;
    recipient.final_recipient = "rfc822;x@example.net";
    recipient.action = action;
    report.recipients.push_back(recipient);
  }
  Report parsed = parse_report(build_dsn(report, kMessageId, kNow));
  ASSERT_EQ(parsed.parts.size(), 3u);
  std::vector<Fields> groups = read_delivery_status(parsed.parts[1].body);
  ASSERT_EQ(groups.size(), 6u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"failed", "5.0.0"},  {"delayed", "4.0.0"},  {"delivered", "2.0.0"},
      {"relayed", "2.0.0"}, {"expanded", "2.0.0"},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(groups[i + 1].at("Action"), expected[i].first);
    EXPECT_EQ(groups[i + 1].at("Status"), expected[i].second);
  }
  // Any failed recipient makes the report a bounce.
  EXPECT_EQ(parsed.headers.at("Subject"), "Undelivered Mail Returned to Sender");
}

TEST(DsnTest, SubjectAndDescriptionFollowTheKindOfReport) {
  struct Case {
    std::vector<Action> actions;
    std::string subject, description;
  };
  const std::vector<Case> cases = {
      {{Action::Failed}, "Undelivered Mail Returned to Sender", "Undelivered Message Headers"},
      {{Action::Delivered, Action::Failed},
       "Undelivered Mail Returned to Sender",
       "Undelivered Message Headers"},
      {{Action::Delayed}, "Delayed Mail (still being retried)", "Undelivered Message Headers"},
      {{Action::Delivered, Action::Delayed},
       "Delayed Mail (still being retried)",
       "Undelivered Message Headers"},
      {{Action::Delivered}, "Successful Mail Delivery Report", "Message Headers"},
      {{Action::Relayed, Action::Expanded}, "Successful Mail Delivery Report", "Message Headers"},
  };
  for (const Case& c : cases) {
    DsnReport report = base_report();
    for (Action action : c.actions) {
      DsnRecipient recipient;
      recipient.final_recipient = "rfc822;x@example.net";
      recipient.action = action;
      report.recipients.push_back(recipient);
    }
    Report parsed = parse_report(build_dsn(report, kMessageId, kNow));
    EXPECT_EQ(parsed.headers.at("Subject"), c.subject);
    ASSERT_EQ(parsed.parts.size(), 3u);
    EXPECT_EQ(parsed.parts[2].headers.at("Content-Description"), c.description);
  }
}

TEST(DsnTest, DelayTextWithoutKnownTimes) {
  DsnReport report = base_report();
  report.arrival = 0;
  DsnRecipient recipient;
  recipient.final_recipient = "rfc822;bob@example.net";
  recipient.action = Action::Delayed;
  recipient.will_retry_until = kNow + 3600;
  report.recipients.push_back(recipient);
  Report parsed = parse_report(build_dsn(report, kMessageId, kNow));
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_NE(parsed.parts[0].body.find("Your message could not be delivered yet.\r\n"),
            std::string::npos);
  EXPECT_EQ(parsed.parts[0].body.find("retried until it is"), std::string::npos);
  std::vector<Fields> groups = read_delivery_status(parsed.parts[1].body);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_FALSE(groups[0].get("Arrival-Date"));
  EXPECT_TRUE(groups[1].get("Will-Retry-Until"));
}

TEST(DsnTest, DelayTextRoundsWaitDownAndLifetimeUp) {
  ZoneGuard zone("UTC");
  DsnReport report = base_report();
  report.arrival = kNow - (4 * 3600 + 59 * 60);  // waited 4h59m: "more than 4 hour(s)"
  DsnRecipient recipient;
  recipient.final_recipient = "rfc822;bob@example.net";
  recipient.action = Action::Delayed;
  recipient.will_retry_until = report.arrival + 36 * 3600 + 1;  // just over 36h: 37 hours
  report.recipients.push_back(recipient);
  std::string body = parse_report(build_dsn(report, kMessageId, kNow)).parts.at(0).body;
  EXPECT_NE(body.find("delivered for more than 4 hour(s).\r\n"), std::string::npos) << body;
  EXPECT_NE(body.find("retried until it is 37 hour(s) old.\r\n"), std::string::npos) << body;
}

// ---- The returned original ----

TEST(DsnTest, FullReturnOfAnEightBitOriginal) {
  ZoneGuard zone("UTC");
  const std::string original =
      "From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.org>\r\n"
      "To: bob@example.net\r\n"
      "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n"
      "Gr\xC3\xBC\xC3\x9F"
      "e aus K\xC3\xB6ln\r\n"
      "\r\n"
      "-- \r\n"
      "J\xC3\xBCrgen\r\n";
  DsnReport report = base_report();
  report.original_message = original;
  report.return_full_message = true;
  report.recipients.push_back(failed_bob());
  std::string message = build_dsn(report, kMessageId, kNow);
  expect_well_formed_lines(message);
  Report parsed = parse_report(message);
  EXPECT_EQ(parsed.headers.at("Content-Transfer-Encoding"), "8bit");
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_TRUE(is_ascii(parsed.parts[0].body));
  EXPECT_TRUE(is_ascii(parsed.parts[1].body));
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Description"), "Undelivered Message");
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Type"), "message/rfc822");
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Transfer-Encoding"), "8bit");
  // The original octet for octet, after the Return-Path Postfix adds.
  EXPECT_EQ(parsed.parts[2].body, "Return-Path: <alice@example.org>\r\n" + original);
}

TEST(DsnTest, SevenBitOriginalIsLabelledSevenBit) {
  DsnReport report = base_report();
  report.return_full_message = true;
  report.recipients.push_back(failed_bob());
  std::string message = build_dsn(report, kMessageId, kNow);
  EXPECT_TRUE(is_ascii(message));
  Report parsed = parse_report(message);
  EXPECT_EQ(parsed.headers.at("Content-Transfer-Encoding"), "7bit");
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Type"), "message/rfc822");
  EXPECT_FALSE(parsed.parts[2].headers.get("Content-Transfer-Encoding"));
  EXPECT_EQ(parsed.parts[2].body, "Return-Path: <alice@example.org>\r\n" + kOriginal);
}

TEST(DsnTest, EightBitOnlyInTheBodyStaysOutOfAHeadersReturn) {
  DsnReport report = base_report();
  const std::string original = "Subject: x\r\n\r\nK\xC3\xB6ln\r\n";
  report.original_message = original;
  report.recipients.push_back(failed_bob());
  std::string message = build_dsn(report, kMessageId, kNow);
  EXPECT_TRUE(is_ascii(message));
  Report parsed = parse_report(message);
  EXPECT_EQ(parsed.headers.at("Content-Transfer-Encoding"), "7bit");
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[2].body, "Return-Path: <alice@example.org>\r\nSubject: x\r\n");

  // UTF-8 in the header section itself (SMTPUTF8 mail) is returned, and labelled.
  const std::string utf8_headers = "Subject: K\xC3\xB6ln\r\n\r\nbody\r\n";
  report.original_message = utf8_headers;
  parsed = parse_report(build_dsn(report, kMessageId, kNow));
  EXPECT_EQ(parsed.headers.at("Content-Transfer-Encoding"), "8bit");
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Type"), "text/rfc822-headers");
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Transfer-Encoding"), "8bit");
}

TEST(DsnTest, OriginalOverTheSizeLimitIsReturnedAsHeaders) {
  DsnReport report = base_report();
  std::string big = kOriginal + std::string(60000, '#') + "\r\n";
  report.original_message = big;
  report.return_full_message = true;
  report.recipients.push_back(failed_bob());
  Report parsed = parse_report(build_dsn(report, kMessageId, kNow));
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Type"), "text/rfc822-headers");
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Description"), "Undelivered Message Headers");
  EXPECT_EQ(parsed.parts[2].body.find("###"), std::string::npos);

  report.bounce_size_limit = 0;  // no limit
  std::string message = build_dsn(report, kMessageId, kNow);
  expect_well_formed_lines(message);
  parsed = parse_report(message);
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[2].headers.at("Content-Type"), "message/rfc822");
  // The 60000-octet line is cut into lines the RFC allows, and nothing is lost.
  const std::string& body = parsed.parts[2].body;
  EXPECT_EQ(std::count(body.begin(), body.end(), '#'), 60000);

  report.bounce_size_limit = big.size();  // exactly at the limit: still whole
  parsed = parse_report(build_dsn(report, kMessageId, kNow));
  EXPECT_EQ(parsed.parts.at(2).headers.at("Content-Type"), "message/rfc822");
}

TEST(DsnTest, MissingOriginalGetsAPlaceholder) {
  DsnReport report = base_report();
  report.original_message = {};
  report.recipients.push_back(failed_bob());
  Report parsed = parse_report(build_dsn(report, kMessageId, kNow));
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[2].body, "\t--- Undelivered message unavailable ---\r\n");
}

TEST(DsnTest, LineEndingsOfTheOriginalAreRepaired) {
  DsnReport report = base_report();
  report.return_full_message = true;
  report.recipients.push_back(failed_bob());
  const std::string original = "Subject: bare\nX-A: cr\rTo: b@example.net\r\n\nline\n\rend";
  report.original_message = original;
  std::string message = build_dsn(report, kMessageId, kNow);
  expect_well_formed_lines(message);
  Report parsed = parse_report(message);
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[2].body,
            "Return-Path: <alice@example.org>\r\n"
            "Subject: bare\r\nX-A: cr To: b@example.net\r\n\r\nline\r\n\r\nend\r\n");
}

TEST(DsnTest, LongHeaderLineOfTheOriginalStaysOneField) {
  DsnReport report = base_report();
  report.recipients.push_back(failed_bob());
  const std::string original =
      "X-Long: " + std::string(2500, 'h') + "\r\nSubject: s\r\n\r\n" + std::string(2000, 'b');
  report.original_message = original;
  std::string message = build_dsn(report, kMessageId, kNow);
  expect_well_formed_lines(message);
  Report parsed = parse_report(message);
  ASSERT_EQ(parsed.parts.size(), 3u);
  Fields returned = read_fields(parsed.parts[2].body);
  ASSERT_EQ(returned.list.size(), 3u);
  EXPECT_EQ(returned.at("Subject"), "s");
  std::string value = returned.at("X-Long");
  EXPECT_EQ(std::count(value.begin(), value.end(), 'h'), 2500);
}

// ---- The boundary ----

TEST(DsnTest, BoundaryThatOccursInTheOriginalIsChanged) {
  DsnReport report = base_report();
  report.return_full_message = true;
  report.recipients.push_back(failed_bob());
  const std::string original = "Subject: trap\r\n\r\n--" + std::string(kBoundary) +
                               "\r\nContent-Type: text/plain\r\n\r\nforged\r\n--" +
                               std::string(kBoundary) + "--\r\n";
  report.original_message = original;
  std::string message = build_dsn(report, kMessageId, kNow);
  expect_well_formed_lines(message);
  Report parsed = parse_report(message);
  EXPECT_NE(parsed.boundary, kBoundary);
  EXPECT_TRUE(parsed.boundary.starts_with(kBoundary));
  EXPECT_LE(parsed.boundary.size(), 70u);
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[2].body, "Return-Path: <alice@example.org>\r\n" + original);
  // Only the delimiters contain the boundary.
  std::size_t count = 0;
  for (std::size_t at = message.find(parsed.boundary); at != std::string::npos;
       at = message.find(parsed.boundary, at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 5u);  // Content-Type parameter, three delimiters, the close delimiter

  // The same for a boundary a remote server put in its reply.
  report = base_report();
  DsnRecipient echo = failed_bob();
  echo.diagnostic = "smtp; 550 5.1.1 --" + std::string(kBoundary);
  report.recipients.push_back(echo);
  parsed = parse_report(build_dsn(report, kMessageId, kNow));
  EXPECT_NE(parsed.boundary, kBoundary);
  EXPECT_EQ(parsed.parts.size(), 3u);
}

TEST(DsnTest, BoundaryStaysWithinRfc2046Limits) {
  DsnReport report = base_report();
  report.reporting_mta = std::string(200, 'm') + ".example.org";
  report.queue_id = "ID with spaces;\"quotes\"";
  report.recipients.push_back(failed_bob());
  std::string message = build_dsn(report, kMessageId, kNow);
  expect_well_formed_lines(message);
  Report parsed = parse_report(message);
  EXPECT_LE(parsed.boundary.size(), 70u);
  for (char c : parsed.boundary) {
    bool bchar = std::isalnum(static_cast<unsigned char>(c)) ||
                 std::string_view("'()+_,-./:=?").find(c) != std::string_view::npos;
    EXPECT_TRUE(bchar) << "'" << c << "' in " << parsed.boundary;
  }
  EXPECT_EQ(parsed.parts.size(), 3u);
}

// ---- Hostile and odd input ----

TEST(DsnTest, LongDiagnosticsAreFoldedWithinTheLineLimit) {
  DsnReport report = base_report();
  DsnRecipient words = failed_bob();
  std::string text;
  for (int i = 0; i < 400; ++i) text += "word" + std::to_string(i) + " ";
  words.diagnostic = "smtp; 550 5.7.1 " + text;
  DsnRecipient blob = failed_bob();
  blob.final_recipient = "rfc822;blob@example.net";
  blob.diagnostic = "smtp; 550 " + std::string(5000, 'z');
  report.recipients.push_back(words);
  report.recipients.push_back(blob);
  std::string message = build_dsn(report, kMessageId, kNow);
  expect_well_formed_lines(message);
  Report parsed = parse_report(message);
  ASSERT_EQ(parsed.parts.size(), 3u);
  std::vector<Fields> groups = read_delivery_status(parsed.parts[1].body);
  ASSERT_EQ(groups.size(), 3u);
  // Folded at spaces, the text comes back whole (the trailing space is trimmed).
  EXPECT_EQ(groups[1].at("Diagnostic-Code"), "smtp; 550 5.7.1 " + text.substr(0, text.size() - 1));
  // A word too long for any line is cut; unfolding then adds a space where it was cut.
  std::string blob_code = groups[2].at("Diagnostic-Code");
  EXPECT_EQ(std::count(blob_code.begin(), blob_code.end(), 'z'), 5000);
  // Header-like lines stay near 78 columns where the words allow.
  std::size_t start = 0;
  std::string_view status = parsed.parts[1].body;
  std::size_t longest_foldable = 0;
  while (start < status.size()) {
    std::size_t end = status.find("\r\n", start);
    std::string_view line = status.substr(start, end - start);
    if (line.find("zzzz") == std::string_view::npos) {
      longest_foldable = std::max(longest_foldable, line.size());
    }
    start = end + 2;
  }
  EXPECT_LE(longest_foldable, 78u);
}

TEST(DsnTest, LineBreaksInFieldsCannotInjectHeadersOrFields) {
  DsnReport report = base_report();
  report.original_sender = "alice@example.org\r\nBcc: victim@example.com";
  report.envid = "id\r\nX-Injected: yes";
  DsnRecipient recipient = failed_bob();
  recipient.diagnostic = "smtp; 550 no\r\nAction: delivered\r\n\r\nFinal-Recipient: rfc822; x@y";
  recipient.final_recipient = "rfc822;bob@example.net\nStatus: 2.0.0";
  report.recipients.push_back(recipient);
  std::string message = build_dsn(report, "id\r\nX-Evil: 1", kNow);
  expect_well_formed_lines(message);
  Report parsed = parse_report(message);
  EXPECT_FALSE(parsed.headers.get("Bcc"));
  EXPECT_FALSE(parsed.headers.get("X-Evil"));
  ASSERT_EQ(parsed.parts.size(), 3u);
  std::vector<Fields> groups = read_delivery_status(parsed.parts[1].body);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_FALSE(groups[0].get("X-Injected"));
  EXPECT_EQ(groups[1].at("Action"), "failed");
  EXPECT_EQ(groups[1].at("Status"), "5.1.1");
  EXPECT_EQ(groups[1].list.size(), 6u);
}

TEST(DsnTest, ReportPartsAreAscii) {
  DsnReport report = base_report();
  report.original_sender = "j\xC3\xBCrgen@example.org";
  DsnRecipient recipient = failed_bob();
  recipient.diagnostic = "smtp; 550 5.1.1 Empf\xC3\xA4nger unbekannt\x01\x7F";
  report.recipients.push_back(recipient);
  Report parsed = parse_report(build_dsn(report, kMessageId, kNow));
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_TRUE(is_ascii(parsed.parts[0].body));
  EXPECT_TRUE(is_ascii(parsed.parts[1].body));
  std::vector<Fields> groups = read_delivery_status(parsed.parts[1].body);
  EXPECT_EQ(groups.at(1).at("Diagnostic-Code"), "smtp; 550 5.1.1 Empf??nger unbekannt ?");
}

TEST(DsnTest, TypedValuesAreNormalized) {
  DsnReport report = base_report();
  DsnRecipient recipient;
  recipient.final_recipient = "  rfc822 ;  bob@example.net ";
  recipient.original_recipient =
      "utf-8;b\xC3\xB6"
      "b@example.net";
  recipient.remote_mta = "mx.example.net";                 // no type: dns
  recipient.diagnostic = "550 5.1.1 <a;b>: no such user";  // no type: X-tern
  recipient.status = "5.1.1";
  report.recipients.push_back(recipient);
  Report parsed = parse_report(build_dsn(report, "<already@bracketed>", kNow));
  EXPECT_EQ(parsed.headers.at("Message-ID"), "<already@bracketed>");
  std::vector<Fields> groups = read_delivery_status(parsed.parts.at(1).body);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].at("Final-Recipient"), "rfc822; bob@example.net");
  EXPECT_EQ(groups[1].at("Original-Recipient"), "utf-8; b??b@example.net");
  EXPECT_EQ(groups[1].at("Remote-MTA"), "dns; mx.example.net");
  EXPECT_EQ(groups[1].at("Diagnostic-Code"), "X-tern; 550 5.1.1 <a;b>: no such user");
  EXPECT_NE(parsed.parts[0].body.find("<bob@example.net>: 550 5.1.1 <a;b>: no such user"),
            std::string::npos);
}

TEST(DsnTest, DefaultsForMissingPostmasterAndSender) {
  DsnReport report = base_report();
  report.postmaster.clear();
  report.original_sender.clear();
  report.recipients.push_back(failed_bob());
  Report parsed = parse_report(build_dsn(report, kMessageId, kNow));
  EXPECT_EQ(parsed.headers.at("From"), "MAILER-DAEMON@mail.example.org (Mail Delivery System)");
  EXPECT_EQ(parsed.headers.at("To"), "MAILER-DAEMON");
  std::vector<Fields> groups = read_delivery_status(parsed.parts.at(1).body);
  EXPECT_EQ(groups.at(0).at("X-Postfix-Sender"), "rfc822; MAILER-DAEMON");
}

TEST(DsnTest, EveryLineIsCrlfAndShortForManyShapes) {
  const std::vector<std::string> originals = {
      "",
      "\r\n",
      "no header at all\r\n",
      "Subject: only headers",
      std::string(3000, 'a'),
      "Subject: x\r\n\r\n" + std::string(998, 'b') + "\r\n" + std::string(999, 'c') + "\n",
      "Subject: \xFF\xFE\r\n\r\n\x80\r\r\r\n",
      kOriginal,
  };
  for (bool full : {false, true}) {
    for (const std::string& original : originals) {
      for (Action action : {Action::Failed, Action::Delayed, Action::Delivered}) {
        DsnReport report = base_report();
        report.original_message = original;
        report.return_full_message = full;
        DsnRecipient recipient = failed_bob();
        recipient.action = action;
        recipient.will_retry_until = kNow + 86400;
        recipient.final_recipient = "rfc822;" + std::string(300, 'l') + "@example.net";
        report.recipients.push_back(recipient);
        std::string message = build_dsn(report, kMessageId, kNow);
        SCOPED_TRACE(testing::Message() << "full=" << full << " original=" << original.size());
        expect_well_formed_lines(message);
        EXPECT_EQ(parse_report(message).parts.size(), 3u);
      }
    }
  }
}

// ---- header_section ----

TEST(DsnTest, HeaderSectionEndsAfterTheEmptyLine) {
  struct Case {
    std::string message, expected;
  };
  const std::vector<Case> cases = {
      {"A: 1\r\nB: 2\r\n\r\nbody\r\n", "A: 1\r\nB: 2\r\n\r\n"},
      {"A: 1\nB: 2\n\nbody\n", "A: 1\nB: 2\n\n"},
      {"A: 1\r\n folded\r\n\tmore\r\n\r\n\r\nbody", "A: 1\r\n folded\r\n\tmore\r\n\r\n"},
      {"Obsolete : 1\r\n\r\nbody", "Obsolete : 1\r\n\r\n"},
      {"A: 1\r\nB: 2\r\n", "A: 1\r\nB: 2\r\n"},          // headers only
      {"A: 1\r\nB: 2", "A: 1\r\nB: 2"},                  // unterminated last field
      {"A: 1\r\nnot a field\r\n", "A: 1\r\n"},           // body without the empty line
      {"From someone Tue Nov 14\r\nA: 1\r\n\r\nb", ""},  // mbox line: no header section
      {"\r\nbody", "\r\n"},                              // empty header section
      {" leading space\r\n\r\n", ""},
      {"", ""},
      {"A: body: with colon\r\n\r\nB: not a header\r\n", "A: body: with colon\r\n\r\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(header_section(c.message), c.expected) << c.message;
  }
}

TEST(DsnTest, HeaderSectionIsAPrefixView) {
  const std::string message = kOriginal;
  std::string_view headers = header_section(message);
  EXPECT_EQ(headers.data(), message.data());
  EXPECT_EQ(headers.size(), message.find("\r\n\r\n") + 4);
}

}  // namespace
}  // namespace tern::mime
