// setgroups/setgid/setuid to mail_owner, after handing it the directories it must write. The order
// (groups, gid, uid) matters: once the uid changes, the process could no longer change its groups.
#include "server/privileges.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tern::server {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// The spool is ternd's own: every entry becomes mail_owner's. Of mail_root only the top is handed
// over; the Maildirs below it are created by ternd after the drop.
Status hand_over(const config::Config& config, uid_t uid, gid_t gid) {
  namespace fs = std::filesystem;
  std::error_code error;
  auto give = [&](const fs::path& path) -> Status {
    if (::lchown(path.c_str(), uid, gid) != 0) {
      return Error{
          fmt::format("cannot chown {} to {}: {}", path.string(), config.mail_owner, errno_text())};
    }
    return ok_status();
  };
  if (auto given = give(config.queue_directory); !given) return given;
  for (auto it = fs::recursive_directory_iterator(config.queue_directory, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (auto given = give(it->path()); !given) return given;
  }
  fs::create_directories(config.mail_root, error);
  if (error) return Error{fmt::format("cannot create {}: {}", config.mail_root, error.message())};
  return give(config.mail_root);
}

}  // namespace

Status drop_privileges(const config::Config& config) {
  if (::geteuid() != 0) {
    spdlog::info("running as uid {}: no privileges to drop", ::geteuid());
    return ok_status();
  }
  if (config.mail_owner.empty() || config.mail_owner == "root") {
    return Error{"mail_owner must name an unprivileged user when ternd starts as root"};
  }
  passwd* owner = ::getpwnam(config.mail_owner.c_str());
  if (owner == nullptr) {
    return Error{fmt::format("mail_owner {}: no such user (create it, e.g. useradd --system {})",
                             config.mail_owner, config.mail_owner)};
  }
  if (owner->pw_uid == 0) return Error{"mail_owner must not have uid 0"};
  uid_t uid = owner->pw_uid;
  gid_t gid = owner->pw_gid;
  if (auto handed = hand_over(config, uid, gid); !handed) return handed;
  if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    return Error{fmt::format("cannot switch to user {}: {}", config.mail_owner, errno_text())};
  }
  if (::setuid(0) == 0) return Error{"privilege drop failed: could regain root"};
  spdlog::info("dropped privileges to {} (uid {})", config.mail_owner, uid);
  return ok_status();
}

}  // namespace tern::server
