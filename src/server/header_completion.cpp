// HeaderCompletion: the buffer-and-insert bookkeeping around mime::HeaderScanner, shared by the
// SMTP session (submission) and the pickup socket (local submission).
#include "server/header_completion.hpp"

#include <utility>

namespace tern::server {

HeaderCompletion::HeaderCompletion(std::vector<std::string> watched_names,
                                   MissingFields missing_fields)
    : scanner_(std::move(watched_names)), missing_fields_(std::move(missing_fields)) {}

void HeaderCompletion::feed(std::string_view bytes, std::string& out) {
  if (scanner_.header_ended()) {
    out.append(bytes);
    return;
  }
  undecided_.append(bytes);
  auto step = scanner_.feed(undecided_);
  emit(step.consumed, step.header_end, out);
}

void HeaderCompletion::finish(std::string& out) {
  if (scanner_.header_ended()) return;
  auto step = scanner_.finish(undecided_);
  emit(step.consumed, step.header_end, out);
}

// Writes undecided_[0, consumed) with the missing fields at the header's end when this step found
// it, and keeps the rest for the next call.
void HeaderCompletion::emit(std::size_t consumed, const std::optional<mime::HeaderEnd>& end,
                            std::string& out) {
  std::string_view written(undecided_.data(), consumed);
  if (end) {
    out.append(written.substr(0, end->offset));
    std::string fields = missing_fields_(scanner_);
    if (!fields.empty()) out += mime::header_insertion(*end, fields);
    out.append(written.substr(end->offset));
  } else {
    out.append(written);
  }
  undecided_.erase(0, consumed);
}

}  // namespace tern::server
