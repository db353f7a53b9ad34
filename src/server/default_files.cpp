// Writes the example users (Dovecot passwd-file) and aliases(5) files of the embedded default
// config when they are missing: one user, tern@localhost, and postmaster/root aliases pointing to
// it.
#include "server/default_files.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

namespace tern::server {
namespace {

Status write_if_missing(const std::string& path, std::string_view content) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(path, error)) return ok_status();
  fs::create_directories(fs::path(path).parent_path(), error);
  std::ofstream out(path);
  out << content;
  if (!out) return Error{fmt::format("cannot write {}", path)};
  spdlog::info("created example file {}", path);
  return ok_status();
}

}  // namespace

Status create_default_files(const config::Config& config) {
  for (const config::TableSpec& table : config.local_recipient_maps) {
    if (table.type != "passwd-file") continue;
    auto written = write_if_missing(
        table.path,
        "# Users of the local domains, in Dovecot passwd-file format: user@domain:password:::::\n"
        "# Mail for them lands in <mail_root>/<domain>/<user>/Maildir/.\n"
        "tern@localhost::::::\n");
    if (!written) return written;
  }
  for (const config::TableSpec& table : config.alias_maps) {
    auto written = write_if_missing(table.path,
                                    "# aliases(5): name: target, target\n"
                                    "postmaster: tern@localhost\n"
                                    "root: tern@localhost\n");
    if (!written) return written;
  }
  return ok_status();
}

}  // namespace tern::server
