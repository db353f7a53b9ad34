// `tern check-config`: validates a main.cf and prints its effective non-default values, like
// `postconf -n`, followed by the Postfix parameters that have no effect in tern.
#pragma once

#include <ostream>
#include <string>

namespace tern::cli {

// Returns the exit status: 0 valid, 1 invalid (the "file:line: ..." error is written to `errors`).
int check_config(const std::string& path, std::ostream& out, std::ostream& errors);

}  // namespace tern::cli
