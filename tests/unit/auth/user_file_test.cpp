// user_file: passwd-file edits keep every other byte (comments, blank lines, other users' extra
// fields, order, a missing final newline); names are validated; the file is replaced atomically
// with its mode, owner and symbolic link kept.
#include "auth/user_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/strings.hpp"
#include "config/recipient_directory.hpp"

namespace tern::auth {
namespace {

constexpr std::string_view kHash = "{CRYPT}$y$j9T$salt$hash";
constexpr std::string_view kNewHash = "{CRYPT}$y$j9T$other$value";

constexpr std::string_view kFile =
    "# Users of example.org\n"
    "\n"
    "alice@example.org:{CRYPT}$6$old$alice:1000:1000:Alice "
    "A.:/home/alice:/bin/sh:userdb_quota_rule=*:storage=1G\n"
    "   # indented comment\n"
    "Bob@Example.org:{PLAIN}bobpass::::/srv/bob::\n"
    "carol::::::\n"
    "dave@example.org\n";

TEST(UserNameTest, AcceptsAndLowerCases) {
  EXPECT_EQ(*normalize_user_name("alice@example.org"), "alice@example.org");
  EXPECT_EQ(*normalize_user_name("Alice@Example.ORG"), "alice@example.org");
  EXPECT_EQ(*normalize_user_name("postmaster"), "postmaster");
  EXPECT_EQ(*normalize_user_name("first.last+tag@mail.example.org"),
            "first.last+tag@mail.example.org");
  EXPECT_EQ(*normalize_user_name(std::string(64, 'a') + "@" + std::string(255, 'b')),
            std::string(64, 'a') + "@" + std::string(255, 'b'));
  EXPECT_EQ(*normalize_user_name("jörg@example.org"), "jörg@example.org");
}

TEST(UserNameTest, RefusesWithOneLineReasons) {
  struct Case {
    std::string name;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"", R"(invalid user name "": empty)"},
           {"a b@example.org", R"(invalid user name "a b@example.org": contains whitespace)"},
           {"a\tb", R"(invalid user name "a\tb": contains whitespace)"},
           {"a\nb", R"(invalid user name "a\nb": contains a control character)"},
           {"a\x7f", R"(invalid user name "a\x7f": contains a control character)"},
           {"a:b@example.org", R"(invalid user name "a:b@example.org": contains ':')"},
           {"../etc@example.org", R"(invalid user name "../etc@example.org": contains '/')"},
           {"@example.org", R"(invalid user name "@example.org": empty local part)"},
           {"alice@", R"(invalid user name "alice@": empty domain)"},
           {"a@b@c", R"(invalid user name "a@b@c": contains more than one '@')"},
           {".alice@example.org", R"(invalid user name ".alice@example.org": starts with '.')"},
           {"#alice", R"(invalid user name "#alice": starts with '#')"},
           {"alice@.example.org",
            R"(invalid user name "alice@.example.org": domain has an empty label)"},
           {"alice@example..org",
            R"(invalid user name "alice@example..org": domain has an empty label)"},
           {"alice@example.org.",
            R"(invalid user name "alice@example.org.": domain has an empty label)"},
           {std::string(65, 'a'), "invalid user name \"" + std::string(65, 'a') +
                                      "\": local part longer than 64 characters"},
           {"a@" + std::string(256, 'b'), "invalid user name \"a@" + std::string(256, 'b') +
                                              "\": domain longer than 255 characters"},
       }) {
    auto result = normalize_user_name(c.name);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.error().message, c.error);
    EXPECT_EQ(result.error().message.find('\n'), std::string::npos);
  }
}

TEST(UserFileTest, ListsNamesInFileOrderWithoutHashes) {
  EXPECT_EQ(list_users(kFile), (std::vector<std::string>{"alice@example.org", "bob@example.org",
                                                         "carol", "dave@example.org"}));
  EXPECT_TRUE(list_users("").empty());
  EXPECT_TRUE(list_users("# only a comment\n\n").empty());
  EXPECT_EQ(list_users("x@y:h"), std::vector<std::string>{"x@y"});
}

TEST(UserFileTest, HasUserIgnoresCaseAndComments) {
  EXPECT_TRUE(has_user(kFile, "bob@example.org"));
  EXPECT_TRUE(has_user(kFile, "ALICE@example.org"));
  EXPECT_FALSE(has_user(kFile, "users"));
  EXPECT_FALSE(has_user(kFile, "alice"));
  EXPECT_FALSE(has_user("#alice@example.org:x\n", "#alice@example.org"));
}

TEST(UserFileTest, AddAppendsAndKeepsEverythingElse) {
  auto edited = add_user(kFile, "Eve@Example.org", kHash);
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_EQ(*edited, std::string(kFile) + "eve@example.org:{CRYPT}$y$j9T$salt$hash::::::\n");
}

