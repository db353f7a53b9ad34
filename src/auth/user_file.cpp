// passwd-file edits as text transforms over whole lines (a line is "about" a user when its first
// field, trimmed and lower-cased, is that name, exactly as config::parse_passwd_file reads it),
// and the atomic replacement of the file: temporary file, fsync, rename, fsync of the directory.
#include "auth/user_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/strings.hpp"

namespace tern::auth {
namespace {

constexpr std::size_t kMaxLocalPart = 64;  // RFC 5321 §4.5.3.1.1
constexpr std::size_t kMaxDomain = 255;    // RFC 5321 §4.5.3.1.2

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Why `name` cannot be a user name, or "" when it can.
std::string_view name_problem(std::string_view name) {
  if (name.empty()) return "empty";
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    if (c == ' ' || c == '\t') return "contains whitespace";
    if (byte < 0x20 || byte == 0x7f) return "contains a control character";
    if (c == ':') return "contains ':'";
    if (c == '/') return "contains '/'";
  }
  std::size_t at = name.find('@');
  std::string_view local = name.substr(0, at);
  if (local.empty()) return "empty local part";
  if (local.size() > kMaxLocalPart) return "local part longer than 64 characters";
  if (local.front() == '.') return "starts with '.'";
  if (local.front() == '#') return "starts with '#'";
  if (at == std::string_view::npos) return {};
  std::string_view domain = name.substr(at + 1);
  if (domain.find('@') != std::string_view::npos) return "contains more than one '@'";
  if (domain.empty()) return "empty domain";
  if (domain.size() > kMaxDomain) return "domain longer than 255 characters";
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return "domain has an empty label";
  }
  return {};
}

Status check_hash(std::string_view hash) {
  if (hash.empty()) return Error{"empty password hash"};
  if (hash.find_first_of(std::string_view(":\r\n\0", 4)) != std::string_view::npos) {
    return Error{"password hash must not contain ':', NUL or a line break"};
  }
  return ok_status();
}

// Calls visit(line, newline) for each line of `text`; `newline` is "\n" or "" for a last line
// without one.
template <class Visit>
void for_each_line(std::string_view text, Visit visit) {
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    if (end == std::string_view::npos) {
      visit(text, std::string_view());
      return;
    }
    visit(text.substr(0, end), text.substr(end, 1));
    text.remove_prefix(end + 1);
  }
}

// The (lower-cased) user a line is about; empty for comments and blank lines.
std::string line_user(std::string_view line) {
  std::string_view content = trim(line);
  if (content.empty() || content.front() == '#') return {};
  return to_lower_ascii(trim(content.substr(0, content.find(':'))));
}

// The line with its second field replaced by `hash`; everything else of the line kept.
std::string replace_password_field(std::string_view line, std::string_view hash) {
  std::size_t content_end = line.size();
  while (content_end > 0 && is_blank(line[content_end - 1])) --content_end;
  std::size_t first = line.find(':');
  if (first == std::string_view::npos) {
    return fmt::format("{}:{}{}", line.substr(0, content_end), hash, line.substr(content_end));
  }
  std::size_t second = line.find(':', first + 1);
  std::size_t end = second == std::string_view::npos ? content_end : second;
  return fmt::format("{}{}{}", line.substr(0, first + 1), hash, line.substr(end));
}

std::string system_error(std::string_view what, const std::string& path) {
  return fmt::format("cannot {} {}: {}", what, path, std::strerror(errno));
}

Status write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return Error{};
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return ok_status();
}

Status sync_directory(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{system_error("open directory", directory)};
  bool synced = ::fsync(fd) == 0;
  std::string error = synced ? std::string() : system_error("sync directory", directory);
  ::close(fd);
  if (!synced) return Error{error};
  return ok_status();
}

}  // namespace

Result<std::string> normalize_user_name(std::string_view name) {
  std::string_view problem = name_problem(name);
  if (!problem.empty()) return Error{fmt::format("invalid user name {:?}: {}", name, problem)};
  return to_lower_ascii(name);
}

bool has_user(std::string_view text, std::string_view name) {
  std::string wanted = to_lower_ascii(name);
  bool found = false;
  for_each_line(text, [&](std::string_view line, std::string_view) {
    found = found || line_user(line) == wanted;
  });
  return found;
}

