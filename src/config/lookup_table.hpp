// Postfix's simple lookup tables (texthash:, and hash: read from its source text): one "key value"
// per line, '#' comments, continuation lines starting with whitespace. Lookups of an address follow
// Postfix's order for mail addresses: user@domain, then user, then @domain (postconf(5),
// smtpd_sender_login_maps).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tern::config {

struct LookupTable {
  std::map<std::string, std::string, std::less<>> entries;  // keys lower case

  const std::string* find(std::string_view key) const;
  // user@domain, user, @domain; the extension after recipient_delimiter is tried without too.
  const std::string* find_address(std::string_view address, std::string_view delimiter) const;
};

// Errors are "file:line: what is wrong".
Result<LookupTable> parse_lookup_table(std::string_view text, std::string_view file_name);
// The same from a file; "cannot open PATH: reason" when it cannot be read.
Result<LookupTable> read_lookup_table(const std::string& path);

}  // namespace tern::config
