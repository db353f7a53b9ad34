// Local recipients: Dovecot passwd-file users and aliases(5) tables, with recipient_delimiter
// sub-addresses. Lookups are lower-case and exact first, then without the extension (Postfix
// order). Alias expansion is recursive with loop detection; programs, files and includes are never
// targets.
#include "config/recipient_directory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "base/strings.hpp"
#include "base/text_file.hpp"

namespace tern::config {
namespace {

constexpr int kMaxAliasDepth = 20;

std::string strip_quotes(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    return std::string(text.substr(1, text.size() - 2));
  }
  return std::string(text);
}

// Splits alias targets on commas outside double quotes. An empty one ("" included) names nobody
// and is left out.
std::vector<std::string> split_targets(std::string_view text) {
  std::vector<std::string> targets;
  std::string current;
  bool quoted = false;
  auto finish_target = [&] {
    std::string target = strip_quotes(current);
    if (!target.empty()) targets.push_back(std::move(target));
    current.clear();
  };
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      finish_target();
    } else {
      current += c;
    }
  }
  finish_target();
  return targets;
}

std::pair<std::string, std::string> split_address(std::string_view address) {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {to_lower_ascii(address), ""};
  return {to_lower_ascii(address.substr(0, at)), to_lower_ascii(address.substr(at + 1))};
}

}  // namespace

Result<AliasTable> parse_aliases(std::string_view text, std::string_view file_name,
                                 std::vector<Diagnostic>* diagnostics) {
  AliasTable table;
  std::vector<std::pair<std::string, int>> logical;  // joined lines and where they start
  int line_number = 0;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (logical.empty()) {
        return Error{fmt::format("{}:{}: continuation line without an alias before it", file_name,
                                 line_number)};
      }
      logical.back().first.append(1, ' ').append(content);
      continue;
    }
    logical.emplace_back(std::string(content), line_number);
  }
  for (const auto& [entry, line] : logical) {
    std::size_t colon = entry.find(':');
    if (entry.front() == '"') colon = entry.find(':', entry.find('"', 1));
    if (colon == std::string::npos) {
      return Error{fmt::format("{}:{}: missing ':' after the alias name", file_name, line)};
    }
    std::string name = to_lower_ascii(strip_quotes(entry.substr(0, colon)));
    if (name.empty()) return Error{fmt::format("{}:{}: empty alias name", file_name, line)};
    std::vector<std::string> targets;
    bool refused_any = false;
    for (std::string& target : split_targets(std::string_view(entry).substr(colon + 1))) {
      bool unsafe =
          target.front() == '|' || target.front() == '/' || istarts_with(target, ":include:");
      if (unsafe) {
        if (diagnostics != nullptr) {
          diagnostics->push_back({Diagnostic::Level::Warning, std::string(file_name), line,
                                  fmt::format("alias {}: target {} refused: tern does not deliver "
                                              "to programs or files",
                                              name, target)});
        }
        refused_any = true;
        continue;
      }
      targets.push_back(std::move(target));
    }
    // A stock aliases file has program-only entries (decode: |uudecode); warned about above, the
    // alias is left out so the rest of the table still works.
    if (targets.empty() && refused_any) continue;
    if (targets.empty()) {
      return Error{fmt::format("{}:{}: alias {} has no usable target", file_name, line, name)};
    }
    auto& existing = table.entries[name];
    existing.insert(existing.end(), targets.begin(), targets.end());
  }
  return table;
}

Result<std::vector<LocalUser>> parse_passwd_file(std::string_view text,
                                                 std::string_view file_name) {
  std::vector<LocalUser> users;
  int line_number = 0;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    std::vector<std::string_view> fields = split_fields(content, ':');
    std::string name = to_lower_ascii(trim(fields[0]));
    bool bad_name = name.empty() || name.find('/') != std::string::npos ||
                    name.find_first_of(" \t") != std::string::npos || name.front() == '.' ||
                    name.front() == '@' || name.back() == '@';
    if (bad_name) {
      return Error{fmt::format("{}:{}: bad user name: {}", file_name, line_number, fields[0])};
    }
    LocalUser user;
    user.name = name;
    if (fields.size() > 1) user.password = std::string(fields[1]);
    if (fields.size() > 5) user.home = std::string(fields[5]);
    users.push_back(std::move(user));
  }
  return users;
}

RecipientDirectory::RecipientDirectory(const Config& config, std::vector<LocalUser> users,
                                       AliasTable aliases)
    : local_domains_(config.mydestination),
      myorigin_(to_lower_ascii(config.myorigin)),
      recipient_delimiter_(config.recipient_delimiter),
      mail_root_(config.mail_root),
      home_mailbox_(config.home_mailbox),
      users_(std::move(users)),
      aliases_(std::move(aliases)) {}

