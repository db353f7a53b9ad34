// Editing a Dovecot passwd-file ("user@domain:{SCHEME}hash:uid:gid:gecos:home:shell:extra") the way
// `tern user` does: add a user, change a password, remove a user, list names. Guarantees: every
// line the edit is not about stays byte for byte (comments, blank lines, other users' fields, line
// order); the password field is the only field a password change touches; the file on disk is
// replaced atomically (readers see the old or the new file, never a mix).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tern::auth {

// "local@domain" or "local", lower-cased. Refused: empty parts, more than one '@', ':', '/',
// whitespace and control characters, a leading '.' or '#', empty domain labels, a local part over
// 64 or a domain over 255 characters. Errors: `invalid user name "x y": contains whitespace`.
Result<std::string> normalize_user_name(std::string_view name);

// True when a line of `text` names this user (names compare case-insensitively).
bool has_user(std::string_view text, std::string_view name);

// Each returns the edited text, or a one-line error: the name is invalid, the user already exists
// (add) or does not exist (set_password, remove), or the hash is empty or holds ':' or a line
// break. add_user appends "name:hash::::::"; set_password replaces the password field of every
// line of that user; remove_user drops every line of that user.
Result<std::string> add_user(std::string_view text, std::string_view name,
                             std::string_view password_hash);
Result<std::string> set_password(std::string_view text, std::string_view name,
                                 std::string_view password_hash);
Result<std::string> remove_user(std::string_view text, std::string_view name);

// The user names of the file in file order, lower-cased as the daemon reads them; never hashes.
std::vector<std::string> list_users(std::string_view text);

// Replaces `path` by `text`: writes a temporary file in the same directory, fsyncs it, renames it
// over `path` and fsyncs the directory. An existing file keeps its mode, owner and group (a
// symbolic link keeps pointing at the same, rewritten, file); a new file gets `new_file_mode`.
Status write_file_atomically(const std::string& path, std::string_view text,
                             mode_t new_file_mode = 0640);

}  // namespace tern::auth