TEST(UserFileTest, AddToEmptyAndToAFileWithoutFinalNewline) {
  EXPECT_EQ(*add_user("", "alice", kHash), "alice:{CRYPT}$y$j9T$salt$hash::::::\n");
  EXPECT_EQ(*add_user("# users\nbob:x", "alice", kHash),
            "# users\nbob:x\nalice:{CRYPT}$y$j9T$salt$hash::::::\n");
}

TEST(UserFileTest, AddRefusesAnExistingUserInAnyCase) {
  for (std::string_view name :
       {"alice@example.org", "ALICE@example.org", "bob@example.org", "carol", "dave@example.org"}) {
    auto edited = add_user(kFile, name, kHash);
    ASSERT_FALSE(edited.ok()) << name;
    EXPECT_EQ(edited.error().message,
              fmt::format("user {} already exists", to_lower_ascii(std::string(name))));
  }
  // The same local part in another domain is another user.
  EXPECT_TRUE(add_user(kFile, "alice@example.net", kHash).ok());
  EXPECT_TRUE(add_user(kFile, "alice", kHash).ok());
}

TEST(UserFileTest, AddRefusesBadNamesAndHashes) {
  EXPECT_EQ(add_user(kFile, "a b", kHash).error().message,
            R"(invalid user name "a b": contains whitespace)");
  EXPECT_EQ(add_user(kFile, "eve", "").error().message, "empty password hash");
  for (std::string_view hash :
       std::vector<std::string_view>{"{PLAIN}a:b", "x\ny", "x\r", {"a\0b", 3}}) {
    EXPECT_EQ(add_user(kFile, "eve", hash).error().message,
              "password hash must not contain ':', NUL or a line break");
  }
}

TEST(UserFileTest, SetPasswordReplacesOnlyThePasswordField) {
  auto edited = set_password(kFile, "alice@example.org", kNewHash);
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  std::string expected(kFile);
  std::string old_line = "alice@example.org:{CRYPT}$6$old$alice:1000";
  expected.replace(expected.find(old_line), old_line.size(),
                   "alice@example.org:{CRYPT}$y$j9T$other$value:1000");
  EXPECT_EQ(*edited, expected);
}

TEST(UserFileTest, SetPasswordOnShortLinesAndOddSpacing) {
  // A mixed-case name in the file matches; the name as written stays.
  EXPECT_EQ(
      *set_password("Bob@Example.org:{PLAIN}bobpass::::/srv/bob::\n", "bob@example.org", kNewHash),
      "Bob@Example.org:{CRYPT}$y$j9T$other$value::::/srv/bob::\n");
  // Name only: the password field is added.
  EXPECT_EQ(*set_password("dave@example.org\n", "dave@example.org", kNewHash),
            "dave@example.org:{CRYPT}$y$j9T$other$value\n");
  EXPECT_EQ(*set_password("  dave  \r\n", "dave", kNewHash),
            "  dave:{CRYPT}$y$j9T$other$value  \r\n");
  // Name and password only, with and without trailing blanks and a final newline.
  EXPECT_EQ(*set_password("carol:old", "carol", kNewHash), "carol:{CRYPT}$y$j9T$other$value");
  EXPECT_EQ(*set_password("carol:old \r\n", "carol", kNewHash),
            "carol:{CRYPT}$y$j9T$other$value \r\n");
  // Empty password field.
  EXPECT_EQ(*set_password("carol::::::\n", "carol", kNewHash),
            "carol:{CRYPT}$y$j9T$other$value:::::\n");
  // CRLF lines elsewhere stay CRLF.
  EXPECT_EQ(*set_password("# x\r\ncarol:old:1:1::/h:\r\nbob:b\r\n", "carol", kNewHash),
            "# x\r\ncarol:{CRYPT}$y$j9T$other$value:1:1::/h:\r\nbob:b\r\n");
}

TEST(UserFileTest, SetPasswordUpdatesEveryLineOfADuplicatedUser) {
  EXPECT_EQ(*set_password("a:1\nb:2\nA:3:x\n", "a", kNewHash),
            "a:{CRYPT}$y$j9T$other$value\nb:2\nA:{CRYPT}$y$j9T$other$value:x\n");
}

TEST(UserFileTest, SetPasswordRefusesAMissingUser) {
  auto edited = set_password(kFile, "Eve@example.org", kNewHash);
  ASSERT_FALSE(edited.ok());
  EXPECT_EQ(edited.error().message, "user eve@example.org does not exist");
  // A commented-out user does not exist.
  EXPECT_FALSE(set_password("#eve:x\n", "eve", kNewHash).ok());
  EXPECT_EQ(set_password(kFile, "carol", "a:b").error().message,
            "password hash must not contain ':', NUL or a line break");
}

