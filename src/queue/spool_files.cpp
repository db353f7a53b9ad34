// Spool file reading; see spool_files.hpp.
#include "queue/spool_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "queue/queue_id.hpp"

namespace tern::queue {
namespace {
constexpr std::size_t kHeaderProbe = 64 * 1024;
}

Result<std::string> read_prefix(const std::string& path, std::size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("open {}: {}", path, std::strerror(errno))};
  std::string text(limit, '\0');
  std::size_t filled = 0;
  while (filled < limit) {
    ssize_t got = ::read(fd, text.data() + filled, limit - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    filled += static_cast<std::size_t>(got);
  }
  ::close(fd);
  text.resize(filled);
  return text;
}

Result<SpoolHeader> read_header(const std::string& path) {
  auto head = read_prefix(path, kHeaderProbe);
  if (!head) return head.error();
  std::uint64_t length = announced_header_length(*head);
  if (length > head->size() && length < (16u << 20)) {
    head = read_prefix(path, static_cast<std::size_t>(length));
    if (!head) return head.error();
  }
  return decode_spool_header(*head);
}

std::vector<std::string> list_queue_ids(const std::string& folder) {
  std::vector<std::string> ids;
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return ids;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (is_queue_id(name)) ids.push_back(name);
  }
  ::closedir(dir);
  std::sort(ids.begin(), ids.end());  // arrival order
  return ids;
}

std::int64_t next_attempt_time(const std::string& log) {
  // Records are whole lines, as apply_results reads them: a torn last line (a crash mid-append) is
  // none, and "schedule " counts only at the start of a line (a status text may end in the word).
  std::string_view records(log.data(), log.rfind('\n') + 1);  // npos + 1 == 0: nothing complete
  std::size_t at = records.rfind("\nschedule ");
  if (at != std::string_view::npos) {
    ++at;
  } else if (records.starts_with("schedule ")) {
    at = 0;
  } else {
    return 0;
  }
  std::size_t space = records.find(' ', at + 9);
  if (space == std::string_view::npos) return 0;
  return std::strtoll(records.data() + space + 1, nullptr, 10);
}

}  // namespace tern::queue
