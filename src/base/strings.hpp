// Small string helpers shared by parsers: ASCII case folding, trimming and list splitting.
// ASCII only on purpose: SMTP keywords and Postfix parameter syntax are ASCII (RFC 5321 §2.4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern {

std::string to_lower_ascii(std::string_view text);
std::string to_upper_ascii(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view text, std::string_view prefix);
std::string_view trim(std::string_view text);

// For logs and error messages quoting peer input: TAB becomes a space; other controls, DEL and
// non-ASCII octets become '?', so the text is one line of plain ASCII.
std::string printable_ascii(std::string_view text);

// Splits a Postfix-style list: items separated by commas and/or whitespace; empty items dropped.
std::vector<std::string> split_list(std::string_view text);

// Splits on one character, keeping empty fields (for colon-separated file formats).
std::vector<std::string_view> split_fields(std::string_view text, char separator);

}  // namespace tern
