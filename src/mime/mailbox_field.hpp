// One mailbox as a user writes it on a command line ("Jörg Müller <jm@example.org>",
// "\"Doe, John\" <jd@example.org>", "<a@b>", "a@b") and as it goes into From:, To: or Cc:
// (RFC 5322 §3.4 name-addr / addr-spec). Guarantees: the display name becomes an atom phrase, a
// quoted-string or RFC 2047 encoded-words as its characters require, so it never changes how the
// address list parses; the address itself is left to the SMTP address parser to judge.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tern::mime {

struct MailboxSpec {
  std::string display_name;  // unquoted, as the user meant it; empty for none
  std::string address;       // "local@domain"
};

// Splits "Name <address>"; a quoted name loses its quotes and backslash escapes. An error names
// what is wrong (an unclosed '<', an empty address).
Result<MailboxSpec> parse_mailbox_argument(std::string_view text);

// The mailbox for a header field. `utf8_allowed` (SMTPUTF8, RFC 6532): a UTF-8 display name stays
// as it is instead of being encoded.
std::string format_mailbox(const MailboxSpec& mailbox, bool utf8_allowed);

}  // namespace tern::mime
