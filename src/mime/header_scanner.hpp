// Finds where a message's header section ends (RFC 5322 §2.1, §2.2.3) and which watched fields it
// has, in a message that arrives in pieces of any size, so a submission server can add the
// Message-ID: and Date: fields a client left out (what Postfix's cleanup does) while streaming.
// Guarantees: the result is the same for every way of splitting the message; the scanner keeps no
// message bytes, and the caller never has to keep more than kMaxUndecided of them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {

// Where the missing fields go, as an offset into the bytes of the feed()/finish() call that found
// the end, and what must surround them there.
struct HeaderEnd {
  enum class Kind {
    EmptyLine,     // at the empty line that separates header and body
    NotAField,     // at a line that is not a header field: the body starts there, unseparated
    EndOfMessage,  // the message ended inside (or before) its header section
  };
  std::size_t offset = 0;
  Kind kind = Kind::EmptyLine;
  // EndOfMessage only: what ends the message's unterminated last line ("\r\n", or "\n" after a
  // trailing CR); empty when the message is empty or already ends with a line ending.
  std::string_view line_end;

  bool operator==(const HeaderEnd&) const = default;
};

// The bytes to write at `end.offset`: `fields` (each ending in CRLF), completed so the header stays
// well formed. After a line that is not a field an empty line follows the fields, as Postfix's
// cleanup inserts one (mime_state: "force output of one blank line").
std::string header_insertion(const HeaderEnd& end, std::string_view fields);

// Protocol: keep a buffer of bytes not yet written. Append each piece to it, call feed(buffer),
// write buffer[0, consumed) with header_insertion(...) placed at header_end->offset when it is set,
// and erase those bytes from the buffer. At the end of the message call finish(buffer) instead of
// feed: it consumes everything and reports the end if it was not seen yet. Until the header ends,
// feed() leaves the start of an undecided line unconsumed (at most kMaxUndecided bytes); from then
// on it consumes every byte without looking at it.
class HeaderScanner {
 public:
  // A field name longer than a line may be (RFC 5322 §2.1.1: 998 characters) cannot be one: such a
  // line is taken as not a field, which bounds what the caller keeps.
  static constexpr std::size_t kMaxUndecided = 998;

  struct Step {
    std::size_t consumed = 0;
    std::optional<HeaderEnd> header_end;  // set by the one call that finds the end
  };

  // `watched_names`: the field names has_field() can answer for, in any case ("Message-ID").
  explicit HeaderScanner(std::vector<std::string> watched_names);

  // `bytes` starts with what the previous call left unconsumed, followed by new bytes.
  Step feed(std::string_view bytes);
  // Like feed() for the message's last bytes: consumes all of them.
  Step finish(std::string_view bytes);

  bool header_ended() const { return state_ == State::Body; }
  // Whether the header section has a field of this watched name (false for unwatched names).
  // Final once header_ended().
  bool has_field(std::string_view name) const;

 private:
  enum class State { LineStart, InField, Body };
  enum class Line { Undecided, Field, Continuation, Empty, NotAField };

  Line classify(std::string_view line);
  void note_field(std::string_view name);

  struct Watched {
    std::string name;  // lowercase
    bool seen = false;
  };
  std::vector<Watched> watched_;
  State state_ = State::LineStart;
  bool seen_field_ = false;  // a field began in this header, so a line starting with WSP folds it
  // While a line's start is undecided: how many of its bytes were examined, and where its name
  // ended when whitespace followed the name (RFC 5322 §4.5.3 obsolete "name WSP :"), else 0.
  std::size_t examined_ = 0;
  std::size_t name_length_ = 0;
  std::size_t field_name_length_ = 0;  // set by classify() for Line::Field
  bool ends_with_cr_ = false;          // the last consumed byte was CR (inside a field line)
};

}  // namespace tern::mime