RecipientDirectory RecipientDirectory::load(const Config& config,
                                            std::vector<Diagnostic>& diagnostics) {
  RecipientDirectory directory(config, {}, {});
  auto unavailable = [&](const TableSpec& table, const std::string& why, bool& flag) {
    flag = true;
    directory.unavailable_reason_ = fmt::format("{}:{}: {}", table.type, table.path, why);
    diagnostics.push_back({Diagnostic::Level::Warning, table.path, 0,
                           fmt::format("table {}:{} is unavailable: {}; mail for local recipients "
                                       "will be deferred",
                                       table.type, table.path, why)});
  };
  std::set<std::string> loaded_alias_paths;
  auto load_aliases = [&](const TableSpec& table) {
    if (!loaded_alias_paths.insert(table.path).second) return;
    auto text = read_text_file(table.path);
    if (!text) return unavailable(table, text.error().message, directory.aliases_unavailable_);
    auto parsed = parse_aliases(*text, table.path, &diagnostics);
    if (!parsed) return unavailable(table, parsed.error().message, directory.aliases_unavailable_);
    for (auto& [name, targets] : parsed->entries) {
      auto& existing = directory.aliases_.entries[name];
      existing.insert(existing.end(), targets.begin(), targets.end());
    }
  };
  for (const TableSpec& table : config.alias_maps) load_aliases(table);
  for (const TableSpec& table : config.smtpd_sender_login_maps) {
    auto parsed = read_lookup_table(table.path);
    if (!parsed) {
      // Without its table nobody owns any address: senders are refused rather than let through.
      diagnostics.push_back({Diagnostic::Level::Warning, table.path, 0,
                             fmt::format("smtpd_sender_login_maps {}:{} is unavailable: {}",
                                         table.type, table.path, parsed.error().message)});
      directory.sender_login_maps_.emplace_back();
      continue;
    }
    directory.sender_login_maps_.push_back(std::move(parsed.value()));
  }
  for (const TableSpec& table : config.local_recipient_maps) {
    if (table.type != "passwd-file") {
      load_aliases(table);
      continue;
    }
    auto text = read_text_file(table.path);
    if (!text) {
      unavailable(table, text.error().message, directory.users_unavailable_);
      continue;
    }
    auto users = parse_passwd_file(*text, table.path);
    if (!users) {
      unavailable(table, users.error().message, directory.users_unavailable_);
      continue;
    }
    directory.users_.insert(directory.users_.end(), users->begin(), users->end());
  }
  return directory;
}

bool RecipientDirectory::is_local_domain(std::string_view domain) const {
  std::string lower = to_lower_ascii(domain);
  return std::find(local_domains_.begin(), local_domains_.end(), lower) != local_domains_.end();
}

const LocalUser* RecipientDirectory::find_user(std::string_view local_part,
                                               std::string_view domain) const {
  std::string qualified = fmt::format("{}@{}", local_part, domain);
  for (const LocalUser& user : users_) {
    if (user.name == qualified) return &user;
  }
  for (const LocalUser& user : users_) {
    if (user.name == local_part) return &user;
  }
  return nullptr;
}

const LocalUser* RecipientDirectory::find_login(std::string_view login) const {
  std::string wanted = to_lower_ascii(login);
  for (const LocalUser& user : users_) {
    if (user.name == wanted) return &user;
  }
  return nullptr;
}

std::vector<std::string> RecipientDirectory::sender_owners(std::string_view address) const {
  std::vector<std::string> owners;
  if (!sender_login_maps_.empty()) {
    for (const LookupTable& table : sender_login_maps_) {
      if (const std::string* logins = table.find_address(address, recipient_delimiter_)) {
        for (std::string& login : split_list(*logins)) owners.push_back(to_lower_ascii(login));
        break;
      }
    }
    return owners;
  }
  auto [local, domain] = split_address(address);
  if (domain.empty() || !is_local_domain(domain)) {
    // Only mydestination addresses have implicit owners; a login that is a full address owns
    // exactly that address wherever its domain is hosted.
    if (find_login(address) != nullptr) owners.push_back(to_lower_ascii(address));
    return owners;
  }
  Expansion expansion = expand(local, domain);
  for (const DeliveryTarget& target : expansion.targets) {
    if (!target.user.empty()) owners.push_back(target.user);
  }
  return owners;
}

namespace {

// "user+ext" -> "user" with recipient_delimiter "+" (any of its characters separates, as in
// Postfix).
std::string without_extension(const std::string& local, const std::string& delimiters) {
  if (delimiters.empty()) return local;
  std::size_t at = local.find_first_of(delimiters);
  if (at == std::string::npos || at == 0) return local;
  return local.substr(0, at);
}

}  // namespace

Lookup RecipientDirectory::recipient_exists(std::string_view local_part,
                                            std::string_view domain) const {
  std::string local = to_lower_ascii(local_part);
  std::string lower_domain = to_lower_ascii(domain);
  for (const std::string& name : {local, without_extension(local, recipient_delimiter_)}) {
    if (find_user(name, lower_domain) != nullptr) return Lookup::Found;
    if (aliases_.entries.contains(name)) return Lookup::Found;
  }
  // RFC 5321 §4.5.1: postmaster must always be accepted.
  if (local == "postmaster") return Lookup::Found;
  if (users_unavailable_ || aliases_unavailable_) return Lookup::Unavailable;
  return Lookup::NotFound;
}

