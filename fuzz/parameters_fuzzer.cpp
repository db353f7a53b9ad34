// Fuzzes the ESMTP parameters of MAIL and RCPT (smtp/parameters.hpp) and the xtext codec they use.
// Checks: every refusal is one of the two replies RFC 5321/3461 call for; what is accepted obeys
// the RFCs (NOTIFY=NEVER alone, ORCPT types, ENVID length); xtext decoding undoes encoding for any
// bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/parameters.hpp"

namespace {

using tern::fuzz::visible;
using namespace tern::smtp;

void check_refusal(const Reply& reply, std::string_view text) {
  bool known = (reply.code == 501 || reply.code == 555) && reply.status == "5.5.4";
  FUZZ_CHECK(known, "unexpected refusal " + std::to_string(reply.code) + " " + reply.status +
                        " for " + visible(text));
  FUZZ_CHECK(reply.lines.size() == 1, "refusal without exactly one line");
}

void check_xtext_round_trip(std::string_view bytes) {
  std::string encoded = xtext_encode(bytes);
  for (char c : encoded) {
    auto byte = static_cast<unsigned char>(c);
    FUZZ_CHECK(byte >= 33 && byte <= 126 && c != '=', "xtext_encode left " + visible(encoded));
  }
  auto decoded = xtext_decode(encoded);
  FUZZ_CHECK(decoded && *decoded == bytes,
             "xtext round trip of " + visible(bytes) + " via " + visible(encoded));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto mail = parse_mail_parameters(text);
  if (!mail) {
    check_refusal(mail.error(), text);
  } else if (!mail->envid.empty()) {
    // RFC 3461 §4.4: ENVID is at most 100 characters of xtext, so decoded at most 100 octets.
    FUZZ_CHECK(mail->envid.size() <= 100, "ENVID of " + std::to_string(mail->envid.size()));
    check_xtext_round_trip(mail->envid);
  }

  auto rcpt = parse_rcpt_parameters(text);
  if (!rcpt) {
    check_refusal(rcpt.error(), text);
  } else {
    std::uint8_t notify = rcpt->notify;
    FUZZ_CHECK(notify <= 15, "NOTIFY bits " + std::to_string(notify));
    if (notify & NotifyNever) FUZZ_CHECK(notify == NotifyNever, "NEVER with other NOTIFY values");
    bool orcpt = !rcpt->orcpt_type.empty();
    FUZZ_CHECK(!orcpt || rcpt->orcpt_type == "rfc822" || rcpt->orcpt_type == "utf-8",
               "ORCPT type " + visible(rcpt->orcpt_type));
    FUZZ_CHECK(orcpt == !rcpt->orcpt_address.empty(), "ORCPT type and address disagree");
  }

  check_xtext_round_trip(text);
  (void)xtext_decode(text);
  return 0;
}
