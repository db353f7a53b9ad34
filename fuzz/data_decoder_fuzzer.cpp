// Fuzzes DATA framing (smtp/data_decoder.hpp) with the stream split at fuzzer-chosen points, and
// the SMTP client's dot-stuffing (smtp/client_protocol.hpp DotStuffer) against it. Checks:
//  - the split of the input never changes the result (output, bytes consumed, flags);
//  - the data ends exactly at the first CRLF "." CRLF of the stream (a "." CRLF at the very start
//    counts, the session having just sent the CRLF of "DATA"), never at a bare LF or CR form, so
//    nothing can be smuggled past the end (SMTP smuggling, 2023);
//  - exactly the first size_limit decoded bytes are kept;
//  - what our client dot-stuffs, our server decodes back to the same bytes, and any message the
//    client sends ends exactly at the client's own terminator.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chunking.hpp"
#include "fuzz_check.hpp"
#include "smtp/client_protocol.hpp"
#include "smtp/data_decoder.hpp"

namespace {

using tern::fuzz::split_at_fuzzed_points;
using tern::fuzz::visible;
using tern::smtp::BareNewlinePolicy;
using tern::smtp::DataDecoder;

struct Decoded {
  std::string out;
  std::size_t consumed = 0;
  bool finished = false;
  bool too_big = false;
  bool saw_bare_newline = false;
  bool saw_8bit = false;
  std::uint64_t size = 0;

  bool operator==(const Decoded&) const = default;
};

std::string describe(const Decoded& decoded) {
  return "out=" + visible(decoded.out) + " consumed=" + std::to_string(decoded.consumed) +
         " finished=" + std::to_string(decoded.finished) +
         " too_big=" + std::to_string(decoded.too_big) +
         " bare=" + std::to_string(decoded.saw_bare_newline) +
         " 8bit=" + std::to_string(decoded.saw_8bit) + " size=" + std::to_string(decoded.size);
}

// As the session does: feed what arrived until the decoder says the data ended.
Decoded decode(const std::vector<std::string_view>& chunks, BareNewlinePolicy policy,
               std::uint64_t limit) {
  DataDecoder decoder(policy, limit);
  Decoded result;
  for (std::string_view chunk : chunks) {
    std::size_t used = decoder.feed(chunk, result.out);
    FUZZ_CHECK(used <= chunk.size(), "consumed more than it was given");
    FUZZ_CHECK(decoder.finished() || used == chunk.size(), "stopped early without an end");
    result.consumed += used;
    if (decoder.finished()) break;
  }
  result.finished = decoder.finished();
  result.too_big = decoder.too_big();
  result.saw_bare_newline = decoder.saw_bare_newline();
  result.saw_8bit = decoder.saw_8bit();
  result.size = decoder.size();
  return result;
}

// Every line ending a CRLF: a lone CR or LF becomes CRLF. What a well-behaved client sends.
std::string with_crlf_only(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') {
      out += "\r\n";
      ++i;
    } else if (c == '\r' || c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string dot_stuff(const std::vector<std::string_view>& chunks) {
  tern::smtp::DotStuffer stuffer;
  std::string out;
  for (std::string_view chunk : chunks) stuffer.encode(chunk, out);
  stuffer.finish(out);
  return out;
}

void check_framing(std::string_view stream, const Decoded& decoded) {
  // The session has just read "DATA" CRLF, so the stream starts at the beginning of a line.
  std::string with_previous_crlf = "\r\n" + std::string(stream);
  std::size_t terminator = with_previous_crlf.find("\r\n.\r\n");
  if (terminator == std::string::npos) {
    FUZZ_CHECK(!decoded.finished, "ended where the stream has no CRLF.CRLF: " + visible(stream));
    FUZZ_CHECK(decoded.consumed == stream.size(), "left bytes unread without an end");
  } else {
    FUZZ_CHECK(decoded.finished, "missed the end of data in " + visible(stream));
    std::size_t end = terminator + 5 - 2;  // past ".\r\n", counted in the stream
    FUZZ_CHECK(decoded.consumed == end, "ended at " + std::to_string(decoded.consumed) +
                                            " instead of " + std::to_string(end) + " in " +
                                            visible(stream));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  auto policy = provider.ConsumeBool() ? BareNewlinePolicy::Reject : BareNewlinePolicy::Normalize;
  // Mostly no effective limit; sometimes one small enough to cut the message.
  std::uint64_t limit =
      provider.ConsumeBool() ? provider.ConsumeIntegralInRange<std::uint64_t>(0, 64) : 10240000;
  std::string stream =
      provider.ConsumeBytesAsString(provider.ConsumeIntegralInRange<std::size_t>(0, size));

  Decoded whole = decode({stream}, policy, limit);
  Decoded pieces = decode(split_at_fuzzed_points(stream, provider), policy, limit);
  FUZZ_CHECK(whole == pieces, "whole: " + describe(whole) + "\nsplit: " + describe(pieces));
  check_framing(stream, whole);
  FUZZ_CHECK(whole.out.size() == std::min<std::uint64_t>(whole.size, limit),
             "kept " + std::to_string(whole.out.size()) + " of " + std::to_string(whole.size) +
                 " with limit " + std::to_string(limit));

  // Round trip through our own client: CRLF-only content comes back as sent (with the CRLF the
  // stuffer adds to an unterminated last line).
  std::string body = with_crlf_only(stream);
  std::string stuffed = dot_stuff(split_at_fuzzed_points(body, provider));
  Decoded back = decode(split_at_fuzzed_points(stuffed, provider), policy, 10240000);
  std::string expected = body.empty() || body.ends_with("\r\n") ? body : body + "\r\n";
  FUZZ_CHECK(back.finished && back.consumed == stuffed.size() && back.out == expected,
             "sent " + visible(body) + " as " + visible(stuffed) + ", got " + describe(back));
  FUZZ_CHECK(!back.saw_bare_newline, "bare newline in CRLF-only content " + visible(body));

  // Any bytes at all, bare CR and LF included: the client's terminator is the only end.
  std::string raw_stuffed = dot_stuff(split_at_fuzzed_points(stream, provider));
  Decoded raw_back = decode({raw_stuffed}, BareNewlinePolicy::Normalize, 10240000);
  FUZZ_CHECK(raw_back.finished && raw_back.consumed == raw_stuffed.size(),
             "client data " + visible(raw_stuffed) + " ended early: " + describe(raw_back));
  return 0;
}
