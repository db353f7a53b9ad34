// Adds the header fields a message lacks while it streams through, as Postfix's cleanup does for
// submitted mail (Message-ID: RFC 5322 §3.6.4, Date: §3.6.1, and From: §3.6.2 for local
// submissions). It wraps mime::HeaderScanner's feed/finish protocol so a caller only passes bytes
// in and writes bytes out. Guarantees: the output is the input with the fields inserted at the end
// of the header section, whatever the split of the input; at most HeaderScanner::kMaxUndecided
// bytes are held back between calls; once the header ended every byte passes through unexamined.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/header_scanner.hpp"

namespace tern::server {

class HeaderCompletion {
 public:
  // Called once, when the header's end is found, with the scanner that watched the fields: returns
  // the fields to insert, each ending in CRLF ("" when none is missing).
  using MissingFields = std::function<std::string(const mime::HeaderScanner&)>;

  // `watched_names`: the fields `missing_fields` asks has_field() about ("Message-ID", "Date").
  HeaderCompletion(std::vector<std::string> watched_names, MissingFields missing_fields);

  // After this, bytes need not go through feed() at all (they would pass unchanged).
  bool header_ended() const { return scanner_.header_ended(); }

  // Appends to `out` the message bytes that can be written now, fields inserted where they belong.
  void feed(std::string_view bytes, std::string& out);
  // The message ended: appends everything still held back (and the fields, if the message ended in
  // its header section).
  void finish(std::string& out);

 private:
  void emit(std::size_t consumed, const std::optional<mime::HeaderEnd>& end, std::string& out);

  mime::HeaderScanner scanner_;
  MissingFields missing_fields_;
  std::string undecided_;  // the start of a header line whose kind is not known yet
};

}  // namespace tern::server
