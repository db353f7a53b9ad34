// DataDecoder: unstuffing, exact end, smuggling forms, chunking invariance (fuzzed), size limit.
#include "smtp/data_decoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace tern::smtp {
namespace {

using namespace std::string_literals;

constexpr std::uint64_t kNoLimit = UINT64_MAX;

struct Decoded {
  std::string out;
  std::size_t consumed = 0;
  bool finished = false;
  bool too_big = false;
  bool bare_newline = false;
  bool eight_bit = false;
  std::uint64_t size = 0;

  bool operator==(const Decoded&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Decoded& d) {
  std::string shown;
  for (char c : d.out) {
    if (c == '\r') {
      shown += "\\r";
    } else if (c == '\n') {
      shown += "\\n";
    } else if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) {
      shown += "\\x" + std::to_string(static_cast<unsigned char>(c));
    } else {
      shown += c;
    }
  }
  return os << "{out=\"" << shown << "\" consumed=" << d.consumed << " finished=" << d.finished
            << " too_big=" << d.too_big << " bare_lf=" << d.bare_newline << " 8bit=" << d.eight_bit
            << " size=" << d.size << "}";
}

// Feeds `input` in chunks ending at the given offsets (ascending; the input's end is implied),
// stopping at end-of-data as a session would.
Decoded decode_chunks(std::string_view input, const std::vector<std::size_t>& cuts,
                      std::uint64_t limit = kNoLimit,
                      BareNewlinePolicy policy = BareNewlinePolicy::Normalize) {
  DataDecoder decoder(policy, limit);
  Decoded d;
  std::size_t start = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(input.size());
  for (std::size_t end : ends) {
    if (end < start) continue;
    std::string_view chunk = input.substr(start, end - start);
    std::size_t used = decoder.feed(chunk, d.out);
    EXPECT_LE(used, chunk.size());
    d.consumed += used;
    if (decoder.finished()) break;
    EXPECT_EQ(used, chunk.size()) << "an unfinished decoder must consume everything";
    start = end;
  }
  d.finished = decoder.finished();
  d.too_big = decoder.too_big();
  d.bare_newline = decoder.saw_bare_newline();
  d.eight_bit = decoder.saw_8bit();
  d.size = decoder.size();
  return d;
}

Decoded decode(std::string_view input, std::uint64_t limit = kNoLimit,
               BareNewlinePolicy policy = BareNewlinePolicy::Normalize) {
  return decode_chunks(input, {}, limit, policy);
}

Decoded decode_byte_by_byte(std::string_view input, std::uint64_t limit = kNoLimit) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
  return decode_chunks(input, cuts, limit);
}

// Every split into two chunks, and byte by byte, must equal feeding the input whole.
void expect_chunking_invariant(std::string_view input, std::uint64_t limit = kNoLimit) {
  Decoded whole = decode(input, limit);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    ASSERT_EQ(decode_chunks(input, {cut}, limit), whole) << "split at " << cut;
  }
  for (std::size_t a = 0; a <= input.size() && input.size() <= 40; ++a) {
    for (std::size_t b = a; b <= input.size(); ++b) {
      ASSERT_EQ(decode_chunks(input, {a, b}, limit), whole) << "split at " << a << "," << b;
    }
  }
  ASSERT_EQ(decode_byte_by_byte(input, limit), whole) << "byte by byte";
}

TEST(DataDecoderTest, PlainMessage) {
  const std::string input = "Subject: hi\r\n\r\nbody line\r\n.\r\n";
  Decoded d = decode(input);
  EXPECT_TRUE(d.finished);
  EXPECT_EQ(d.consumed, input.size());
  EXPECT_EQ(d.out, "Subject: hi\r\n\r\nbody line\r\n");
  EXPECT_EQ(d.size, d.out.size());
  EXPECT_FALSE(d.too_big);
  EXPECT_FALSE(d.bare_newline);
  EXPECT_FALSE(d.eight_bit);
}

TEST(DataDecoderTest, EmptyMessageEndsImmediately) {
  Decoded d = decode(".\r\n");
  EXPECT_TRUE(d.finished);
  EXPECT_EQ(d.consumed, 3u);
  EXPECT_EQ(d.out, "");
  EXPECT_EQ(d.size, 0u);
  expect_chunking_invariant(".\r\nQUIT\r\n");
  EXPECT_EQ(decode(".\r\nQUIT\r\n").consumed, 3u);
}

