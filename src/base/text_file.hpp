// Reading a whole configuration-sized file (main.cf, aliases, lookup tables, passwd-files) into
// memory, with the reason in the error when it cannot be opened.
#pragma once

#include <string>

#include "base/result.hpp"

namespace tern {

// "PATH: cannot open: reason" when the file cannot be opened.
Result<std::string> read_text_file(const std::string& path);

}  // namespace tern
