// aliases(5) and Dovecot passwd-file parsing, and RecipientDirectory lookups and alias expansion.
#include "config/recipient_directory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace tern::config {
namespace {

using Targets = std::vector<std::string>;

AliasTable aliases_ok(std::string_view text, std::vector<Diagnostic>* diagnostics = nullptr) {
  auto table = parse_aliases(text, "aliases", diagnostics);
  EXPECT_TRUE(table.ok()) << (table.ok() ? "" : table.error().message);
  return table.ok() ? *table : AliasTable{};
}

TEST(RecipientDirectoryTest, AliasesMultipleTargetsContinuationsAndComments) {
  AliasTable table = aliases_ok(
      "# comment\n"
      "\n"
      "postmaster: root\n"
      "Team: alice, bob@example.org,\n"
      "  carol\n"
      "\tdave\n"
      "root:admin\n");
  EXPECT_EQ(table.entries.size(), 3u);
  EXPECT_EQ(table.entries["postmaster"], Targets{"root"});
  EXPECT_EQ(table.entries["team"], (Targets{"alice", "bob@example.org", "carol dave"}));
  EXPECT_EQ(table.entries["root"], Targets{"admin"});
}

TEST(RecipientDirectoryTest, AliasesQuotedNamesAndTargets) {
  AliasTable table = aliases_ok("\"odd name\": \"x, y\", z\n\"with:colon\": w\n");
  EXPECT_EQ(table.entries["odd name"], (Targets{"x, y", "z"}));
  EXPECT_EQ(table.entries["with:colon"], Targets{"w"});
}

// Found by fuzz/aliases: a target of "" was kept as an empty address (and read with front()).
TEST(RecipientDirectoryTest, AliasesLeaveOutEmptyQuotedTargets) {
  AliasTable table = aliases_ok("a: \"\", alice\nb: bob, \"  \"\n");
  EXPECT_EQ(table.entries["a"], Targets{"alice"});
  EXPECT_EQ(table.entries["b"], (Targets{"bob", "  "}));
  EXPECT_FALSE(parse_aliases("c: \"\"\n", "aliases").ok());  // no usable target at all
}

TEST(RecipientDirectoryTest, AliasesRepeatedNameAccumulates) {
  AliasTable table = aliases_ok("a: b\na: c\n");
  EXPECT_EQ(table.entries["a"], (Targets{"b", "c"}));
}

TEST(RecipientDirectoryTest, AliasesRefuseProgramsFilesAndIncludes) {
  std::vector<Diagnostic> diagnostics;
  AliasTable table = aliases_ok(
      "a: alice, |/usr/bin/procmail\n"
      "b: /var/log/mail, bob\n"
      "c: :include:/etc/list, carol\n"
      "d: \"|/bin/sh -c x\", dave\n",
      &diagnostics);
  EXPECT_EQ(table.entries["a"], Targets{"alice"});
  EXPECT_EQ(table.entries["b"], Targets{"bob"});
  EXPECT_EQ(table.entries["c"], Targets{"carol"});
  EXPECT_EQ(table.entries["d"], Targets{"dave"});
  ASSERT_EQ(diagnostics.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(diagnostics[i].file, "aliases");
    EXPECT_EQ(diagnostics[i].line, i + 1);
    EXPECT_EQ(diagnostics[i].level, Diagnostic::Level::Warning);
  }
  EXPECT_NE(diagnostics[0].text.find("|/usr/bin/procmail"), std::string::npos);
}

TEST(RecipientDirectoryTest, AliasWithOnlyRefusedTargetsIsDroppedNotFatal) {
  // A stock aliases file with a program-only alias must not make the whole table unusable.
  std::vector<Diagnostic> diagnostics;
  AliasTable table = aliases_ok("decode: |/usr/bin/uudecode\npostmaster: root\n", &diagnostics);
  EXPECT_FALSE(table.entries.contains("decode"));
  EXPECT_EQ(table.entries["postmaster"], Targets{"root"});
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_EQ(diagnostics[0].line, 1);
}

TEST(RecipientDirectoryTest, AliasesErrorsNameFileAndLine) {
  struct Row {
    std::string_view text;
    std::string_view prefix;
  };
  const Row rows[] = {
      {"a: b\nno colon here\n", "aliases:2: "},
      {"  leading continuation\n", "aliases:1: "},
      {"a: b\n\n: nobody\n", "aliases:3: "},
      {"a: b\nempty:\n", "aliases:2: "},
  };
  for (const Row& row : rows) {
    auto table = parse_aliases(row.text, "aliases");
    ASSERT_FALSE(table.ok()) << row.text;
    EXPECT_EQ(table.error().message.rfind(row.prefix, 0), 0u) << table.error().message;
  }
}

TEST(RecipientDirectoryTest, PasswdFile) {
  auto users = parse_passwd_file(
      "# users\n"
      "\n"
      "User@Example.org:{PLAIN}x:1000:1000::/home/u::\n"
      "bare\n"
      "nopass::1001:1001\n"
      "carol:{SHA512-CRYPT}$6$abc:1002:1002:Carol:/srv/carol:/bin/false:extra\n",
      "users");
  ASSERT_TRUE(users.ok()) << users.error().message;
  ASSERT_EQ(users->size(), 4u);
  EXPECT_EQ((*users)[0].name, "user@example.org");
  EXPECT_EQ((*users)[0].password, "{PLAIN}x");
  EXPECT_EQ((*users)[0].home, "/home/u");
  EXPECT_EQ((*users)[1].name, "bare");
  EXPECT_EQ((*users)[1].password, "");
  EXPECT_EQ((*users)[1].home, "");
  EXPECT_EQ((*users)[2].name, "nopass");
  EXPECT_EQ((*users)[2].password, "");
  EXPECT_EQ((*users)[3].password, "{SHA512-CRYPT}$6$abc");
  EXPECT_EQ((*users)[3].home, "/srv/carol");
}

TEST(RecipientDirectoryTest, PasswdFileBadNames) {
  for (std::string_view line :
       {":pw", "a/b:pw", "a b:pw", ".hidden:pw", "@example.org:pw", "user@:pw", "../etc:pw"}) {
    std::string text = "good:x\n" + std::string(line) + "\n";
    auto users = parse_passwd_file(text, "users");
    ASSERT_FALSE(users.ok()) << line;
    EXPECT_EQ(users.error().message.rfind("users:2: ", 0), 0u) << users.error().message;
  }
}

Config test_config() {
  Config config;
  config.mydestination = {"example.org", "localhost"};
  config.myorigin = "example.org";
  config.recipient_delimiter = "+";
  config.mail_root = "/var/mail/tern";
  config.home_mailbox = "Maildir/";
  return config;
}

RecipientDirectory test_directory(std::string_view aliases_text) {
  std::vector<LocalUser> users = {
      {"alice@example.org", "", ""},
      {"bob", "", ""},
      {"homer@example.org", "", "/home/homer"},
      {"root@example.org", "", ""},
      {"admin@example.org", "", ""},
  };
  return RecipientDirectory(test_config(), std::move(users), aliases_ok(aliases_text));
}

TEST(RecipientDirectoryTest, RecipientExists) {
  RecipientDirectory directory = test_directory("sales: alice\nroot: admin\n");
  struct Row {
    std::string_view local;
    std::string_view domain;
    Lookup expected;
  };
  const Row rows[] = {
      {"alice", "example.org", Lookup::Found},
      {"ALICE", "Example.ORG", Lookup::Found},
      {"alice+news", "example.org", Lookup::Found},
      {"alice+", "example.org", Lookup::Found},
      {"alice", "localhost", Lookup::NotFound},  // qualified user: other domain is someone else
      {"bob", "example.org", Lookup::Found},     // bare user: every local domain
      {"bob", "localhost", Lookup::Found},
      {"sales", "localhost", Lookup::Found},
      {"sales+q1", "example.org", Lookup::Found},
      {"mallory", "example.org", Lookup::NotFound},
      {"mallory+alice", "example.org", Lookup::NotFound},
      {"postmaster", "example.org", Lookup::Found},
      {"PostMaster", "localhost", Lookup::Found},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(directory.recipient_exists(row.local, row.domain), row.expected)
        << row.local << "@" << row.domain;
  }
}

TEST(RecipientDirectoryTest, DelimiterDisabledMeansNoSubaddressing) {
  Config config = test_config();
  config.recipient_delimiter = "";
  RecipientDirectory directory(config, {{"alice@example.org", "", ""}}, {});
  EXPECT_EQ(directory.recipient_exists("alice", "example.org"), Lookup::Found);
  EXPECT_EQ(directory.recipient_exists("alice+tag", "example.org"), Lookup::NotFound);
}

TEST(RecipientDirectoryTest, LocalDomains) {
  RecipientDirectory directory = test_directory("");
  EXPECT_TRUE(directory.is_local_domain("example.org"));
  EXPECT_TRUE(directory.is_local_domain("LOCALHOST"));
  EXPECT_FALSE(directory.is_local_domain("example.com"));
  EXPECT_FALSE(directory.is_local_domain("sub.example.org"));
  EXPECT_FALSE(directory.is_local_domain(""));
}

std::vector<std::pair<std::string, std::string>> maildirs_and_addresses(const Expansion& e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const DeliveryTarget& target : e.targets) out.emplace_back(target.maildir, target.address);
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(RecipientDirectoryTest, ExpandDirectUsers) {
  RecipientDirectory directory = test_directory("");
  Expansion alice = directory.expand("Alice", "example.org");
  EXPECT_EQ(alice.status, Lookup::Found);
  ASSERT_EQ(alice.targets.size(), 1u);
  EXPECT_EQ(alice.targets[0].user, "alice@example.org");
  EXPECT_EQ(alice.targets[0].maildir, "/var/mail/tern/example.org/alice/Maildir/");
  EXPECT_EQ(alice.targets[0].address, "alice@example.org");

  // A bare user's Maildir is under myorigin, whichever local domain the mail was addressed to.
  Expansion bob = directory.expand("bob+tag", "localhost");
  EXPECT_EQ(bob.status, Lookup::Found);
  ASSERT_EQ(bob.targets.size(), 1u);
  EXPECT_EQ(bob.targets[0].user, "bob");
  EXPECT_EQ(bob.targets[0].maildir, "/var/mail/tern/example.org/bob/Maildir/");

  Expansion homer = directory.expand("homer", "example.org");
  ASSERT_EQ(homer.targets.size(), 1u);
  EXPECT_EQ(homer.targets[0].maildir, "/home/homer/Maildir/");
}

TEST(RecipientDirectoryTest, ExpandHomeMailboxWithoutTrailingSlash) {
  Config config = test_config();
  config.home_mailbox = "Mail";
  RecipientDirectory directory(config, {{"homer@example.org", "", "/home/homer/"}}, {});
  Expansion homer = directory.expand("homer", "example.org");
  ASSERT_EQ(homer.targets.size(), 1u);
  EXPECT_EQ(homer.targets[0].maildir, "/home/homer/Mail/");
}

TEST(RecipientDirectoryTest, ExpandAliases) {
  RecipientDirectory directory = test_directory(
      "a: b\n"
      "b: alice\n"
      "team: alice, bob, homer\n"
      "dup: alice, a, alice@example.org\n"
      "twice: team, team\n"
      "root: root, admin\n"
      "forward: someone@remote.example, alice\n"
      "tagged: alice+lists\n");
  struct Row {
    std::string_view local;
    Pairs expected;
  };
  const std::string alice = "/var/mail/tern/example.org/alice/Maildir/";
  const std::string bob = "/var/mail/tern/example.org/bob/Maildir/";
  const std::string root = "/var/mail/tern/example.org/root/Maildir/";
  const std::string admin = "/var/mail/tern/example.org/admin/Maildir/";
  const Row rows[] = {
      {"a", {{alice, "alice@example.org"}}},  // a -> b -> alice
      {"a+x", {{alice, "alice@example.org"}}},
      {"team",
       {{alice, "alice@example.org"},
        {bob, "bob@example.org"},
        {"/home/homer/Maildir/", "homer@example.org"}}},
      {"dup", {{alice, "alice@example.org"}}},  // one copy per Maildir
      {"twice",
       {{alice, "alice@example.org"},
        {bob, "bob@example.org"},
        {"/home/homer/Maildir/", "homer@example.org"}}},
      {"root", {{root, "root@example.org"}, {admin, "admin@example.org"}}},
      {"forward", {{"", "someone@remote.example"}, {alice, "alice@example.org"}}},
      {"tagged", {{alice, "alice+lists@example.org"}}},
  };
  for (const Row& row : rows) {
    Expansion expansion = directory.expand(row.local, "example.org");
    EXPECT_EQ(expansion.status, Lookup::Found) << row.local << ": " << expansion.error;
    EXPECT_EQ(maildirs_and_addresses(expansion), row.expected) << row.local;
  }
  Expansion forward = directory.expand("forward", "example.org");
  ASSERT_FALSE(forward.targets.empty());
  EXPECT_EQ(forward.targets[0].user, "");
}

TEST(RecipientDirectoryTest, ExpandLoopsAndUnknowns) {
  RecipientDirectory directory = test_directory(
      "a: b\n"
      "b: a\n"
      "self: self\n"
      "c: c2\n"
      "c2: c\n"
      "deep: a\n"
      "dangling: nobody\n");
  for (std::string_view local : {"a", "b", "deep", "c"}) {
    Expansion expansion = directory.expand(local, "example.org");
    EXPECT_EQ(expansion.status, Lookup::NotFound) << local;
    EXPECT_TRUE(expansion.targets.empty()) << local;
    EXPECT_NE(expansion.error.find("loop"), std::string::npos) << local << ": " << expansion.error;
  }
  Expansion self = directory.expand("self", "example.org");
  EXPECT_EQ(self.status, Lookup::NotFound);
  EXPECT_FALSE(self.error.empty());

  Expansion unknown = directory.expand("mallory", "example.org");
  EXPECT_EQ(unknown.status, Lookup::NotFound);
  EXPECT_TRUE(unknown.targets.empty());

  EXPECT_EQ(directory.expand("dangling", "example.org").status, Lookup::NotFound);
}

TEST(RecipientDirectoryTest, AliasChainDepthIsBounded) {
  std::string text;
  for (int i = 0; i < 30; ++i)
    text += "l" + std::to_string(i) + ": l" + std::to_string(i + 1) + "\n";
  text += "l30: alice\n";
  RecipientDirectory directory = test_directory(text);
  Expansion expansion = directory.expand("l0", "example.org");
  EXPECT_NE(expansion.status, Lookup::Found);
  EXPECT_FALSE(expansion.error.empty());
  EXPECT_EQ(directory.expand("l20", "example.org").status, Lookup::Found);
}

// Found while writing fuzz/aliases (a crafted table took 79 s): an alias reached again through
// another branch was expanded again, so twelve levels naming the next one four times meant 4^12
// visits.
TEST(RecipientDirectoryTest, AliasFanOutIsExpandedOnce) {
  std::string text;
  for (int i = 0; i < 12; ++i) {
    std::string next = "f" + std::to_string(i + 1);
    text += "f" + std::to_string(i) + ": " + next + ", " + next + ", " + next + ", " + next + "\n";
  }
  text += "f12: alice, friend@remote.example\n";
  RecipientDirectory directory = test_directory(text);
  Expansion expansion = directory.expand("f0", "example.org");
  ASSERT_EQ(expansion.status, Lookup::Found) << expansion.error;
  ASSERT_EQ(expansion.targets.size(), 2u);
  EXPECT_EQ(expansion.targets[0].user, "alice@example.org");
  EXPECT_EQ(expansion.targets[1].address, "friend@remote.example");
}

TEST(RecipientDirectoryTest, PostmasterFallsBackToRoot) {
  Expansion via_alias = test_directory("root: admin\n").expand("postmaster", "example.org");
  EXPECT_EQ(via_alias.status, Lookup::Found) << via_alias.error;
  EXPECT_EQ(maildirs_and_addresses(via_alias),
            (Pairs{{"/var/mail/tern/example.org/admin/Maildir/", "admin@example.org"}}));

  Expansion via_user = test_directory("").expand("postmaster", "example.org");
  EXPECT_EQ(via_user.status, Lookup::Found) << via_user.error;
  EXPECT_EQ(maildirs_and_addresses(via_user),
            (Pairs{{"/var/mail/tern/example.org/root/Maildir/", "root@example.org"}}));

  Expansion own_alias =
      test_directory("postmaster: alice\nroot: admin\n").expand("postmaster", "example.org");
  EXPECT_EQ(maildirs_and_addresses(own_alias),
            (Pairs{{"/var/mail/tern/example.org/alice/Maildir/", "alice@example.org"}}));
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tern-recipient-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  std::string write(const std::string& name, std::string_view text) const {
    std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(RecipientDirectoryTest, LoadWithMissingFilesIsUnavailable) {
  Config config = test_config();
  config.alias_maps = {{"hash", "/nonexistent/tern-test/aliases"}};
  config.local_recipient_maps = {{"passwd-file", "/nonexistent/tern-test/users"},
                                 {"hash", "/nonexistent/tern-test/aliases"}};
  std::vector<Diagnostic> diagnostics;
  RecipientDirectory directory = RecipientDirectory::load(config, diagnostics);
  EXPECT_EQ(directory.recipient_exists("alice", "example.org"), Lookup::Unavailable);
  EXPECT_EQ(directory.recipient_exists("postmaster", "example.org"), Lookup::Found);
  Expansion expansion = directory.expand("alice", "example.org");
  EXPECT_EQ(expansion.status, Lookup::Unavailable);
  EXPECT_FALSE(expansion.error.empty());
  ASSERT_EQ(diagnostics.size(), 2u);  // the alias table is read once
  for (const Diagnostic& diagnostic : diagnostics) {
    EXPECT_EQ(diagnostic.level, Diagnostic::Level::Warning);
    EXPECT_NE(diagnostic.text.find("unavailable"), std::string::npos) << diagnostic.text;
  }
}

TEST(RecipientDirectoryTest, LoadFromFiles) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string users =
      dir.write("users", "alice@example.org:{PLAIN}x:1000:1000::/home/alice::\nbob\n");
  std::string aliases =
      dir.write("aliases", "postmaster: root\nroot: bob\nlist: alice, |/bin/cat\n");
  Config config = test_config();
  config.alias_maps = {{"texthash", aliases}};
  config.local_recipient_maps = {{"passwd-file", users}, {"hash", aliases}};
  std::vector<Diagnostic> diagnostics;
  RecipientDirectory directory = RecipientDirectory::load(config, diagnostics);
  EXPECT_EQ(directory.recipient_exists("alice", "example.org"), Lookup::Found);
  EXPECT_EQ(directory.recipient_exists("bob+x", "localhost"), Lookup::Found);
  EXPECT_EQ(directory.recipient_exists("root", "example.org"), Lookup::Found);
  EXPECT_EQ(directory.recipient_exists("mallory", "example.org"), Lookup::NotFound);
  Expansion list = directory.expand("list", "example.org");
  EXPECT_EQ(maildirs_and_addresses(list), (Pairs{{"/home/alice/Maildir/", "alice@example.org"}}));
  Expansion postmaster = directory.expand("postmaster", "example.org");
  EXPECT_EQ(maildirs_and_addresses(postmaster),
            (Pairs{{"/var/mail/tern/example.org/bob/Maildir/", "bob@example.org"}}));
  // The refused "|/bin/cat" is reported once, with the alias file and line.
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].file, aliases);
  EXPECT_EQ(diagnostics[0].line, 3);
}

TEST(RecipientDirectoryTest, LoadWithABrokenTableIsUnavailable) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string users = dir.write("users", "alice@example.org\nbad name:x\n");
  Config config = test_config();
  config.local_recipient_maps = {{"passwd-file", users}};
  std::vector<Diagnostic> diagnostics;
  RecipientDirectory directory = RecipientDirectory::load(config, diagnostics);
  EXPECT_EQ(directory.recipient_exists("alice", "example.org"), Lookup::Unavailable);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].text.find(":2:"), std::string::npos) << diagnostics[0].text;
}

}  // namespace
}  // namespace tern::config
