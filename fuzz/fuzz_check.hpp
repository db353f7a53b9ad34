// Property checks for the fuzz targets: a broken property prints what was expected and aborts,
// which libFuzzer reports as a crash and saves the input for. Always on (unlike assert, which
// NDEBUG would silence), so a target finds logic errors as well as memory errors.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace tern::fuzz {

// Non-printable bytes as \xNN, so a report shows exactly which byte differs.
inline std::string visible(std::string_view text, std::size_t limit = 300) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7F && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", byte);
      out += escaped;
    }
  }
  if (text.size() > limit) out += "...";
  return out;
}

[[noreturn]] inline void property_failed(const char* condition, const char* file, int line,
                                         const std::string& detail) {
  std::fprintf(stderr, "\n%s:%d: property failed: %s\n%s\n", file, line, condition, detail.c_str());
  std::abort();
}

}  // namespace tern::fuzz

// FUZZ_CHECK(condition, detail): `detail` is any expression yielding std::string (built only on
// failure).
#define FUZZ_CHECK(condition, detail)                                          \
  do {                                                                         \
    if (!(condition)) {                                                        \
      ::tern::fuzz::property_failed(#condition, __FILE__, __LINE__, (detail)); \
    }                                                                          \
  } while (false)
