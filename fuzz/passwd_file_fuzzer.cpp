// Fuzzes the Dovecot passwd-file format from both sides: the daemon's reader
// (config::parse_passwd_file) and `tern user`'s editor (auth/user_file.hpp). The input is the file;
// the user name and hash for the edits are taken from its first line. Checks: the editor sees the
// same users the daemon reads; an edit changes exactly what it says (add makes the user exist once,
// set_password keeps every other line byte for byte, remove leaves no line of that user); every
// user the daemon reads can log in by its name.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/user_file.hpp"
#include "config/config.hpp"
#include "config/recipient_directory.hpp"
#include "fuzz_check.hpp"

namespace {

using tern::fuzz::visible;
using namespace tern;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    lines.push_back(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
  }
  return lines;
}

void check_reader_agrees(std::string_view text) {
  auto users = config::parse_passwd_file(text, "users");
  if (!users) return;
  std::vector<std::string> listed = auth::list_users(text);
  std::vector<std::string> read;
  for (const config::LocalUser& user : *users) read.push_back(user.name);
  FUZZ_CHECK(listed == read, "tern user list and ternd disagree on " + visible(text));

  static const config::Config config;
  config::RecipientDirectory directory(config, *users, {});
  for (const config::LocalUser& user : *users) {
    const config::LocalUser* found = directory.find_login(user.name);
    FUZZ_CHECK(found != nullptr && found->name == user.name,
               "user " + visible(user.name) + " cannot log in by name");
  }
}

void check_edits(std::string_view text, std::string_view name, std::string_view hash) {
  auto normalized = auth::normalize_user_name(name);
  if (!normalized) return;
  const std::string& user = *normalized;

  auto added = auth::add_user(text, name, hash);
  if (added) {
    FUZZ_CHECK(!auth::has_user(text, user), "added " + visible(user) + " who already existed");
    FUZZ_CHECK(added->starts_with(text), "add_user changed existing lines");
    std::vector<std::string> listed = auth::list_users(*added);
    FUZZ_CHECK(std::count(listed.begin(), listed.end(), user) == 1,
               "after add, " + visible(user) + " is listed other than once");
    auto users = config::parse_passwd_file(*added, "users");
    if (users) {
      bool with_hash = false;
      for (const config::LocalUser& entry : *users) {
        with_hash = with_hash || (entry.name == user && entry.password == hash);
      }
      FUZZ_CHECK(with_hash, "ternd does not read the added user " + visible(user));
    }
  }

  auto changed = auth::set_password(text, name, hash);
  if (changed) {
    std::vector<std::string_view> before = lines_of(text);
    std::vector<std::string_view> after = lines_of(*changed);
    FUZZ_CHECK(before.size() == after.size(), "set_password changed the number of lines");
    for (std::size_t i = 0; i < before.size(); ++i) {
      std::vector<std::string> owner = auth::list_users(before[i]);
      bool about_user = owner.size() == 1 && owner[0] == user;
      if (!about_user) {
        FUZZ_CHECK(before[i] == after[i], "set_password changed line " + visible(before[i]));
      } else {
        std::vector<std::string> still = auth::list_users(after[i]);
        FUZZ_CHECK(still.size() == 1 && still[0] == user,
                   "set_password renamed " + visible(before[i]) + " to " + visible(after[i]));
      }
    }
  }

  auto removed = auth::remove_user(text, name);
  if (removed) {
    FUZZ_CHECK(!auth::has_user(*removed, user), "remove_user left " + visible(user));
    FUZZ_CHECK(removed->size() < text.size(), "remove_user removed nothing");
  } else {
    FUZZ_CHECK(!auth::has_user(text, user), "cannot remove existing " + visible(user));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_reader_agrees(text);

  // The first line says whom to edit and with which hash: "name:hash", the rest is the file.
  std::size_t newline = text.find('\n');
  std::string_view command = text.substr(0, newline);
  std::string_view file = newline == std::string_view::npos ? "" : text.substr(newline + 1);
  std::size_t colon = command.find(':');
  std::string_view name = command.substr(0, colon);
  std::string_view hash = colon == std::string_view::npos ? "{PLAIN}x" : command.substr(colon + 1);
  check_edits(file, name, hash);
  return 0;
}
