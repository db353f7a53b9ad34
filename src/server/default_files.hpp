// First start with the embedded default config (`make run`): create the example users and aliases
// files it names, so a newcomer has a mailbox to send to at once. Existing files are never touched.
#pragma once

#include "base/result.hpp"
#include "config/config.hpp"

namespace tern::server {

Status create_default_files(const config::Config& config);

}  // namespace tern::server
