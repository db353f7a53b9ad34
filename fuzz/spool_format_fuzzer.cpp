// Fuzzes the spool file decoder (queue/spool_format.hpp), which reads files a crash, a full disk or
// an administrator may have damaged: the input is read as a spool file and as a results log. Then
// the same bytes build an envelope and results with any octets in every field, which must survive
// encode -> decode unchanged. Checks: a header that decodes keeps the envelope's invariants
// (recipients, each with an address, data offset inside the file) and re-encodes to itself; results
// only touch recipients that exist; %-escaping leaves no byte that could split a record.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "queue/envelope.hpp"
#include "queue/spool_format.hpp"

namespace {

using tern::fuzz::visible;
using namespace tern::queue;

bool same_recipient(const Recipient& a, const Recipient& b) {
  return a.address == b.address && a.orcpt_type == b.orcpt_type &&
         a.orcpt_address == b.orcpt_address && a.notify == b.notify && a.state == b.state &&
         a.status_text == b.status_text && a.dsn_status == b.dsn_status &&
         a.last_attempt == b.last_attempt && a.diagnostic == b.diagnostic &&
         a.remote_mta == b.remote_mta && a.notified == b.notified;
}

bool same_envelope(const Envelope& a, const Envelope& b) {
  if (a.recipients.size() != b.recipients.size()) return false;
  for (std::size_t i = 0; i < a.recipients.size(); ++i) {
    if (!same_recipient(a.recipients[i], b.recipients[i])) return false;
  }
  return a.queue_id == b.queue_id && a.sender == b.sender && a.ret == b.ret && a.envid == b.envid &&
         a.body == b.body && a.smtputf8 == b.smtputf8 && a.arrival_time == b.arrival_time &&
         a.client_name == b.client_name && a.client_address == b.client_address &&
         a.helo == b.helo && a.protocol == b.protocol && a.attempts == b.attempts &&
         a.next_attempt_time == b.next_attempt_time;
}

void check_escaping(std::string_view bytes) {
  std::string escaped = escape_value(bytes);
  for (char c : escaped) {
    auto byte = static_cast<unsigned char>(c);
    FUZZ_CHECK(byte > 0x20 && byte < 0x7F, "escape_value left " + visible(escaped));
  }
  FUZZ_CHECK(unescape_value(escaped) == bytes, "escape round trip of " + visible(bytes));
}

// The input as a spool file someone left in active/.
void decode_as_file(std::string_view file) {
  auto header = decode_spool_header(file);
  if (!header) {
    FUZZ_CHECK(!header.error().message.empty(), "failure without a reason");
    return;
  }
  const Envelope& envelope = header->envelope;
  FUZZ_CHECK(header->data_offset <= file.size(), "data offset past the end of the file");
  FUZZ_CHECK(!envelope.recipients.empty(), "decoded without recipients");
  for (const Recipient& recipient : envelope.recipients) {
    FUZZ_CHECK(!recipient.address.empty(), "decoded a recipient without an address");
    FUZZ_CHECK(recipient.notify <= 15, "NOTIFY bits " + std::to_string(recipient.notify));
  }
  std::string again = encode_envelope(envelope);
  auto reread = decode_spool_header(again);
  FUZZ_CHECK(reread.ok() && same_envelope(reread->envelope, envelope),
             "a decoded header does not survive re-encoding: " + visible(again));

  // The same input as its results log.
  Envelope applied = envelope;
  if (apply_results(file, applied)) {
    FUZZ_CHECK(applied.recipients.size() == envelope.recipients.size(),
               "results changed the recipient count");
  }
}

// The input's records behind a first line announcing their true length, so that mutations of the
// records are not all stopped by a length that no longer matches.
std::string with_true_length(std::string_view input) {
  constexpr std::string_view kMagic = "TERN-QUEUE 1 ";
  if (input.starts_with(kMagic) && input.size() >= 24) input.remove_prefix(24);
  std::size_t end = input.find("end\n");
  std::string_view records = input.substr(0, end == std::string_view::npos ? input.size() : end);
  std::string text(kMagic);
  std::string length = std::to_string(24 + records.size() + 4);
  text += std::string(10 - std::min<std::size_t>(10, length.size()), '0') + length + "\n";
  text += records;
  text += "end\n";
  return text;
}

std::string field(FuzzedDataProvider& provider) {
  return provider.ConsumeRandomLengthString(40);
}

// An envelope with any octets in every field, and results for it, through the encoder and back.
void round_trip(FuzzedDataProvider& provider) {
  Envelope envelope;
  envelope.queue_id = field(provider);
  envelope.sender = field(provider);
  std::size_t count = provider.ConsumeIntegralInRange<std::size_t>(1, 4);
  for (std::size_t i = 0; i < count; ++i) {
    Recipient recipient;
    recipient.address = field(provider);
    if (recipient.address.empty()) recipient.address = "x";  // never "" (envelope.hpp)
    recipient.notify = provider.ConsumeIntegralInRange<std::uint8_t>(0, 15);
    recipient.orcpt_type = field(provider);
    recipient.orcpt_address = field(provider);
    envelope.recipients.push_back(recipient);
  }
  envelope.ret = field(provider);
  envelope.envid = field(provider);
  envelope.body = field(provider);
  envelope.smtputf8 = provider.ConsumeBool();
  envelope.arrival_time = provider.ConsumeIntegral<std::int64_t>();
  envelope.client_name = field(provider);
  envelope.client_address = field(provider);
  envelope.helo = field(provider);
  envelope.protocol = field(provider);

  std::string file = encode_envelope(envelope) + field(provider);
  auto decoded = decode_spool_header(file);
  FUZZ_CHECK(decoded.ok(), "encoded envelope does not decode: " +
                               (decoded ? "" : decoded.error().message) + " " + visible(file));
  FUZZ_CHECK(same_envelope(decoded->envelope, envelope), "envelope changed: " + visible(file));
  FUZZ_CHECK(announced_header_length(file) == decoded->data_offset, "header length disagrees");

  std::string log;
  Envelope expected = envelope;
  for (int i = 0; i < 4 && provider.remaining_bytes() > 0; ++i) {
    std::size_t index = provider.ConsumeIntegralInRange<std::size_t>(0, count - 1);
    Recipient& recipient = expected.recipients[index];
    int kind = provider.ConsumeIntegralInRange<int>(0, 2);
    if (kind == 0) {
      log += encode_notified(index);
      recipient.notified = true;
    } else if (kind == 1) {
      expected.attempts = provider.ConsumeIntegral<int>();
      expected.next_attempt_time = provider.ConsumeIntegral<std::int64_t>();
      log += encode_schedule(expected.attempts, expected.next_attempt_time);
    } else {
      recipient.state = static_cast<RecipientState>(provider.ConsumeIntegralInRange<int>(0, 3));
      recipient.last_attempt = provider.ConsumeIntegral<std::int64_t>();
      recipient.status_text = field(provider);
      recipient.dsn_status = field(provider);
      recipient.diagnostic = field(provider);
      recipient.remote_mta = field(provider);
      log += encode_result(index, recipient.state, recipient.last_attempt, recipient.status_text,
                           recipient.dsn_status, recipient.diagnostic, recipient.remote_mta);
    }
  }
  Envelope applied = envelope;
  auto status = apply_results(log, applied);
  FUZZ_CHECK(status.ok(), "results log does not apply: " + visible(log));
  FUZZ_CHECK(same_envelope(applied, expected), "results changed on the way: " + visible(log));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  decode_as_file(input);
  decode_as_file(with_true_length(input));
  check_escaping(input);
  FuzzedDataProvider provider(data, size);
  round_trip(provider);
  return 0;
}
