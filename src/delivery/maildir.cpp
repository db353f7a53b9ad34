// Maildir delivery: tmp/ -> fsync -> rename into new/ (maildir(5)); the message bytes are copied
// from the spool file by the kernel (copy_file_range), never through a user-space buffer when it
// can be avoided.
#include "delivery/maildir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tern::delivery {
namespace {

using Step = Result<Unit, MaildirError>;

// errno is taken at once, before any later call can change it.
MaildirError system_error(std::string_view what, const std::string& path) {
  int number = errno;
  return MaildirError{fmt::format("{} {}: {}", what, path, std::strerror(number)), number};
}

Step make_directories(const std::string& path) {
  std::string partial;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      partial = path.substr(0, i);
      if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
        return system_error("mkdir", partial);
      }
    }
  }
  return Unit{};
}

Step write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return system_error("write", path);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return Unit{};
}

Step copy_range(int from, std::uint64_t offset, std::uint64_t length, int to,
                const std::string& path) {
  loff_t position = static_cast<loff_t>(offset);
  while (length > 0) {
    ssize_t copied = ::copy_file_range(from, &position, to, nullptr, length, 0);
    if (copied < 0 && errno == EINTR) continue;
    if (copied < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) break;
    if (copied < 0) return system_error("copy", path);
    if (copied == 0) {
      return MaildirError{fmt::format("copy {}: spool file shorter than expected", path)};
    }
    length -= static_cast<std::uint64_t>(copied);
  }
  char buffer[65536];
  while (length > 0) {  // fallback across file systems
    ssize_t got = ::pread(from, buffer, std::min<std::uint64_t>(length, sizeof buffer), position);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return MaildirError{fmt::format("copy {}: spool file shorter than expected", path)};
    }
    if (auto written = write_all(to, {buffer, static_cast<std::size_t>(got)}, path); !written) {
      return written;
    }
    position += got;
    length -= static_cast<std::uint64_t>(got);
  }
  return Unit{};
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

bool cur_has(const std::string& cur, const std::string& name) {
  DIR* dir = ::opendir(cur.c_str());
  if (dir == nullptr) return false;
  bool found = false;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view entry_name = entry->d_name;
    if (entry_name == name ||
        (entry_name.size() > name.size() && entry_name.substr(0, name.size()) == name &&
         entry_name[name.size()] == ':')) {
      found = true;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

}  // namespace

std::string maildir_unique_name(std::int64_t arrival, const std::string& queue_id,
                                std::size_t recipient, std::size_t target, std::string_view host) {
  std::string safe_host;
  for (char c : host) {
    if (c == '/') {
      safe_host += "\\057";
    } else if (c == ':') {
      safe_host += "\\072";
    } else {
      safe_host += c;
    }
  }
  return fmt::format("{}.T{}R{}D{}.{}", arrival, queue_id, recipient, target, safe_host);
}

Result<MaildirOutcome, MaildirError> deliver_to_maildir(const MaildirMessage& message,
                                                        bool check_cur) {
  const std::string& maildir = message.maildir;
  for (const char* sub : {"tmp", "new", "cur"}) {
    if (auto made = make_directories(maildir + sub); !made) return made.error();
  }
  std::string final_path = maildir + "new/" + message.unique_name;
  if (exists(final_path) || (check_cur && cur_has(maildir + "cur", message.unique_name))) {
    return MaildirOutcome::AlreadyThere;
  }
  std::string temporary = maildir + "tmp/" + message.unique_name;
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return system_error("create", temporary);
  Step written = write_all(fd, message.prefix, temporary);
  if (written)
    written = copy_range(message.source_fd, message.offset, message.length, fd, temporary);
  if (written && ::fsync(fd) != 0) written = system_error("fsync", temporary);
  ::close(fd);
  if (written && ::rename(temporary.c_str(), final_path.c_str()) != 0) {
    written = system_error("rename", temporary);
  }
  if (!written) {
    ::unlink(temporary.c_str());
    return written.error();
  }
  return MaildirOutcome::Delivered;
}

Status sync_new_directory(const std::string& maildir) {
  std::string path = maildir + "new";
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{system_error("open", path).message};
  int result = ::fsync(fd);
  ::close(fd);
  if (result != 0) return Error{system_error("fsync", path).message};
  return ok_status();
}

}  // namespace tern::delivery
