// Spool file format: envelope header round trip with hostile bytes, header length and data offset,
// rejection of truncated or foreign files, and the per-recipient results log.
#include "queue/spool_format.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tern::queue {
namespace {

using namespace std::string_literals;

// A recipient with only its address set.
Recipient recipient(std::string address) {
  Recipient recipient;
  recipient.address = std::move(address);
  return recipient;
}

const std::string kHostile = "a b%20%%c\r\nrcpt evil 0  \n\0x\xC3\xA9\xE2\x82\xAC\x7F\x01\t"s;

Envelope hostile_envelope() {
  Envelope envelope;
  envelope.queue_id = "0123456789ABCDEF012";
  envelope.sender = "s" + kHostile + "@example.org";
  Recipient first;
  first.address = "r1" + kHostile + "@example.org";
  first.orcpt_type = "rfc822";
  first.orcpt_address = "o" + kHostile;
  first.notify = 7;
  Recipient second;
  second.address = "\xE7\x94\xA8\xE6\x88\xB7@example.org";  // UTF-8 local part, no ORCPT
  second.notify = 0;
  envelope.recipients = {first, second};
  envelope.ret = "HDRS";
  envelope.envid = "e" + kHostile;
  envelope.body = "8BITMIME";
  envelope.smtputf8 = true;
  envelope.arrival_time = 1700000000;
  envelope.client_name = "";  // empty first value must not shift the second
  envelope.client_address = "2001:db8::1";
  envelope.helo = "h" + kHostile + "\nend\n";
  envelope.protocol = "ESMTPS";
  return envelope;
}

void expect_same(const Envelope& a, const Envelope& b) {
  EXPECT_EQ(a.queue_id, b.queue_id);
  EXPECT_EQ(a.sender, b.sender);
  ASSERT_EQ(a.recipients.size(), b.recipients.size());
  for (std::size_t i = 0; i < a.recipients.size(); ++i) {
    EXPECT_EQ(a.recipients[i].address, b.recipients[i].address) << i;
    EXPECT_EQ(a.recipients[i].orcpt_type, b.recipients[i].orcpt_type) << i;
    EXPECT_EQ(a.recipients[i].orcpt_address, b.recipients[i].orcpt_address) << i;
    EXPECT_EQ(a.recipients[i].notify, b.recipients[i].notify) << i;
    EXPECT_EQ(b.recipients[i].state, RecipientState::Pending) << i;
  }
  EXPECT_EQ(a.ret, b.ret);
  EXPECT_EQ(a.envid, b.envid);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.smtputf8, b.smtputf8);
  EXPECT_EQ(a.arrival_time, b.arrival_time);
  EXPECT_EQ(a.client_name, b.client_name);
  EXPECT_EQ(a.client_address, b.client_address);
  EXPECT_EQ(a.helo, b.helo);
  EXPECT_EQ(a.protocol, b.protocol);
}

TEST(SpoolFormatTest, RoundTripKeepsHostileBytes) {
  Envelope envelope = hostile_envelope();
  std::string header = encode_envelope(envelope);
  std::string data = "Subject: x\r\n\r\nbody\r\n";
  auto decoded = decode_spool_header(header + data);
  ASSERT_TRUE(decoded) << decoded.error().message;
  expect_same(envelope, decoded->envelope);
}

TEST(SpoolFormatTest, HostileValuesCannotForgeRecords) {
  std::string header = encode_envelope(hostile_envelope());
  // Escaping leaves exactly one record per line: no raw CR, NUL, TAB or non-ASCII byte inside.
  for (char c : header) {
    unsigned char u = static_cast<unsigned char>(c);
    EXPECT_TRUE(c == '\n' || (u >= 0x20 && u < 0x7F)) << static_cast<int>(u);
  }
  std::size_t lines = 0;
  for (char c : header) lines += c == '\n';
  // first line, id, sender, 2 rcpt, ret, envid, body, smtputf8, arrival, client, helo, protocol,
  // end
  EXPECT_EQ(lines, 14u);
}

TEST(SpoolFormatTest, EmptyValuesRoundTrip) {
  Envelope envelope;
  envelope.recipients.push_back(recipient("a@example.org"));
  auto decoded = decode_spool_header(encode_envelope(envelope));
  ASSERT_TRUE(decoded) << decoded.error().message;
  expect_same(envelope, decoded->envelope);
}