Result<std::string> add_user(std::string_view text, std::string_view name,
                             std::string_view password_hash) {
  auto user = normalize_user_name(name);
  if (!user) return user.error();
  if (auto checked = check_hash(password_hash); !checked) return checked.error();
  if (has_user(text, *user)) return Error{fmt::format("user {} already exists", *user)};
  std::string edited(text);
  if (!edited.empty() && edited.back() != '\n') edited += '\n';
  edited += fmt::format("{}:{}::::::\n", *user, password_hash);
  return edited;
}

Result<std::string> set_password(std::string_view text, std::string_view name,
                                 std::string_view password_hash) {
  auto user = normalize_user_name(name);
  if (!user) return user.error();
  if (auto checked = check_hash(password_hash); !checked) return checked.error();
  std::string edited;
  bool found = false;
  for_each_line(text, [&](std::string_view line, std::string_view newline) {
    if (line_user(line) == *user) {
      found = true;
      edited += replace_password_field(line, password_hash);
    } else {
      edited += line;
    }
    edited += newline;
  });
  if (!found) return Error{fmt::format("user {} does not exist", *user)};
  return edited;
}

Result<std::string> remove_user(std::string_view text, std::string_view name) {
  auto user = normalize_user_name(name);
  if (!user) return user.error();
  std::string edited;
  bool found = false;
  for_each_line(text, [&](std::string_view line, std::string_view newline) {
    if (line_user(line) == *user) {
      found = true;
      return;
    }
    edited += line;
    edited += newline;
  });
  if (!found) return Error{fmt::format("user {} does not exist", *user)};
  return edited;
}

std::vector<std::string> list_users(std::string_view text) {
  std::vector<std::string> names;
  for_each_line(text, [&](std::string_view line, std::string_view) {
    std::string user = line_user(line);
    if (!user.empty()) names.push_back(std::move(user));
  });
  return names;
}

Status write_file_atomically(const std::string& path, std::string_view text, mode_t new_file_mode) {
  namespace fs = std::filesystem;
  // Through a symbolic link, the file it points to is rewritten and the link stays.
  std::string target = path;
  struct stat link_status {};
  if (::lstat(path.c_str(), &link_status) == 0 && S_ISLNK(link_status.st_mode)) {
    std::error_code error;
    fs::path resolved = fs::canonical(path, error);
    if (error) return Error{fmt::format("cannot resolve {}: {}", path, error.message())};
    target = resolved.string();
  }
  struct stat existing {};
  bool exists = ::stat(target.c_str(), &existing) == 0;
  if (!exists && errno != ENOENT) return Error{system_error("read the status of", path)};
  if (exists && !S_ISREG(existing.st_mode)) {
    return Error{fmt::format("cannot write {}: not a regular file", path)};
  }

  fs::path target_path(target);
  std::string directory =
      target_path.has_parent_path() ? target_path.parent_path().string() : std::string(".");
  std::string temporary = fmt::format("{}/.{}.XXXXXX", directory, target_path.filename().string());
  int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) return Error{system_error("create a temporary file for", path)};

  auto fail = [&](std::string_view what) -> Status {
    std::string message = system_error(what, path);
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());
    return Error{message};
  };
  struct stat created {};
  if (::fstat(fd, &created) != 0) return fail("read the status of a temporary file for");
  if (exists && (created.st_uid != existing.st_uid || created.st_gid != existing.st_gid) &&
      ::fchown(fd, existing.st_uid, existing.st_gid) != 0) {
    return fail("keep the owner and group of");
  }
  mode_t mode = exists ? (existing.st_mode & 07777) : new_file_mode;
  if (::fchmod(fd, mode) != 0) return fail("set the mode of");
  if (!write_all(fd, text)) return fail("write");
  if (::fsync(fd) != 0) return fail("sync");
  int closing = fd;
  fd = -1;
  if (::close(closing) != 0) return fail("write");
  if (::rename(temporary.c_str(), target.c_str()) != 0) return fail("replace");
  return sync_directory(directory);
}

}  // namespace tern::auth
