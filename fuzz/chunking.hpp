// Splitting a byte stream where the fuzzer chooses, for the parsers that are fed pieces as they
// arrive from a socket (DATA decoder, header scanner, dot-stuffer): every chunk boundary, including
// empty chunks and one byte at a time, must give the same result as the whole stream at once.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace tern::fuzz {

// Chunks of `bytes` in order; their concatenation is `bytes`. Sizes come from `provider` (mostly
// small, sometimes large); once the provider is exhausted the rest is one chunk.
inline std::vector<std::string_view> split_at_fuzzed_points(std::string_view bytes,
                                                            FuzzedDataProvider& provider) {
  std::vector<std::string_view> chunks;
  while (!bytes.empty()) {
    std::size_t size = bytes.size();
    if (provider.remaining_bytes() > 0) {
      size = provider.ConsumeBool() ? provider.ConsumeIntegralInRange<std::size_t>(0, 8)
                                    : provider.ConsumeIntegralInRange<std::size_t>(0, bytes.size());
    }
    size = std::min(size, bytes.size());
    chunks.push_back(bytes.substr(0, size));
    bytes.remove_prefix(size);
  }
  return chunks;
}

}  // namespace tern::fuzz
