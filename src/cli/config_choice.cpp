// Config selection for the CLI.
#include "cli/config_choice.hpp"

#include <unistd.h>

namespace tern::cli {

Result<ChosenConfig> load_chosen_config(const std::string& given_path) {
  std::string path = given_path;
  if (path.empty() && ::access("/etc/tern/main.cf", F_OK) == 0) path = "/etc/tern/main.cf";
  if (path.empty()) {
    auto loaded = config::load_config(config::embedded_default_config(), "(embedded default)");
    if (!loaded) return loaded.error();
    return ChosenConfig{std::move(loaded.value()), "(embedded default)"};
  }
  auto loaded = config::load_config_file(path);
  if (!loaded) return loaded.error();
  return ChosenConfig{std::move(loaded.value()), path};
}

}  // namespace tern::cli