TEST(DataDecoderTest, DotUnstuffing) {
  struct Case {
    std::string input, out;
  };
  const Case cases[] = {
      {"..\r\n.\r\n", ".\r\n"},
      {"..leading\r\n.\r\n", ".leading\r\n"},
      {"...two\r\n.\r\n", "..two\r\n"},
      {"a\r\n..b\r\n.\r\n", "a\r\n.b\r\n"},
      {"a.b\r\n.\r\n", "a.b\r\n"},          // only a line-leading dot is special
      {"a\r\n .\r\n.\r\n", "a\r\n .\r\n"},  // not at the start of the line
      {"x.\r\n.\r\n", "x.\r\n"},
      {".\rX\r\n.\r\n", "\rX\r\n"},  // ".<CR>X": a dot then more characters
      {"..\r\n..\r\n.\r\n", ".\r\n.\r\n"},
  };
  for (const Case& c : cases) {
    Decoded d = decode(c.input);
    EXPECT_TRUE(d.finished) << c.input;
    EXPECT_EQ(d.consumed, c.input.size()) << c.input;
    EXPECT_EQ(d.out, c.out) << d;
    expect_chunking_invariant(c.input);
  }
}

TEST(DataDecoderTest, EndStopsConsumptionExactly) {
  const std::string message = "line 1\r\n..line 2\r\n.\r\n";
  const std::string rest = "MAIL FROM:<a@b>\r\n.\r\nRCPT TO:<c@d>\r\n";
  const std::string input = message + rest;
  Decoded d = decode(input);
  EXPECT_TRUE(d.finished);
  EXPECT_EQ(d.consumed, message.size());
  EXPECT_EQ(input.substr(d.consumed), rest);
  EXPECT_EQ(d.out, "line 1\r\n.line 2\r\n");
  expect_chunking_invariant(input);

  // Once finished, further input is left alone.
  DataDecoder decoder(BareNewlinePolicy::Normalize, kNoLimit);
  std::string out;
  EXPECT_EQ(decoder.feed(input, out), message.size());
  EXPECT_EQ(decoder.feed(rest, out), 0u);
  EXPECT_EQ(out, "line 1\r\n.line 2\r\n");
}

TEST(DataDecoderTest, UnfinishedInputIsConsumedWhole) {
  for (std::string input :
       {"abc"s, "abc\r\n"s, "abc\r\n."s, "abc\r\n.\r"s, "abc\r"s, ""s, "."s, ".\r"s}) {
    Decoded d = decode(input);
    EXPECT_FALSE(d.finished) << input;
    EXPECT_EQ(d.consumed, input.size()) << input;
  }
}

struct Smuggling {
  const char* name;
  std::string form;
  std::string stored;
  bool bare_lf;
};

const Smuggling kSmuggling[] = {
    {"LF.LF", "\n.\n", "\r\n.\r\n", true},     {"LF.CRLF", "\n.\r\n", "\r\n.\r\n", true},
    {"CRLF.LF", "\r\n.\n", "\r\n.\r\n", true}, {"CR.CRLF", "\r.\r\n", "\r.\r\n", false},
    {"CR.LF", "\r.\n", "\r.\r\n", true},
};

TEST(DataDecoderTest, SmugglingFormsDoNotEndData) {
  const std::string smuggled = "MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.org>\r\n";
  for (const Smuggling& s : kSmuggling) {
    SCOPED_TRACE(s.name);
    const std::string input = "Hello" + s.form + smuggled + ".\r\n";
    Decoded d = decode(input);
    EXPECT_TRUE(d.finished) << "the real CRLF.CRLF must still end the data";
    EXPECT_EQ(d.consumed, input.size()) << d;
    EXPECT_EQ(d.out, "Hello" + s.stored + smuggled) << d;
    EXPECT_EQ(d.bare_newline, s.bare_lf);
    expect_chunking_invariant(input);

    // Without the real end, the form alone never finishes the data.
    const std::string alone = "Hello" + s.form;
    Decoded partial = decode(alone);
    EXPECT_FALSE(partial.finished);
    EXPECT_EQ(partial.consumed, alone.size());
    expect_chunking_invariant(alone + "QUIT\r\n");
    EXPECT_FALSE(decode(alone + "QUIT\r\n").finished);
  }
}

