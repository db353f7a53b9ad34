// DATA framing (RFC 5321 §4.1.1.4, §4.5.2): finds the end-of-data marker CRLF "." CRLF and undoes
// dot-stuffing, as a byte state machine fed arbitrary chunks. Smuggling-safe by construction: only
// a "." line ended by CRLF and preceded by a CRLF ends the data; bare LF and bare CR never do (SMTP
// smuggling, 2023). Bare LF line endings are normalized to CRLF (Postfix smtpd_forbid_bare_newline
// = normalize) or recorded so the message can be rejected (= reject). Bytes past the size limit are
// counted but not stored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::smtp {

enum class BareNewlinePolicy { Normalize, Reject };

class DataDecoder {
 public:
  // Framing is the same under either policy: a bare LF is always normalized and recorded
  // (saw_bare_newline), and the caller refuses the message at its end under Reject.
  DataDecoder(BareNewlinePolicy policy, std::uint64_t size_limit);

  // Decodes bytes from `input`, appending message bytes to `out`. Returns how many input bytes were
  // consumed: all of them, or fewer when end-of-data was reached (the rest belongs to the next
  // command).
  std::size_t feed(std::string_view input, std::string& out);

  bool finished() const { return finished_; }
  bool too_big() const { return size_ > size_limit_; }
  bool saw_bare_newline() const { return saw_bare_newline_; }
  bool saw_8bit() const { return saw_8bit_; }
  std::uint64_t size() const { return size_; }  // decoded message size, including discarded bytes

 private:
  void append(std::string& out, const char* bytes, std::size_t count);
  void bare_newline(std::string& out);

  enum class State { LineStart, Dot, DotCr, Middle, Cr, AfterBareLf };
  std::uint64_t size_limit_;
  State state_ = State::LineStart;
  bool finished_ = false;
  bool saw_bare_newline_ = false;
  bool saw_8bit_ = false;
  std::uint64_t size_ = 0;
};

}  // namespace tern::smtp
