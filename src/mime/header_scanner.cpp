// Header section scanner: a line state machine over pieces (RFC 5322 §2.2: "name:" lines, folded
// continuation lines, an empty line before the body). A line's kind is decided from its first bytes
// only; until they decide it the line's start stays unconsumed, so the caller can still put the
// missing fields before it.
#include "mime/header_scanner.hpp"

namespace tern::mime {
namespace {

// RFC 5322 §3.6.8 ftext: printable US-ASCII except ':'. Postfix's is_header() accepts the same.
bool is_name_char(char c) {
  return c >= 0x21 && c <= 0x7E && c != ':';
}

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string header_insertion(const HeaderEnd& end, std::string_view fields) {
  std::string text(end.line_end);
  text += fields;
  if (end.kind == HeaderEnd::Kind::NotAField) text += "\r\n";
  return text;
}

HeaderScanner::HeaderScanner(std::vector<std::string> watched_names) {
  for (std::string& name : watched_names) {
    for (char& c : name) c = lower(c);
    watched_.push_back({std::move(name), false});
  }
}

bool HeaderScanner::has_field(std::string_view name) const {
  for (const Watched& watched : watched_) {
    if (equal_ignoring_case(watched.name, name)) return watched.seen;
  }
  return false;
}

void HeaderScanner::note_field(std::string_view name) {
  for (Watched& watched : watched_) {
    if (equal_ignoring_case(watched.name, name)) watched.seen = true;
  }
}

// Decides what the line starting at line[0] is, resuming after the bytes earlier calls examined.
// Like Postfix's mime_state, whatever is neither a field, nor a continuation of one, nor the empty
// line ends the header section: an mbox "From " line, a body that starts without the empty line,
// garbage. A line that starts with WSP before any field is such a line (there is nothing to fold).
HeaderScanner::Line HeaderScanner::classify(std::string_view line) {
  if (examined_ == 0) {
    if (line.empty()) return Line::Undecided;
    char first = line[0];
    if (first == '\n') return Line::Empty;
    if (first == '\r') {
      // A CR not followed by LF is a control character in the name: not a field either.
      if (line.size() < 2) return Line::Undecided;
      return line[1] == '\n' ? Line::Empty : Line::NotAField;
    }
    if (is_wsp(first)) return seen_field_ ? Line::Continuation : Line::NotAField;
    if (!is_name_char(first)) return Line::NotAField;
    examined_ = 1;
  }
  for (; examined_ < line.size(); ++examined_) {
    if (examined_ >= kMaxUndecided) return Line::NotAField;
    char c = line[examined_];
    if (c == ':') {
      field_name_length_ = name_length_ != 0 ? name_length_ : examined_;
      return Line::Field;
    }
    if (is_wsp(c)) {
      // RFC 5322 §4.5.3: obsolete syntax allows WSP between the name and the colon.
      if (name_length_ == 0) name_length_ = examined_;
      continue;
    }
    if (name_length_ != 0 || !is_name_char(c)) return Line::NotAField;
  }
  return examined_ >= kMaxUndecided ? Line::NotAField : Line::Undecided;
}

HeaderScanner::Step HeaderScanner::feed(std::string_view bytes) {
  Step step;
  std::size_t pos = 0;  // start of the current line, or a point inside a field line
  while (state_ != State::Body) {
    if (state_ == State::InField) {
      std::size_t newline = bytes.find('\n', pos);
      if (newline == std::string_view::npos) {
        if (pos < bytes.size()) ends_with_cr_ = bytes.back() == '\r';
        step.consumed = bytes.size();
        return step;
      }
      pos = newline + 1;
      state_ = State::LineStart;
      examined_ = 0;
      name_length_ = 0;
      continue;
    }
    switch (classify(bytes.substr(pos))) {
      case Line::Undecided:
        step.consumed = pos;
        return step;
      case Line::Field:
        note_field(bytes.substr(pos, field_name_length_));
        seen_field_ = true;
        state_ = State::InField;
        break;
      case Line::Continuation:
        state_ = State::InField;
        break;
      case Line::Empty:
        step.header_end = HeaderEnd{pos, HeaderEnd::Kind::EmptyLine, {}};
        state_ = State::Body;
        break;
      case Line::NotAField:
        step.header_end = HeaderEnd{pos, HeaderEnd::Kind::NotAField, {}};
        state_ = State::Body;
        break;
    }
  }
  step.consumed = bytes.size();
  return step;
}

HeaderScanner::Step HeaderScanner::finish(std::string_view bytes) {
  Step step = feed(bytes);
  if (state_ == State::Body) return step;
  if (state_ == State::InField) {
    // Headers only, and the last line has no line ending: end it before adding fields.
    step.header_end = HeaderEnd{bytes.size(), HeaderEnd::Kind::EndOfMessage,
                                ends_with_cr_ ? std::string_view("\n") : std::string_view("\r\n")};
  } else if (step.consumed == bytes.size()) {
    // Headers only and complete, or an empty message: the fields go at the very end.
    step.header_end = HeaderEnd{bytes.size(), HeaderEnd::Kind::EndOfMessage, {}};
  } else {
    // An unterminated last line that never showed a colon (or a lone CR) is not a field.
    step.header_end = HeaderEnd{step.consumed, HeaderEnd::Kind::NotAField, {}};
  }
  state_ = State::Body;
  step.consumed = bytes.size();
  return step;
}

}  // namespace tern::mime
