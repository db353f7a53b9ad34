#include "mime/header_folding.hpp"

#include <fmt/format.h>

namespace tern::mime {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// True when text[from..] holds something other than white space.
bool has_content_after(std::string_view text, std::size_t from) {
  for (std::size_t i = from; i < text.size(); ++i) {
    if (!is_space(text[i])) return true;
  }
  return false;
}

}  // namespace

std::string fold_header_field(std::string_view name, std::string_view value, std::size_t limit) {
  std::string field = fmt::format("{}: {}", name, value);
  std::string_view rest = field;
  std::string out;
  // The first fold point leaves some of the value on the first line, unless the value's first
  // word only fits on a line of its own ("Name:" CRLF " word").
  std::size_t earliest = name.size() + 2;
  std::size_t first_word = field.find_first_of(" \t", earliest);
  if (first_word == std::string::npos) first_word = field.size();
  if (first_word > limit && first_word - earliest + 1 <= limit) earliest = name.size() + 1;
  while (rest.size() > limit) {
    std::size_t fold = std::string_view::npos;
    for (std::size_t i = earliest; i < rest.size(); ++i) {
      if (!is_space(rest[i]) || is_space(rest[i - 1]) || !has_content_after(rest, i)) continue;
      if (i > limit && fold != std::string_view::npos) break;  // the last fold point that fits
      fold = i;
      if (i > limit) break;  // no point fits: the first one after the limit
    }
    if (fold == std::string_view::npos) break;
    out.append(rest.substr(0, fold)).append("\r\n");
    rest.remove_prefix(fold);
    earliest = 1;  // a continuation line starts with its white space
  }
  out.append(rest).append("\r\n");
  return out;
}

}  // namespace tern::mime
