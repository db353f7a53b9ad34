// Base64 (RFC 4648 §4), strict: the standard alphabet, correct padding, nothing else. SASL (RFC
// 4954 §4) requires a server to reject responses that are not valid base64, so decoding never
// guesses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern {

std::string base64_encode(std::string_view bytes);
// std::nullopt for any character outside the alphabet, wrong length, misplaced or excess padding,
// or non-zero bits in the padding (RFC 4648 §3.5: canonical encoding).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tern
