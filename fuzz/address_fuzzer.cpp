// Fuzzes the RFC 5321 path parser (smtp/address.hpp). The first byte picks the flags (null path
// allowed, SMTPUTF8), the rest is the text after "MAIL FROM:" or "RCPT TO:". Checks the limits of
// §4.5.3.1, that UTF-8 appears only with SMTPUTF8, and that a parsed mailbox written back as
// "<address>" parses to the same mailbox (what the spool stores must read back as it was meant).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/address.hpp"

namespace {

using tern::fuzz::visible;
using namespace tern::smtp;

constexpr std::size_t kMaxPath = 256;  // RFC 5321 §4.5.3.1.3, with the angle brackets

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  bool allow_null = (data[0] & 1) != 0;
  bool allow_utf8 = (data[0] & 2) != 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  auto parsed = parse_path(text, allow_null, allow_utf8);
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().detail.empty(), "failure without a reason for " + visible(text));
    return 0;
  }
  const Mailbox& mailbox = parsed.value();
  std::string address = mailbox.address();
  if (mailbox.is_null) {
    FUZZ_CHECK(allow_null, "null path accepted where not allowed: " + visible(text));
    FUZZ_CHECK(address.empty(), "null path with address " + visible(address));
    return 0;
  }
  FUZZ_CHECK(!address.empty(), "empty address from " + visible(text));
  FUZZ_CHECK(mailbox.local_part.size() <= 64, "local part too long: " + visible(address));
  FUZZ_CHECK(mailbox.domain.size() <= 255, "domain too long: " + visible(address));
  FUZZ_CHECK(allow_utf8 || !mailbox.has_utf8(), "UTF-8 without SMTPUTF8: " + visible(address));
  FUZZ_CHECK(!mailbox.domain.empty() || mailbox.is_postmaster(),
             "no domain and not postmaster: " + visible(address));
  for (char c : address) {
    auto byte = static_cast<unsigned char>(c);
    FUZZ_CHECK(byte >= 0x20 && byte != 0x7F, "control character in " + visible(address));
  }

  std::string again_text = "<" + address + ">";
  if (again_text.size() <= kMaxPath) {
    auto again = parse_path(again_text, allow_null, allow_utf8);
    FUZZ_CHECK(again.ok(), "address " + visible(address) + " from " + visible(text) +
                               " does not parse again: " + (again ? "" : again.error().detail));
    FUZZ_CHECK(again->local_part == mailbox.local_part && again->domain == mailbox.domain,
               "address " + visible(address) + " parses again as " + visible(again->address()));
  }
  (void)unquoted_local_part(mailbox.local_part);
  return 0;
}