TEST(DataDecoderTest, SmugglingFormsAtTheStartOfData) {
  // Right after DATA the decoder is at a line start; a bare LF there is no end either.
  for (std::string input : {"\n.\n"s, "\n.\r\n"s, "\r.\r\n"s, "\r.\n"s, ".\n"s}) {
    Decoded d = decode(input + "X\r\n");
    EXPECT_FALSE(d.finished) << d;
  }
  Decoded d = decode(".\nX\r\n.\r\n");
  EXPECT_TRUE(d.finished);
  EXPECT_EQ(d.out, ".\r\nX\r\n");
  EXPECT_TRUE(d.bare_newline);
}

TEST(DataDecoderTest, RejectPolicyFramesTheSameAndRecordsBareLf) {
  for (const Smuggling& s : kSmuggling) {
    SCOPED_TRACE(s.name);
    const std::string input = "a" + s.form + "b\r\n.\r\nNEXT";
    Decoded normalize = decode(input, kNoLimit, BareNewlinePolicy::Normalize);
    Decoded reject = decode(input, kNoLimit, BareNewlinePolicy::Reject);
    EXPECT_TRUE(reject.finished);
    EXPECT_EQ(reject.consumed, input.size() - 4);
    EXPECT_EQ(reject.bare_newline, s.bare_lf);
    EXPECT_EQ(reject.consumed, normalize.consumed);
  }
}

TEST(DataDecoderTest, BareLfIsNormalizedAndRecorded) {
  Decoded d = decode("a\nb\n\nc\r\n.\r\n");
  EXPECT_TRUE(d.finished);
  EXPECT_EQ(d.out, "a\r\nb\r\n\r\nc\r\n");
  EXPECT_TRUE(d.bare_newline);
  EXPECT_FALSE(decode("a\r\nb\r\n.\r\n").bare_newline);
}

TEST(DataDecoderTest, BareCrIsData) {
  struct Case {
    std::string input, out;
  };
  const Case cases[] = {
      {"a\rb\r\n.\r\n", "a\rb\r\n"},
      {"a\r\r\n.\r\n", "a\r\r\n"},
      {"\r\r\r\n.\r\n", "\r\r\r\n"},
      {"a\r\n.\r\r\n.\r\n", "a\r\n\r\r\n"},  // ".<CR><CR><LF>": the dot is stuffing, CR is data
  };
  for (const Case& c : cases) {
    Decoded d = decode(c.input);
    EXPECT_TRUE(d.finished) << c.input;
    EXPECT_EQ(d.out, c.out) << d;
    EXPECT_FALSE(d.bare_newline);
    expect_chunking_invariant(c.input);
  }
}

TEST(DataDecoderTest, NulBytesPassThrough) {
  const std::string input = "a\0b\r\n\0\r\n.\0\r\n.\r\n"s;
  Decoded d = decode(input);
  EXPECT_TRUE(d.finished);
  EXPECT_EQ(d.consumed, input.size());
  EXPECT_EQ(d.out, "a\0b\r\n\0\r\n\0\r\n"s);
  expect_chunking_invariant(input);
}

TEST(DataDecoderTest, Saw8bit) {
  EXPECT_FALSE(decode("plain ascii \x7f\r\n.\r\n").eight_bit);
  EXPECT_TRUE(decode("caf\xc3\xa9\r\n.\r\n").eight_bit);
  EXPECT_TRUE(decode("\xff\r\n.\r\n").eight_bit);                // at a line start
  EXPECT_TRUE(decode("a\r\n.\xe2\x82\xac\r\n.\r\n").eight_bit);  // after a stuffed dot
  Decoded d = decode("x\r\n.\r\n\xff");  // after the end: not part of the message
  EXPECT_FALSE(d.eight_bit);
  EXPECT_EQ(d.consumed, 6u);
  expect_chunking_invariant("caf\xc3\xa9\r\n.\r\n");
}