TEST(SpoolFormatTest, DataOffsetIsTheHeaderLength) {
  Envelope envelope = hostile_envelope();
  std::string header = encode_envelope(envelope);
  EXPECT_EQ(header.rfind("TERN-QUEUE 1 ", 0), 0u);
  EXPECT_TRUE(header.ends_with("end\n"));
  std::string data = "TERN-QUEUE 1 0000000001\nnot a header\n";
  auto decoded = decode_spool_header(header + data);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->data_offset, header.size());
  EXPECT_EQ((header + data).substr(decoded->data_offset), data);
  EXPECT_EQ(announced_header_length(header), header.size());
}

TEST(SpoolFormatTest, TruncatedHeaderIsAnError) {
  std::string header = encode_envelope(hostile_envelope());
  for (std::size_t keep : {std::size_t{0}, std::size_t{5}, std::size_t{13}, std::size_t{23},
                           std::size_t{24}, std::size_t{40}, header.size() - 1}) {
    auto decoded = decode_spool_header(header.substr(0, keep));
    EXPECT_FALSE(decoded) << "kept " << keep;
  }
}

TEST(SpoolFormatTest, WrongMagicIsAnError) {
  std::string header = encode_envelope(hostile_envelope());
  std::string other = header;
  other.replace(0, 10, "TERN-QUEUX");
  EXPECT_FALSE(decode_spool_header(other));
  EXPECT_EQ(announced_header_length(other), 0u);
  std::string version = header;
  version[11] = '2';  // "TERN-QUEUE 2"
  EXPECT_FALSE(decode_spool_header(version));
  EXPECT_FALSE(decode_spool_header("From alice@example.org Mon Jan  1 00:00:00 2024\n"));
}

TEST(SpoolFormatTest, UnknownRecordOrMissingEndIsAnError) {
  Envelope envelope = hostile_envelope();
  std::string header = encode_envelope(envelope);
  // Same length, one key changed: "helo" -> "hela".
  std::string unknown = header;
  unknown.replace(unknown.find("\nhelo ") + 1, 4, "hela");
  EXPECT_FALSE(decode_spool_header(unknown));
  std::string no_end = header;
  no_end.replace(no_end.size() - 4, 4, "xyz\n");
  EXPECT_FALSE(decode_spool_header(no_end));
}

TEST(SpoolFormatTest, HeaderWithoutRecipientsIsAnError) {
  Envelope envelope;
  envelope.sender = "a@example.org";
  EXPECT_FALSE(decode_spool_header(encode_envelope(envelope)));
}

// Found by fuzz/spool_format: "rcpt" with an empty address decoded, though no recipient is ever
// queued without one; such a file is damaged and goes to corrupt/.
TEST(SpoolFormatTest, RecipientWithoutAnAddressIsAnError) {
  std::string records = "rcpt  0  \nend\n";
  std::string file =
      "TERN-QUEUE 1 " + std::string(8, '0') + std::to_string(24 + records.size()) + "\n" + records;
  ASSERT_EQ(announced_header_length(file), file.size());
  auto decoded = decode_spool_header(file);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message, "bad spool record: rcpt  0  ");
}

TEST(SpoolFormatTest, EscapeRoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  std::string escaped = escape_value(all);
  EXPECT_EQ(escaped.find(' '), std::string::npos);
  EXPECT_EQ(escaped.find('\n'), std::string::npos);
  EXPECT_EQ(unescape_value(escaped), all);
  EXPECT_EQ(escape_value("a%b c"), "a%25b%20c");
}

Envelope two_recipients() {
  Envelope envelope;
  envelope.recipients = {recipient("a@example.org"), recipient("b@example.org")};
  return envelope;
}

TEST(SpoolFormatTest, ApplyResultsSetsStatesAndTexts) {
  Envelope envelope = two_recipients();
  std::string log = encode_result(0, RecipientState::Deferred, 100, "mailbox busy") +
                    encode_result(1, RecipientState::Bounced, 101, "unknown user: \"b\"\r\n") +
                    encode_result(0, RecipientState::Delivered, 102, "delivered to maildir");
  ASSERT_TRUE(apply_results(log, envelope));
  EXPECT_EQ(envelope.recipients[0].state, RecipientState::Delivered);  // the last line wins
  EXPECT_EQ(envelope.recipients[0].status_text, "delivered to maildir");
  EXPECT_EQ(envelope.recipients[1].state, RecipientState::Bounced);
  EXPECT_EQ(envelope.recipients[1].status_text, "unknown user: \"b\"\r\n");
}

