// Received: header (RFC 5321 §4.4 Time-stamp-line; RFC 5322 §3.6.7), folded onto continuation lines
// that start with a TAB so no line nears the 998-octet limit.
#include "mime/received.hpp"

#include <fmt/format.h>

#include "mime/date.hpp"

namespace tern::mime {
namespace {

// The client chose the HELO text: control characters (a bare CR could start a forged header line in
// some readers) become '?'.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return out;
}

}  // namespace

std::string received_header(const ReceivedFacts& facts, std::string_view hostname) {
  std::string helo = printable(facts.helo.empty() ? facts.client_name : facts.helo);
  std::string header =
      fmt::format("Received: from {} ({} [{}])\r\n", helo, facts.client_name, facts.client_address);
  if (!facts.tls.empty()) header += fmt::format("\t(using {})\r\n", facts.tls);
  header += fmt::format("\tby {} (tern) with {} id {}", hostname, facts.protocol, facts.queue_id);
  if (!facts.single_recipient.empty()) {
    header += fmt::format("\r\n\tfor <{}>", facts.single_recipient);
  }
  header += fmt::format("; {}\r\n", rfc5322_date(facts.time));
  return header;
}

}  // namespace tern::mime