TEST(DataDecoderTest, SizeLimit) {
  const std::string input = "0123456789ABCDEF\r\n..more\r\n.\r\nNEXT";
  Decoded d = decode(input, /*limit=*/10);
  EXPECT_TRUE(d.finished) << "the real end is found past the limit";
  EXPECT_EQ(d.consumed, input.size() - 4);
  EXPECT_TRUE(d.too_big);
  EXPECT_EQ(d.size, 25u);  // "0123456789ABCDEF\r\n" + ".more\r\n"
  EXPECT_EQ(d.out, "0123456789") << "only bytes within the limit are stored";
  expect_chunking_invariant(input, 10);
  expect_chunking_invariant(input, 0);
  expect_chunking_invariant(input, 17);

  // Exactly at the limit is not too big.
  Decoded exact = decode("12345678\r\n.\r\n", 10);
  EXPECT_FALSE(exact.too_big);
  EXPECT_EQ(exact.out, "12345678\r\n");
  Decoded over = decode("123456789\r\n.\r\n", 10);
  EXPECT_TRUE(over.too_big);
  EXPECT_EQ(over.size, 11u);
  EXPECT_EQ(over.out, "123456789\r");

  Decoded none = decode("x\r\n.\r\n", 0);
  EXPECT_TRUE(none.too_big);
  EXPECT_EQ(none.out, "");
  EXPECT_FALSE(decode(".\r\n", 0).too_big);
}

TEST(DataDecoderTest, TrickyInputsAreChunkingInvariant) {
  const std::string inputs[] = {
      "a\r\n.\r\n",
      "\r\n.\r\n",
      "\r\n\r\n.\r\n",
      "..\r\n.\r.\n.\r\r\n.\n\n.\r\n",
      "\r\r\n\r.\r\n\n\n.\r\n",
      "x\n.\r\n.\r\n.\r\nrest",
      ".\r\r\r\n.\r\n",
      "\n..\r\n.\r\n",
  };
  for (const std::string& input : inputs) {
    SCOPED_TRACE(input);
    expect_chunking_invariant(input);
    expect_chunking_invariant(input, 3);
  }
}

// The first CRLF "." CRLF in the input whose CRLF is real, or npos: the end the decoder must find.
std::size_t reference_end(std::string_view input) {
  for (std::size_t p = 0; p + 3 <= input.size(); ++p) {
    if (input.substr(p, 3) != ".\r\n") continue;
    if (p == 0 || (p >= 2 && input.substr(p - 2, 2) == "\r\n")) return p + 3;
  }
  return std::string_view::npos;
}

TEST(DataDecoderTest, FuzzRandomChunkingMatchesWholeAndReference) {
  std::mt19937 random(0x7e27);
  const char alphabet[] = {'\r', '\n', '.', 'a', '\0', '\xff', ' '};
  const int weights[] = {5, 4, 5, 4, 1, 1, 1};
  std::discrete_distribution<int> pick(std::begin(weights), std::end(weights));
  std::uniform_int_distribution<int> length(0, 48);
  std::uniform_int_distribution<int> coin(0, 3);
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::string input;
    for (int n = length(random); n > 0; --n) input += alphabet[pick(random)];
    if (coin(random) != 0) input += "\r\n.\r\n";
    std::uint64_t limit =
        coin(random) == 0 ? std::uniform_int_distribution<int>(0, 20)(random) : kNoLimit;

    Decoded whole = decode(input, limit);
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i) {
      if (coin(random) == 0) cuts.push_back(i);
    }
    Decoded chunked = decode_chunks(input, cuts, limit);
    ASSERT_EQ(chunked, whole) << "iteration " << iteration;
    ASSERT_EQ(decode_byte_by_byte(input, limit), whole) << "iteration " << iteration;

    std::size_t end = reference_end(input);
    ASSERT_EQ(whole.finished, end != std::string_view::npos) << "iteration " << iteration;
    ASSERT_EQ(whole.consumed, whole.finished ? end : input.size()) << "iteration " << iteration;
    // Stored bytes: the first min(size, limit) decoded bytes, with no bare LF among them.
    ASSERT_EQ(whole.out.size(), std::min<std::uint64_t>(whole.size, limit));
    ASSERT_EQ(whole.too_big, whole.size > limit);
    for (std::size_t i = 0; i < whole.out.size(); ++i) {
      if (whole.out[i] == '\n') {
        ASSERT_TRUE(i > 0 && whole.out[i - 1] == '\r') << whole;
      }
    }
    if (whole.finished && limit == kNoLimit && end > 3) {
      // The stored message ends with the CRLF that preceded the final dot.
      ASSERT_GE(whole.out.size(), 2u);
      ASSERT_EQ(whole.out.substr(whole.out.size() - 2), "\r\n");
    }
  }
}

}  // namespace
}  // namespace tern::smtp
