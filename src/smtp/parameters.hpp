// ESMTP parameters of MAIL FROM and RCPT TO: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531),
// RET/ENVID (RFC 3461 §4.3-4.4), NOTIFY/ORCPT (RFC 3461 §4.1-4.2). Parsing validates each value and rejects
// duplicates and unknown keywords with the reply Postfix gives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "smtp/reply.hpp"

namespace tern::smtp {

enum class Body { Unspecified, SevenBit, EightBitMime };
enum class Ret { Unspecified, Full, Headers };

struct MailParameters {
  std::optional<std::uint64_t> size;
  Body body = Body::Unspecified;
  bool smtputf8 = false;
  Ret ret = Ret::Unspecified;
  std::string envid;  // xtext-decoded (RFC 3461 §4); empty when absent
};

// NOTIFY bits; an empty set means "not specified" (the MTA's default: FAILURE, and DELAY at its discretion).
enum NotifyFlag : std::uint8_t {
  NotifyNever = 1,
  NotifySuccess = 2,
  NotifyFailure = 4,
  NotifyDelay = 8,
};

struct RcptParameters {
  std::uint8_t notify = 0;
  std::string orcpt_type;     // "rfc822" or "utf-8"; empty when ORCPT is absent
  std::string orcpt_address;  // decoded (xtext or utf-8-addr-xtext)
};

// `parameters` is the text after the path, e.g. "SIZE=1000 BODY=8BITMIME". Errors are the replies to send
// (501 5.5.4 for bad syntax or values, 555 5.5.4 for unsupported keywords).
Result<MailParameters, Reply> parse_mail_parameters(std::string_view parameters);
Result<RcptParameters, Reply> parse_rcpt_parameters(std::string_view parameters);

// xtext (RFC 3461 §4): "+XX" hex escapes. decode returns nullopt on malformed input.
std::optional<std::string> xtext_decode(std::string_view text);
std::string xtext_encode(std::string_view text);

}  // namespace tern::smtp
