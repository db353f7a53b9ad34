// Remote reply parser: one pass over the lines, checking the RFC 5321 §4.2.1 framing ("ddd-" on
// every line but the last, "ddd " or "ddd" on the last, the same code throughout) and taking the
// enhanced status from the last line that has one whose class matches the code (Postfix's
// smtp_chat ignores an out-of-class status the same way). Text is masked like Postfix's
// printable(): controls and non-ASCII become '?', so it is safe in logs and DSN fields.
#include "smtp/remote_reply.hpp"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "base/strings.hpp"

namespace tern::smtp {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The start of a line, for error messages about it.
std::string excerpt(std::string_view line) {
  constexpr std::size_t kShown = 40;
  return printable_ascii(line.substr(0, kShown)) + (line.size() > kShown ? "..." : "");
}

// RFC 3463 §2: class "." subject "." detail, subject and detail 1*3digit. Returns its length at the
// start of `text` when it is followed by a space or the end of the line.
std::size_t status_length(std::string_view text) {
  if (text.empty() || (text[0] != '2' && text[0] != '4' && text[0] != '5')) return 0;
  std::size_t pos = 1;
  for (int group = 0; group < 2; ++group) {
    if (pos >= text.size() || text[pos] != '.') return 0;
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && is_digit(text[pos]) && digits < 4) {
      ++pos;
      ++digits;
    }
    if (digits == 0 || digits > 3) return 0;
  }
  return pos == text.size() || text[pos] == ' ' ? pos : 0;
}

// Appends `piece` after a space, keeping at most kMaxText octets.
void append_bounded(std::string& out, std::string_view piece) {
  if (piece.empty()) return;
  std::size_t separator = out.empty() ? 0 : 1;
  if (out.size() + separator >= RemoteReply::kMaxText) return;
  if (separator != 0) out += ' ';
  out.append(piece.substr(0, RemoteReply::kMaxText - out.size()));
}

RemoteReply malformed(std::string error, std::string_view raw) {
  RemoteReply reply;
  reply.status = "4.5.0";  // RFC 3463 X.5.0: other or undefined protocol status
  reply.error = std::move(error);
  for (std::string_view line : split_reply_lines(raw))
    append_bounded(reply.diagnostic, printable_ascii(line));
  return reply;
}

}  // namespace

std::string RemoteReply::diagnostic_code() const {
  return "smtp; " + diagnostic;
}

RemoteReply parse_remote_reply(std::string_view raw) {
  std::vector<std::string_view> lines = split_reply_lines(raw);
  if (lines.empty()) return malformed("empty reply", raw);

  int code = 0;
  std::optional<std::string_view> status;
  std::string text;
  std::string diagnostic;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    std::size_t number = i + 1;
    bool last = number == lines.size();
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
        (line.size() > 3 && is_digit(line[3]))) {
      return malformed(
          fmt::format("line {}: no three-digit reply code: \"{}\"", number, excerpt(line)), raw);
    }
    // RFC 5321 §4.2: servers MUST NOT send first digits other than 2-5; clients treat them as
    // errors. The second and third digits are taken as sent.
    if (line[0] < '2' || line[0] > '5') {
      return malformed(
          fmt::format("line {}: reply code {} is outside 2xx-5xx", number, line.substr(0, 3)), raw);
    }
    int line_code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (i == 0) {
      code = line_code;
    } else if (line_code != code) {
      return malformed(fmt::format("line {}: reply code {} differs from {} on the first line",
                                   number, line_code, code),
                       raw);
    }
    bool final_line = line.size() == 3 || line[3] == ' ';
    if (!final_line && line[3] != '-') {
      return malformed(fmt::format("line {}: reply code followed by \"{}\", not a space or '-'",
                                   number, excerpt(line.substr(3, 1))),
                       raw);
    }
    if (final_line && !last) {
      return malformed(fmt::format("line {} ends the reply but {} more line(s) follow", number,
                                   lines.size() - number),
                       raw);
    }
    if (!final_line && last) {
      return malformed(fmt::format("the reply ends with continuation line {}", number), raw);
    }

    std::string_view line_text = line.size() > 4 ? line.substr(4) : std::string_view();
    // Postfix skips any spaces between the separator and the status.
    std::size_t spaces = line_text.find_first_not_of(' ');
    std::string_view after_spaces =
        spaces == std::string_view::npos ? std::string_view() : line_text.substr(spaces);
    std::size_t length = status_length(after_spaces);
    // RFC 3463 has no class 3, and a status out of step with the code is not believed.
    if (length != 0 && line[0] != '3' && after_spaces[0] == line[0]) {
      status = after_spaces.substr(0, length);
      line_text = after_spaces.substr(length);
      std::size_t rest = line_text.find_first_not_of(' ');
      line_text = rest == std::string_view::npos ? std::string_view() : line_text.substr(rest);
    }
    // Past the bound only the framing is still checked.
    if (text.size() < RemoteReply::kMaxText) append_bounded(text, printable_ascii(line_text));
    if (diagnostic.size() < RemoteReply::kMaxText)
      append_bounded(diagnostic, printable_ascii(line));
  }

  RemoteReply reply;
  reply.code = code;
  if (status) {
    reply.status = std::string(*status);
    reply.status_from_server = true;
  } else if (code / 100 != 3) {
    reply.status = fmt::format("{}.0.0", code / 100);
  }
  reply.text = std::move(text);
  reply.diagnostic = std::move(diagnostic);
  return reply;
}

std::vector<std::string_view> split_reply_lines(std::string_view raw) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < raw.size()) {
    std::size_t newline = raw.find('\n', start);
    std::size_t end = newline == std::string_view::npos ? raw.size() : newline;
    std::string_view line = raw.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

}  // namespace tern::smtp