TEST(SpoolFormatTest, ApplyResultsReadsTheLastSchedule) {
  Envelope envelope = two_recipients();
  std::string log = encode_result(0, RecipientState::Deferred, 100, "busy") +
                    encode_schedule(1, 400) + encode_result(0, RecipientState::Deferred, 500, "") +
                    encode_schedule(2, 1100);
  EXPECT_EQ(encode_schedule(2, 1100), "schedule 2 1100\n");
  ASSERT_TRUE(apply_results(log, envelope));
  EXPECT_EQ(envelope.attempts, 2);
  EXPECT_EQ(envelope.next_attempt_time, 1100);
  EXPECT_EQ(envelope.recipients[0].state, RecipientState::Deferred);
  EXPECT_EQ(envelope.recipients[1].state, RecipientState::Pending);
}

TEST(SpoolFormatTest, ApplyResultsIgnoresATornLastLine) {
  Envelope envelope = two_recipients();
  std::string whole = encode_result(0, RecipientState::Delivered, 100, "ok");
  std::string torn = encode_result(1, RecipientState::Delivered, 101, "ok");
  torn.pop_back();  // the crash came before the newline
  ASSERT_TRUE(apply_results(whole + torn, envelope));
  EXPECT_EQ(envelope.recipients[0].state, RecipientState::Delivered);
  EXPECT_EQ(envelope.recipients[1].state, RecipientState::Pending);
  Envelope garbage = two_recipients();
  EXPECT_TRUE(apply_results(whole + "1 D 1", garbage));
  EXPECT_EQ(garbage.recipients[1].state, RecipientState::Pending);
}

TEST(SpoolFormatTest, ApplyResultsRejectsMalformedCompleteLines) {
  for (std::string line :
       {"0 X 100 ok\n", "0 D 100\n", "0 D 100 ok 2.0.0 extra\n", "x D 100 ok\n", "0 D -x ok\n",
        "-1 D 100 ok\n", "schedule 1\n", "schedule a 5\n", "\n", "0  D 100 ok\n", "notified\n",
        "notified 2\n", "notified x\n", "warned 2\n", "handoff 0\n", "handoff 0 sideways\n",
        "handoff 5 dsn\n"}) {
    Envelope envelope = two_recipients();
    EXPECT_FALSE(apply_results(line, envelope)) << line;
  }
}

TEST(SpoolFormatTest, ResultsCarryTheDsnStatusAndNotifications) {
  Envelope envelope = two_recipients();
  std::string log = encode_result(0, RecipientState::Bounced, 100, "unknown user", "5.1.1") +
                    encode_result(1, RecipientState::Delivered, 101, "ok") + encode_notified(0);
  ASSERT_TRUE(apply_results(log, envelope));
  EXPECT_EQ(envelope.recipients[0].dsn_status, "5.1.1");
  EXPECT_EQ(envelope.recipients[0].status_text, "unknown user");
  EXPECT_EQ(envelope.recipients[0].last_attempt, 100);
  EXPECT_TRUE(envelope.recipients[0].notified);
  EXPECT_EQ(envelope.recipients[1].dsn_status, "");  // written without one, as older spools are
  EXPECT_FALSE(envelope.recipients[1].notified);
}

TEST(SpoolFormatTest, ResultsCarryWarningsAndHandoffs) {
  Envelope envelope = two_recipients();
  std::string log = encode_result(0, RecipientState::Delivered, 100, "250 ok") +
                    encode_handoff(0, Handoff::RelayedWithoutDsn) + encode_warned(1) +
                    encode_handoff(1, Handoff::RelayedWithDsn);
  ASSERT_TRUE(apply_results(log, envelope));
  EXPECT_EQ(envelope.recipients[0].handoff, Handoff::RelayedWithoutDsn);
  EXPECT_FALSE(envelope.recipients[0].warned);
  EXPECT_TRUE(envelope.recipients[1].warned);
  EXPECT_FALSE(envelope.recipients[1].notified);
  EXPECT_EQ(envelope.recipients[1].handoff, Handoff::RelayedWithDsn);
  ASSERT_TRUE(apply_results(encode_handoff(1, Handoff::Mailbox), envelope));
  EXPECT_EQ(envelope.recipients[1].handoff, Handoff::Mailbox);
}

TEST(SpoolFormatTest, ApplyResultsRejectsAnIndexOutOfRange) {
  Envelope envelope = two_recipients();
  EXPECT_FALSE(apply_results(encode_result(2, RecipientState::Delivered, 100, "ok"), envelope));
  EXPECT_FALSE(apply_results("18446744073709551616 D 100 ok\n", envelope));
}

}  // namespace
}  // namespace tern::queue
