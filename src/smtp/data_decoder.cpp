// DATA framing as a byte state machine (RFC 5321 §4.1.1.4 end of data, §4.5.2 transparency). Only
// CRLF "." CRLF after a real CRLF ends the data: bare LF or CR never do, which closes SMTP
// smuggling. Runs of ordinary bytes are appended in one piece; the state machine only looks at CR,
// LF and line-leading dots.
#include "smtp/data_decoder.hpp"

#include <algorithm>

namespace tern::smtp {

DataDecoder::DataDecoder(BareNewlinePolicy /*policy: see the header*/, std::uint64_t size_limit)
    : size_limit_(size_limit) {}

// Stores exactly the first size_limit_ decoded bytes, however the input was chunked.
void DataDecoder::append(std::string& out, const char* bytes, std::size_t count) {
  if (size_ < size_limit_) {
    out.append(bytes,
               static_cast<std::size_t>(std::min<std::uint64_t>(count, size_limit_ - size_)));
  }
  size_ += count;
}

// A bare LF ends a line (stored as CRLF) but the next line can never end the data.
void DataDecoder::bare_newline(std::string& out) {
  saw_bare_newline_ = true;
  append(out, "\r\n", 2);
  state_ = State::AfterBareLf;
}

std::size_t DataDecoder::feed(std::string_view input, std::string& out) {
  const char* const begin = input.data();
  const char* p = begin;
  const char* const end = begin + input.size();
  while (p < end && !finished_) {
    char c = *p;
    switch (state_) {
      case State::LineStart:
        ++p;
        if (c == '.') {
          state_ = State::Dot;  // RFC 5321 §4.5.2: the leading dot is removed
        } else {
          --p;
          state_ = State::Middle;
        }
        break;
      case State::Dot:
        if (c == '\r') {
          ++p;
          state_ = State::DotCr;
        } else if (c == '\n') {
          ++p;
          append(out, ".", 1);  // "." ended by a bare LF ends nothing: the dot is data
          bare_newline(out);
        } else {
          state_ = State::Middle;
        }
        break;
      case State::DotCr:
        if (c == '\n') {
          ++p;
          finished_ = true;
        } else {
          append(out, "\r", 1);  // a bare CR after the dot is data
          state_ = c == '\r' ? State::Cr : State::Middle;
          if (c == '\r') ++p;
        }
        break;
      case State::Cr:
        if (c == '\n') {
          ++p;
          append(out, "\r\n", 2);
          state_ = State::LineStart;
        } else {
          append(out, "\r", 1);  // bare CR: data, never a line end
          if (c == '\r') {
            ++p;
          } else {
            state_ = State::Middle;
          }
        }
        break;
      case State::AfterBareLf:
      case State::Middle: {
        const char* run = p;
        while (p < end && *p != '\r' && *p != '\n') {
          if (static_cast<unsigned char>(*p) >= 0x80) saw_8bit_ = true;
          ++p;
        }
        if (p > run) {
          append(out, run, static_cast<std::size_t>(p - run));
          state_ = State::Middle;
        }
        if (p == end) break;
        if (*p == '\r') {
          state_ = State::Cr;
        } else {
          bare_newline(out);
        }
        ++p;
        break;
      }
    }
  }
  return static_cast<std::size_t>(p - begin);
}

}  // namespace tern::smtp
