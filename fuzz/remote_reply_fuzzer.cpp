// Fuzzes what a remote server's reply becomes: the reply parser (smtp/remote_reply.hpp) and the
// bounce built from it (mime/dsn.hpp), as the delivery agent and the bounce daemon use them. The
// first line-delimited part of the input is the reply; the rest is the returned original message,
// with the recipient fields and report flags taken from its last bytes. Checks the guarantees both
// headers state: a reply is well-formed with a code 200..599 or marked malformed, its texts are
// printable and bounded, its status agrees with its code; the DSN has only CRLF line endings, no
// line over 998 octets, a boundary found nowhere but on its delimiter lines, 8-bit only in the
// returned message, and the remote text only as printable ASCII.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "mime/dsn.hpp"
#include "smtp/client_protocol.hpp"
#include "smtp/remote_reply.hpp"

namespace {

using tern::fuzz::visible;
using namespace tern;

bool is_printable(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) return false;
  }
  return true;
}

// US-ASCII text of a mail line: printable or TAB (folding).
bool is_ascii_text(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte >= 0x7F) return false;
  }
  return true;
}

bool is_status(std::string_view status) {
  // RFC 3463 §2: class "." 1*3digit "." 1*3digit
  std::size_t pos = 0;
  if (status.empty() || (status[0] != '2' && status[0] != '4' && status[0] != '5')) return false;
  ++pos;
  for (int group = 0; group < 2; ++group) {
    if (pos >= status.size() || status[pos] != '.') return false;
    ++pos;
    std::size_t digits = 0;
    while (pos < status.size() && status[pos] >= '0' && status[pos] <= '9') ++pos, ++digits;
    if (digits == 0 || digits > 3) return false;
  }
  return pos == status.size();
}

void check_reply(const smtp::RemoteReply& reply, std::string_view raw) {
  std::string what = " for " + visible(raw);
  FUZZ_CHECK(reply.malformed() || (reply.code >= 200 && reply.code <= 599),
             "code " + std::to_string(reply.code) + what);
  FUZZ_CHECK(reply.malformed() == !reply.error.empty(), "error text and malformed disagree" + what);
  FUZZ_CHECK(reply.text.size() <= smtp::RemoteReply::kMaxText &&
                 reply.diagnostic.size() <= smtp::RemoteReply::kMaxText,
             "unbounded text" + what);
  FUZZ_CHECK(is_printable(reply.text) && is_printable(reply.diagnostic),
             "unprintable text " + visible(reply.diagnostic) + what);
  if (reply.malformed()) {
    FUZZ_CHECK(reply.status == "4.5.0" && reply.is_transient(), "malformed but final" + what);
  } else if (reply.is_intermediate()) {
    FUZZ_CHECK(reply.status.empty() || is_status(reply.status), "3xx status" + what);
  } else {
    FUZZ_CHECK(
        is_status(reply.status) && reply.status[0] - '0' == reply.code / 100,
        "status " + visible(reply.status) + " with code " + std::to_string(reply.code) + what);
  }
}

// Splits the DSN into lines, checking each ends in CRLF and holds no other CR or LF.
std::vector<std::string_view> dsn_lines(std::string_view dsn) {
  std::vector<std::string_view> lines;
  while (!dsn.empty()) {
    std::size_t end = dsn.find("\r\n");
    FUZZ_CHECK(end != std::string_view::npos, "DSN ends without CRLF: " + visible(dsn));
    std::string_view line = dsn.substr(0, end);
    FUZZ_CHECK(line.find_first_of("\r\n") == std::string_view::npos,
               "bare CR or LF in DSN line " + visible(line));
    FUZZ_CHECK(line.size() <= 998, "DSN line of " + std::to_string(line.size()) + " octets");
    lines.push_back(line);
    dsn.remove_prefix(end + 2);
  }
  return lines;
}