namespace {

struct ExpansionState {
  Expansion result;
  std::vector<std::string> path;  // alias names being expanded, for loop detection
  // "alias@domain" already expanded in full: met again, it adds nothing new (Postfix's local(8)
  // keeps the same "been here" list), and skipping it keeps fan-out linear, not exponential.
  std::set<std::string> done;
};

}  // namespace

Expansion RecipientDirectory::expand(std::string_view local_part, std::string_view domain) const {
  ExpansionState state;
  state.result.status = Lookup::Found;
  std::string local = to_lower_ascii(local_part);
  std::string lower_domain = to_lower_ascii(domain);

  // Expands one local name; `original` is the address to show in Delivered-To for a direct user.
  std::function<bool(const std::string&, const std::string&, const std::string&, int)> visit;
  visit = [&](const std::string& name, const std::string& name_domain, const std::string& original,
              int depth) -> bool {
    if (depth > kMaxAliasDepth) {
      state.result.error = fmt::format("alias expansion of {} is too deep", local);
      return false;
    }
    for (const std::string& candidate : {name, without_extension(name, recipient_delimiter_)}) {
      auto alias = aliases_.entries.find(candidate);
      bool in_path = std::find(state.path.begin(), state.path.end(), candidate) != state.path.end();
      if (alias != aliases_.entries.end() && !in_path) {
        std::string been_here = fmt::format("{}@{}", candidate, name_domain);
        if (state.done.contains(been_here)) return true;
        state.path.push_back(candidate);
        for (const std::string& target : alias->second) {
          auto [target_local, target_domain] = split_address(target);
          if (target_domain.empty()) target_domain = name_domain;
          if (target_local == candidate && target_domain == name_domain) {
            // "root: root, admin": the name itself is a user, not another round of the alias.
            if (!add_user(candidate, name_domain, fmt::format("{}@{}", candidate, name_domain),
                          state.result)) {
              state.result.error =
                  fmt::format("alias {} names itself but no user {} exists", candidate, candidate);
              return false;
            }
            continue;
          }
          if (!is_local_domain(target_domain)) {
            state.result.targets.push_back(
                {"", "", fmt::format("{}@{}", target_local, target_domain)});
            continue;
          }
          bool looped =
              std::find(state.path.begin(), state.path.end(), target_local) != state.path.end();
          if (looped) {
            state.result.error = fmt::format("alias loop at {}", target_local);
            return false;
          }
          if (!visit(target_local, target_domain, fmt::format("{}@{}", target_local, target_domain),
                     depth + 1)) {
            return false;
          }
        }
        state.path.pop_back();
        state.done.insert(std::move(been_here));
        return true;
      }
      if (add_user(candidate, name_domain, original, state.result)) return true;
    }
    if (name == "postmaster" && depth == 0) {
      return visit("root", name_domain, fmt::format("root@{}", name_domain), depth + 1);
    }
    state.result.status =
        (users_unavailable_ || aliases_unavailable_) ? Lookup::Unavailable : Lookup::NotFound;
    if (state.result.status == Lookup::Unavailable) state.result.error = unavailable_reason_;
    return false;
  };

  if (!visit(local, lower_domain, fmt::format("{}@{}", local, lower_domain), 0)) {
    if (state.result.status == Lookup::Found) state.result.status = Lookup::NotFound;
    state.result.targets.clear();
    return state.result;
  }
  // The same Maildir reached twice (two aliases to one user) gets one copy.
  std::vector<DeliveryTarget> unique;
  for (DeliveryTarget& target : state.result.targets) {
    bool seen = std::any_of(unique.begin(), unique.end(), [&](const DeliveryTarget& kept) {
      return kept.maildir == target.maildir && kept.address == target.address;
    });
    if (!seen) unique.push_back(std::move(target));
  }
  state.result.targets = std::move(unique);
  return state.result;
}

bool RecipientDirectory::add_user(const std::string& name, const std::string& domain,
                                  const std::string& delivered_to, Expansion& expansion) const {
  const LocalUser* user = find_user(name, domain);
  if (user == nullptr) return false;
  std::string maildir;
  if (!user->home.empty()) {
    std::string mailbox = home_mailbox_.empty() ? "Maildir/" : home_mailbox_;
    if (mailbox.back() != '/') mailbox += '/';
    maildir = user->home + (user->home.back() == '/' ? "" : "/") + mailbox;
  } else {
    auto [user_local, user_domain] = split_address(user->name);
    if (user_domain.empty()) user_domain = myorigin_;
    maildir = fmt::format("{}/{}/{}/Maildir/", mail_root_, user_domain, user_local);
  }
  expansion.targets.push_back({user->name, maildir, delivered_to});
  return true;
}

}  // namespace tern::config
