// The main.cf reader and $name expansion (Postfix postconf(5) "SYNTAX"). Comments start only at the
// beginning of a line, as Postfix has it: a '#' inside a value is part of the value.
#include "config/main_cf.hpp"

#include <fmt/format.h>

#include <map>
#include <utility>

#include "base/strings.hpp"

namespace tern::config {
namespace {

constexpr int kMaxExpansionDepth = 20;
// An expanded value longer than this is an error: "a = $b$b$b$b", "b = $c$c$c$c", ... doubles it
// per level, and twenty levels would ask for more memory than there is.
constexpr std::size_t kMaxExpandedLength = 1 << 20;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Index of the bracket that closes the one at `open_at`, counting nested pairs of the same kind, so
// that "${a?${b}}" closes after the second '}'.
std::size_t matching_close(std::string_view text, std::size_t open_at) {
  char open = text[open_at];
  char close = open == '{' ? '}' : ')';
  int depth = 0;
  for (std::size_t i = open_at; i < text.size(); ++i) {
    if (text[i] == open) ++depth;
    if (text[i] == close && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// Postfix 3.0 lets conditional text be braced: "{text}" stands for "text".
std::string_view unbrace(std::string_view text) {
  if (!text.empty() && text.front() == '{' && matching_close(text, 0) == text.size() - 1) {
    return text.substr(1, text.size() - 2);
  }
  return text;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

Result<MainCfEntry> parse_logical_line(std::string_view text, int line,
                                       std::string_view file_name) {
  std::size_t equals = text.find('=');
  if (equals == std::string_view::npos) {
    return Error{fmt::format("{}:{}: missing '=' after parameter name", file_name, line)};
  }
  std::string_view name = trim(text.substr(0, equals));
  if (name.empty()) return Error{fmt::format("{}:{}: missing parameter name", file_name, line)};
  for (char c : name) {
    if (!is_name_char(c)) {
      return Error{fmt::format("{}:{}: bad parameter name: {}", file_name, line, name)};
    }
  }
  return MainCfEntry{std::string(name), std::string(trim(text.substr(equals + 1))), line};
}

struct Expander {
  const RawLookup& lookup;
  std::vector<std::string> stack;
  // Names already expanded for this value: "a = $b$b", "b = $c$c", ... expands each name once,
  // not 2^depth times.
  std::map<std::string, std::string, std::less<>> expanded_names;

  Result<std::string> expand(std::string_view value) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] != '$' || i + 1 >= value.size()) {
        out += value[i];
        continue;
      }
      char next = value[i + 1];
      if (next == '$') {
        out += '$';
        ++i;
      } else if (next == '{' || next == '(') {
        std::size_t end = matching_close(value, i + 1);
        if (end == std::string_view::npos)
          return Error{fmt::format("unbalanced {} in {}", next, value)};
        auto piece = reference(value.substr(i + 2, end - i - 2));
        if (!piece) return piece;
        out += *piece;
        if (out.size() > kMaxExpandedLength) return too_long();
        i = end;
      } else if (is_name_char(next)) {
        std::size_t end = i + 1;
        while (end < value.size() && is_name_char(value[end]) && value[end] != '.' &&
               value[end] != '-') {
          ++end;
        }
        auto piece = reference(value.substr(i + 1, end - i - 1));
        if (!piece) return piece;
        out += *piece;
        if (out.size() > kMaxExpandedLength) return too_long();
        i = end - 1;
      } else {
        out += '$';
      }
    }
    return out;
  }

  static Error too_long() {
    return Error{
        fmt::format("value longer than {} bytes after $name expansion", kMaxExpandedLength)};
  }

  // "name", "name?text" (text when name is non-empty), "name:text" (text when name is empty), and
  // "name?{when set}:{when empty}".
  Result<std::string> reference(std::string_view inner) {
    std::size_t operator_at = inner.find_first_of("?:");
    std::string_view name = inner.substr(0, operator_at);
    auto value = named(name);
    if (!value) return value;
    if (operator_at == std::string_view::npos) return value;
    std::string_view text = inner.substr(operator_at + 1);
    bool set = !value->empty();
    if (inner[operator_at] == '?') {
      if (auto choice = split_choice(text)) return expand(set ? choice->first : choice->second);
      return set ? expand(unbrace(text)) : std::string();
    }
    return set ? std::string() : expand(unbrace(text));
  }

  static std::optional<std::pair<std::string_view, std::string_view>> split_choice(
      std::string_view text) {
    if (text.empty() || text.front() != '{') return std::nullopt;
    std::size_t first_end = matching_close(text, 0);
    if (first_end == std::string_view::npos || first_end + 2 >= text.size()) return std::nullopt;
    if (text[first_end + 1] != ':' || text[first_end + 2] != '{') return std::nullopt;
    if (matching_close(text, first_end + 2) != text.size() - 1) return std::nullopt;
    return std::pair{text.substr(1, first_end - 1),
                     text.substr(first_end + 3, text.size() - first_end - 4)};
  }

  Result<std::string> named(std::string_view name) {
    for (const std::string& open : stack) {
      if (open == name) return Error{fmt::format("parameter {} refers to itself", name)};
    }
    if (auto done = expanded_names.find(name); done != expanded_names.end()) return done->second;
    if (stack.size() >= static_cast<std::size_t>(kMaxExpansionDepth)) {
      return Error{fmt::format("parameter {}: expansion too deep", name)};
    }
    std::optional<std::string> raw = lookup(name);
    if (!raw) return std::string();
    stack.emplace_back(name);
    auto expanded = expand(*raw);
    stack.pop_back();
    if (expanded) expanded_names.emplace(name, *expanded);
    return expanded;
  }
};

}  // namespace

Result<std::vector<MainCfEntry>> parse_main_cf(std::string_view text, std::string_view file_name) {
  std::vector<MainCfEntry> entries;
  std::string logical;
  int logical_line = 0;
  int line_number = 0;
  auto finish = [&]() -> Status {
    if (logical_line == 0) return ok_status();
    auto entry = parse_logical_line(logical, logical_line, file_name);
    if (!entry) return entry.error();
    entries.push_back(std::move(entry.value()));
    logical.clear();
    logical_line = 0;
    return ok_status();
  };
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    if (is_blank(line.front())) {
      if (logical_line == 0) {
        return Error{fmt::format("{}:{}: continuation line without a parameter before it",
                                 file_name, line_number)};
      }
      logical += ' ';
      logical += content;
      continue;
    }
    if (auto finished = finish(); !finished) return finished.error();
    logical = std::string(content);
    logical_line = line_number;
  }
  if (auto finished = finish(); !finished) return finished.error();
  return entries;
}

Result<std::string> expand_value(std::string_view value, const RawLookup& lookup) {
  Expander expander{lookup, {}, {}};
  return expander.expand(value);
}

}  // namespace tern::config
