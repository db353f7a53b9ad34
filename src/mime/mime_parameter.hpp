// MIME header parameters (RFC 2045 §5.1) such as `filename` and `name`, with RFC 2231 for values a
// token or quoted-string cannot carry: non-ASCII text as `filename*=utf-8''%E2%82%AC.txt` (§4) and
// long values split into numbered continuations (`filename*0*=...; filename*1*=...`, §3).
// Guarantees: each returned piece is at most ~70 octets of 7-bit ASCII with no CR or LF, so a
// folded field stays within 78-octet lines, and RFC 2231 decoding gives back the value exactly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {

// The `name=value` pieces for one parameter, to be joined with "; " (and folded between them).
std::vector<std::string> format_mime_parameter(std::string_view name, std::string_view value);

// "attachment; filename=report.pdf" style field bodies: `value` then each parameter's pieces,
// separated by "; ".
std::string with_mime_parameters(std::string_view value,
                                 const std::vector<std::vector<std::string>>& parameters);

}  // namespace tern::mime
