// Fuzzes the RFC 5322 header parser (mime/header_scanner.hpp) the way submission uses it: through
// server::HeaderCompletion, fed the message in fuzzer-chosen pieces, adding fields at the end of
// the header. Checks the guarantees both headers state: the result is the same however the message
// is split; the output is the input with the fields inserted at one point, which is the end of a
// header line; at most kMaxUndecided bytes are ever held back; header_section() is a prefix that
// ends where the scanner found the end.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chunking.hpp"
#include "fuzz_check.hpp"
#include "mime/dsn.hpp"
#include "mime/header_scanner.hpp"
#include "server/header_completion.hpp"

namespace {

using tern::fuzz::split_at_fuzzed_points;
using tern::fuzz::visible;
using namespace tern;

constexpr std::string_view kAdded = "X-Added: yes\r\n";

struct Completed {
  std::string out;
  bool had_message_id = false;
  bool had_date = false;
};

// Feeds `chunks` through a HeaderCompletion. After every piece, what was written so far must be the
// start of `expected` (the input with `insertion` at `offset`), and the input bytes not yet written
// at most kMaxUndecided.
Completed complete(const std::vector<std::string_view>& chunks, const std::string& expected,
                   std::size_t offset, std::size_t insertion) {
  Completed result;
  server::HeaderCompletion completion({"Message-ID", "Date"},
                                      [&result](const mime::HeaderScanner& scanner) {
                                        result.had_message_id = scanner.has_field("Message-ID");
                                        result.had_date = scanner.has_field("date");
                                        return std::string(kAdded);
                                      });
  std::size_t fed = 0;
  for (std::string_view chunk : chunks) {
    completion.feed(chunk, result.out);
    fed += chunk.size();
    FUZZ_CHECK(std::string_view(expected).starts_with(result.out),
               "wrote " + visible(result.out) + "\nexpected " + visible(expected));
    std::size_t written =
        result.out.size() > offset ? result.out.size() - insertion : result.out.size();
    FUZZ_CHECK(fed - written <= mime::HeaderScanner::kMaxUndecided,
               "holding back " + std::to_string(fed - written) + " bytes");
  }
  completion.finish(result.out);
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  std::string message =
      provider.ConsumeBytesAsString(provider.ConsumeIntegralInRange<std::size_t>(0, size));

  // The reference: the whole message in one finish() call.
  mime::HeaderScanner scanner({"Message-ID", "Date"});
  mime::HeaderScanner::Step step = scanner.finish(message);
  FUZZ_CHECK(step.header_end.has_value(), "finish() did not report the end of the header");
  FUZZ_CHECK(step.consumed == message.size(), "finish() left bytes");
  const mime::HeaderEnd& end = *step.header_end;
  FUZZ_CHECK(end.offset <= message.size(), "end past the message");
  if (end.kind == mime::HeaderEnd::Kind::EndOfMessage) {
    FUZZ_CHECK(end.offset == message.size(), "end of message before its end");
  } else {
    FUZZ_CHECK(
        end.offset == 0 || message[end.offset - 1] == '\n',
        "header ends inside a line at " + std::to_string(end.offset) + " of " + visible(message));
  }
  std::string expected = message.substr(0, end.offset) + mime::header_insertion(end, kAdded) +
                         message.substr(end.offset);

  std::size_t insertion = expected.size() - message.size();
  Completed whole = complete({message}, expected, end.offset, insertion);
  FUZZ_CHECK(whole.out == expected,
             "one piece: " + visible(whole.out) + "\nexpected " + visible(expected));
  Completed pieces =
      complete(split_at_fuzzed_points(message, provider), expected, end.offset, insertion);
  FUZZ_CHECK(pieces.out == expected, "split: " + visible(pieces.out) + "\nexpected " +
                                         visible(expected) + "\nfor " + visible(message));
  FUZZ_CHECK(pieces.had_message_id == scanner.has_field("message-id") &&
                 pieces.had_date == scanner.has_field("Date"),
             "watched fields depend on the split of " + visible(message));

  std::string_view section = mime::header_section(message);
  FUZZ_CHECK(std::string_view(message).starts_with(section), "header_section is not a prefix");
  FUZZ_CHECK(section.size() >= end.offset, "header_section shorter than the header");
  return 0;
}
