// Parsing and address lookups for "key value" tables.
#include "config/lookup_table.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"
#include "base/text_file.hpp"

namespace tern::config {

const std::string* LookupTable::find(std::string_view key) const {
  auto it = entries.find(to_lower_ascii(key));
  return it == entries.end() ? nullptr : &it->second;
}

const std::string* LookupTable::find_address(std::string_view address,
                                             std::string_view delimiter) const {
  std::size_t at = address.rfind('@');
  std::string_view local = at == std::string_view::npos ? address : address.substr(0, at);
  std::string_view domain = at == std::string_view::npos ? "" : address.substr(at + 1);
  std::string_view base = local;
  if (!delimiter.empty()) {
    std::size_t split = local.find_first_of(delimiter);
    if (split != std::string_view::npos && split > 0) base = local.substr(0, split);
  }
  for (std::string_view user : {local, base}) {
    if (const std::string* found =
            find(domain.empty() ? std::string(user) : fmt::format("{}@{}", user, domain))) {
      return found;
    }
  }
  for (std::string_view user : {local, base}) {
    if (const std::string* found = find(user)) return found;
  }
  if (!domain.empty()) return find(fmt::format("@{}", domain));
  return nullptr;
}

Result<LookupTable> parse_lookup_table(std::string_view text, std::string_view file_name) {
  LookupTable table;
  std::string* previous = nullptr;
  int line_number = 0;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (previous == nullptr) {
        return Error{fmt::format("{}:{}: continuation line without an entry before it", file_name,
                                 line_number)};
      }
      *previous += ' ';
      *previous += content;
      continue;
    }
    std::size_t blank = content.find_first_of(" \t");
    if (blank == std::string_view::npos) {
      return Error{
          fmt::format("{}:{}: missing value after key {}", file_name, line_number, content)};
    }
    std::string key = to_lower_ascii(content.substr(0, blank));
    previous = &(table.entries[key] = std::string(trim(content.substr(blank))));
  }
  return table;
}

Result<LookupTable> read_lookup_table(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  return parse_lookup_table(*text, path);
}

}  // namespace tern::config
