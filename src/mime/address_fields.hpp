// The addresses in a message header's address fields (RFC 5322 §3.6.2, §3.6.3, §3.6.6: From,
// Sender, Reply-To, To, Cc, Bcc and their Resent- forms), found without a full parse so that they
// can be rewritten in place (smtp_generic_maps, masquerade_domains). Display names, comments,
// quoted strings and folding are kept byte for byte; only each addr-spec is replaced.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace tern::mime {

// Whether `name` is one of the address fields above (case-insensitive).
bool is_address_field(std::string_view name);

// `header` is a header section (CRLF or LF line endings, with or without the empty line that ends
// it). Every addr-spec in an address field ("user@domain" bare or in angle brackets) is passed to
// `rewrite` and replaced by what it returns; other fields are untouched. Route addresses
// ("<@relay:user@domain>") and quoted local parts are left alone.
std::string rewrite_address_fields(std::string_view header,
                                   const std::function<std::string(std::string_view)>& rewrite);

}  // namespace tern::mime