void check_dsn(const std::string& dsn, const mime::DsnReport& report) {
  std::vector<std::string_view> lines = dsn_lines(dsn);
  std::string boundary;
  for (std::string_view line : lines) {
    constexpr std::string_view kBoundary = "\tboundary=\"";
    if (line.starts_with(kBoundary) && line.ends_with('"')) {
      boundary = std::string(line.substr(kBoundary.size(), line.size() - kBoundary.size() - 1));
      break;
    }
  }
  FUZZ_CHECK(!boundary.empty() && boundary.size() <= 70, "boundary " + visible(boundary));
  int delimiters = 0;
  bool closed = false;
  bool in_returned_part = false;
  for (std::string_view line : lines) {
    if (line == "--" + boundary) {
      FUZZ_CHECK(!closed, "part after the closing delimiter");
      ++delimiters;
      in_returned_part = delimiters == 3;
      continue;
    }
    if (line == "--" + boundary + "--") {
      closed = true;
      continue;
    }
    if (delimiters > 0) {
      FUZZ_CHECK(line.find(boundary) == std::string_view::npos || line.starts_with("\tboundary="),
                 "boundary inside a part: " + visible(line));
    }
    if (!in_returned_part || closed) {
      FUZZ_CHECK(is_ascii_text(line), "non-ASCII outside the returned message: " + visible(line));
    }
  }
  FUZZ_CHECK(delimiters == 3 && closed,
             "DSN has " + std::to_string(delimiters) + " parts for " + visible(report.queue_id));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The reply is everything up to an empty line (or all of it), as the client frames it.
  std::size_t blank = input.find("\n\n");
  std::string_view raw =
      input.substr(0, blank == std::string_view::npos ? input.size() : blank + 1);
  std::string_view rest = blank == std::string_view::npos ? "" : input.substr(blank + 2);

  smtp::RemoteReply reply = smtp::parse_remote_reply(raw);
  check_reply(reply, raw);
  std::size_t framed = smtp::complete_reply_length(raw);
  FUZZ_CHECK(framed <= raw.size(), "reply framed past its end");
  if (framed > 0)
    check_reply(smtp::parse_remote_reply(raw.substr(0, framed)), raw.substr(0, framed));

  FuzzedDataProvider provider(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size());
  mime::DsnReport report;
  report.reporting_mta = "mx.example.test";
  report.queue_id = provider.ConsumeRandomLengthString(24);
  report.envid = provider.ConsumeRandomLengthString(120);
  report.original_sender = provider.ConsumeRandomLengthString(80);
  report.arrival = provider.ConsumeIntegralInRange<std::time_t>(0, 4102444800);
  report.return_full_message = provider.ConsumeBool();
  report.bounce_size_limit =
      provider.ConsumeBool() ? 0 : provider.ConsumeIntegralInRange<std::size_t>(0, 2000);
  mime::DsnRecipient recipient;
  recipient.final_recipient = provider.ConsumeRandomLengthString(80);
  recipient.original_recipient = provider.ConsumeRandomLengthString(80);
  recipient.action = reply.is_permanent()  ? mime::DsnRecipient::Action::Failed
                     : reply.is_positive() ? mime::DsnRecipient::Action::Relayed
                                           : mime::DsnRecipient::Action::Delayed;
  recipient.status = reply.status;
  recipient.remote_mta = "dns; " + provider.ConsumeRandomLengthString(80);
  recipient.diagnostic = reply.diagnostic_code();
  recipient.last_attempt = report.arrival;
  recipient.will_retry_until =
      report.arrival + provider.ConsumeIntegralInRange<std::time_t>(0, 864000);
  report.recipients.push_back(recipient);
  std::string original = provider.ConsumeRemainingBytesAsString();
  report.original_message = original;

  std::string dsn = mime::build_dsn(report, "20240101.ABC@mx.example.test", 1700000000);
  check_dsn(dsn, report);
  return 0;
}
