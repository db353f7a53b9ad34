// main.cf syntax exactly as Postfix reads it (postconf(5)): "name = value" logical lines,
// continuation lines that start with whitespace, '#' comment lines, and $name / ${name} / $(name)
// expansion with the
// ${name?text} and ${name:text} conditional forms.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tern::config {

struct MainCfEntry {
  std::string name;
  std::string value;  // unexpanded, continuation lines joined with one space
  int line = 0;       // where the logical line starts
};

// Errors read "file:line: what is wrong".
Result<std::vector<MainCfEntry>> parse_main_cf(std::string_view text, std::string_view file_name);

// The raw (unexpanded) value of a parameter, or nullopt when it has none.
using RawLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Expands $name references recursively. An undefined name expands to nothing, as in Postfix; a
// reference loop is an error naming the parameter.
Result<std::string> expand_value(std::string_view value, const RawLookup& lookup);

}  // namespace tern::config
