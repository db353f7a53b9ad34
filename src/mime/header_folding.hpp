// Folding a header field into lines (RFC 5322 §2.2.3, §2.1.1): a CRLF is inserted before white
// space so that lines stay within 78 octets where the text allows it (right after the colon when
// the value's first word fits only on a line of its own). Guarantees: unfolding
// (removing each CRLF that precedes white space) gives back "Name: value" exactly; no line is white
// space alone; a line is longer than 78 octets only when a single word is (callers that must stay
// under 998 octets encode long words first, see encoded_word.hpp).
#pragma once

#include <string>
#include <string_view>

namespace tern::mime {

inline constexpr std::size_t kFoldedLineLimit = 78;

// "Name: value" folded, ending in CRLF.
std::string fold_header_field(std::string_view name, std::string_view value,
                              std::size_t limit = kFoldedLineLimit);

}  // namespace tern::mime
