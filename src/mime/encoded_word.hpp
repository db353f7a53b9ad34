// RFC 2047 encoded-words, so header text that is not plain ASCII (a UTF-8 Subject: or display
// name) reaches readers whose servers do not speak SMTPUTF8. Guarantees: every encoded-word is at
// most 75 characters (§2) and holds whole UTF-8 characters (§5 rule 3); encoded-words are
// separated by single spaces, where the header may be folded; plain words are left as they are,
// and decoding per §6.2 gives back the exact text.
#pragma once

#include <string>
#include <string_view>

namespace tern::mime {

// True when the text is printable ASCII (spaces and tabs allowed) without "=?" that a reader could
// take for an encoded-word.
bool is_plain_header_text(std::string_view text);

// An unstructured field body (Subject:, Comments:, X-...): the runs of words that need it are
// encoded (non-ASCII or control octets, "=?", or a word too long to fold), the rest stays as is.
// With `utf8_allowed` (SMTPUTF8, RFC 6532) UTF-8 stays as it is too.
std::string encode_unstructured(std::string_view text, bool utf8_allowed);

// The whole `phrase` (a display name) as encoded-words, in the restricted character set of §5
// rule 3, so it is a valid phrase whatever it holds.
std::string encode_phrase(std::string_view phrase);

}  // namespace tern::mime
