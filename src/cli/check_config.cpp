// check-config: load exactly as ternd would, report diagnostics, then print "name = value" for
// every parameter the file sets (expanded), in file order.
#include "cli/check_config.hpp"

#include <unistd.h>

#include "config/config.hpp"
#include "config/recipient_directory.hpp"

namespace tern::cli {

int check_config(const std::string& path, std::ostream& out, std::ostream& errors) {
  auto loaded = path.empty()
                    ? config::load_config(config::embedded_default_config(), "(embedded default)")
                    : config::load_config_file(path);
  if (!loaded) {
    errors << "tern: " << loaded.error().message << "\n";
    return 1;
  }
  for (const config::Diagnostic& diagnostic : loaded->diagnostics) {
    if (diagnostic.level != config::Diagnostic::Level::Notice) {
      errors << diagnostic.to_string() << "\n";
    }
  }
  std::vector<config::Diagnostic> table_diagnostics;
  config::RecipientDirectory::load(loaded->config, table_diagnostics);
  for (const config::Diagnostic& diagnostic : table_diagnostics) {
    errors << diagnostic.to_string() << "\n";
  }
  for (const auto& [name, value] : loaded->explicit_values) out << name << " = " << value << "\n";
  if (!loaded->ignored_postfix_parameters.empty()) {
    out << "# accepted without effect in tern:";
    for (const std::string& name : loaded->ignored_postfix_parameters) out << " " << name;
    out << "\n";
  }
  return 0;
}

}  // namespace tern::cli
