// Quoted-printable (RFC 2045 §6.7) for text bodies that cannot go as they are: 8-bit text to a
// server without 8BITMIME, or lines longer than SMTP's 998 octets (RFC 5321 §4.5.3.1.6).
// Guarantees: the output is 7-bit printable ASCII in lines of at most 76 characters plus CRLF;
// CRLF pairs of the input stay hard line breaks and every other octet (bare CR or LF, NUL,
// trailing white space, '=') is escaped, so decoding gives back the exact input.
#pragma once

#include <string>
#include <string_view>

namespace tern::mime {

std::string quoted_printable_encode(std::string_view text);

}  // namespace tern::mime
