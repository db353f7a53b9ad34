// Which main.cf a `tern` subcommand reads: the one given with -c, else /etc/tern/main.cf when it
// exists, else the embedded default config (what `make run` uses), so every subcommand agrees with
// the ternd it is meant to talk to.
#pragma once

#include <string>

#include "base/result.hpp"
#include "config/config.hpp"

namespace tern::cli {

struct ChosenConfig {
  config::LoadedConfig loaded;
  std::string name;  // the path, or "(embedded default)"
};

Result<ChosenConfig> load_chosen_config(const std::string& given_path);

}  // namespace tern::cli