TEST(UserFileTest, RemoveDropsOnlyThatUsersLines) {
  auto edited = remove_user(kFile, "BOB@example.org");
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  std::string expected(kFile);
  std::string bob_line = "Bob@Example.org:{PLAIN}bobpass::::/srv/bob::\n";
  expected.erase(expected.find(bob_line), bob_line.size());
  EXPECT_EQ(*edited, expected);

  EXPECT_EQ(*remove_user("a:1\nb:2\na:3\n", "a"), "b:2\n");
  EXPECT_EQ(*remove_user("a:1\nb:2", "b"), "a:1\n");
  EXPECT_EQ(*remove_user("b:2", "b"), "");
}

TEST(UserFileTest, RemoveRefusesAMissingUser) {
  EXPECT_EQ(remove_user(kFile, "eve").error().message, "user eve does not exist");
  EXPECT_EQ(remove_user("", "eve").error().message, "user eve does not exist");
  EXPECT_EQ(remove_user(kFile, "a:b").error().message, R"(invalid user name "a:b": contains ':')");
}

TEST(UserFileTest, EditsStayReadableByTheDaemonsParser) {
  std::string text(kFile);
  text = *add_user(text, "eve@example.org", kHash);
  text = *set_password(text, "carol", kNewHash);
  text = *remove_user(text, "dave@example.org");
  auto users = config::parse_passwd_file(text, "users");
  ASSERT_TRUE(users.ok()) << users.error().message;
  ASSERT_EQ(users->size(), 4u);
  EXPECT_EQ((*users)[0].name, "alice@example.org");
  EXPECT_EQ((*users)[0].password, "{CRYPT}$6$old$alice");
  EXPECT_EQ((*users)[0].home, "/home/alice");
  EXPECT_EQ((*users)[1].home, "/srv/bob");
  EXPECT_EQ((*users)[2].name, "carol");
  EXPECT_EQ((*users)[2].password, kNewHash);
  EXPECT_EQ((*users)[3].name, "eve@example.org");
  EXPECT_EQ((*users)[3].password, kHash);
}

class WriteFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tern-user-file-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static mode_t mode_of(const std::string& path) {
    struct stat status {};
    EXPECT_EQ(::stat(path.c_str(), &status), 0);
    return status.st_mode & 07777;
  }
  std::size_t entries() const {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++count;
    return count;
  }

  std::string dir_;
};

TEST_F(WriteFileTest, NewFileGetsTheGivenModeWhateverTheUmask) {
  std::string path = dir_ + "/users";
  mode_t old_umask = ::umask(0077);
  ASSERT_TRUE(write_file_atomically(path, "alice::::::\n").ok());
  ::umask(old_umask);
  EXPECT_EQ(read(path), "alice::::::\n");
  EXPECT_EQ(mode_of(path), 0640u);
  ASSERT_TRUE(write_file_atomically(dir_ + "/other", "x", 0600).ok());
  EXPECT_EQ(mode_of(dir_ + "/other"), 0600u);
  EXPECT_EQ(entries(), 2u);  // no temporary file left behind
}

TEST_F(WriteFileTest, ExistingFileKeepsItsModeAndLosesItsOldContent) {
  std::string path = dir_ + "/users";
  std::ofstream(path) << "old content that is longer than the new one\n";
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  ASSERT_TRUE(write_file_atomically(path, "new\n", 0600).ok());
  EXPECT_EQ(read(path), "new\n");
  EXPECT_EQ(mode_of(path), 0604u);
  EXPECT_EQ(entries(), 1u);
}

TEST_F(WriteFileTest, ExistingFileKeepsItsOwnerWhenRunAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing owners needs root";
  std::string path = dir_ + "/users";
  std::ofstream(path) << "old\n";
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  ASSERT_TRUE(write_file_atomically(path, "new\n").ok());
  struct stat status {};
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_uid, 65534u);
  EXPECT_EQ(status.st_gid, 65534u);
}

TEST_F(WriteFileTest, ASymbolicLinkKeepsPointingAtTheRewrittenFile) {
  std::filesystem::create_directory(dir_ + "/real");
  std::string real = dir_ + "/real/users";
  std::ofstream(real) << "old\n";
  ASSERT_EQ(::chmod(real.c_str(), 0600), 0);
  std::string link = dir_ + "/users";
  std::filesystem::create_symlink("real/users", link);
  ASSERT_TRUE(write_file_atomically(link, "new\n").ok());
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(read(real), "new\n");
  EXPECT_EQ(mode_of(real), 0600u);
}

TEST_F(WriteFileTest, ErrorsNameThePath) {
  std::string path = dir_ + "/missing/users";
  auto written = write_file_atomically(path, "x");
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().message,
            "cannot create a temporary file for " + path + ": No such file or directory");
  auto directory = write_file_atomically(dir_, "x");
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().message, "cannot write " + dir_ + ": not a regular file");
}

}  // namespace
}  // namespace tern::auth
