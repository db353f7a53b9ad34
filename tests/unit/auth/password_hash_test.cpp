// password_hash: every scheme verified against hashes made by libxcrypt now and by Debian's
// mkpasswd earlier; wrong, empty and unknown never match; hash_password makes yescrypt.
#include "auth/password_hash.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tern::auth {
namespace {

constexpr std::string_view kPassword = "correct horse";

// Made with `echo 'correct horse' | mkpasswd -s -m METHOD` (Debian 12, whois 5.5.17).
constexpr std::string_view kMkpasswdYescrypt =  // -m yescrypt
    "$y$j9T$cg/G4ikk7AftOa7kM8gCL/$1Co5WnArO8kI8UM5ILrKV8SQerl6c/9Qyjm3jvGIEf4";
constexpr std::string_view kMkpasswdBcrypt =  // -m bcrypt
    "$2b$05$yob8ahL1mNuvnsH/hTYcS.sijPSr.TbApog.lJZaclChwrtxzUc9i";
constexpr std::string_view kMkpasswdSha512 =  // -m sha512crypt
    "$6$QiR5d02vrXkZb1wF$rndlHEeOyzALxJxsqa6tMzFLodEVuG2GMXu6yHhEXuxOwy4."
    "mP7vLYzmkRXpp6R6fmRSpeWffC21JHG1rsys..";
constexpr std::string_view kMkpasswdSha256 =  // -m sha256crypt
    "$5$Mg.ZfQlBINXYg4Z3$PRcVnP9aeYC8IBvqL9i2PM8dS7aapICnZS3xO2rZ1DC";
constexpr std::string_view kMkpasswdMd5 =  // -m md5crypt
    "$1$EFd1s2zU$50505m7zgUgJ.pTIdm9eM0";

// A hash made now by libxcrypt for `prefix` ("$y$", "$2b$", ...) at its default cost.
std::string crypt_now(std::string_view password, const char* prefix) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(prefix, 0, nullptr, 0, setting, sizeof(setting)) == nullptr) return {};
  auto data = std::make_unique<crypt_data>();
  const char* hashed = crypt_rn(std::string(password).c_str(), setting, data.get(),
                                static_cast<int>(sizeof(crypt_data)));
  return hashed == nullptr ? std::string() : std::string(hashed);
}

std::string with(std::string_view scheme, std::string_view value) {
  return "{" + std::string(scheme) + "}" + std::string(value);
}

TEST(PasswordHashTest, VerifiesHashesMadeByLibxcryptNow) {
  struct Case {
    const char* prefix;
    const char* scheme;
  };
  for (const Case& c :
       {Case{"$y$", "CRYPT"}, Case{"$2b$", "BLF-CRYPT"}, Case{"$2y$", "BLF-CRYPT"},
        Case{"$6$", "SHA512-CRYPT"}, Case{"$5$", "SHA256-CRYPT"}, Case{"$1$", "MD5-CRYPT"}}) {
    SCOPED_TRACE(c.prefix);
    std::string hashed = crypt_now(kPassword, c.prefix);
    ASSERT_TRUE(hashed.starts_with(c.prefix)) << hashed;
    EXPECT_TRUE(verify_password(kPassword, with(c.scheme, hashed)));
    EXPECT_TRUE(verify_password(kPassword, with("CRYPT", hashed)));
    EXPECT_TRUE(verify_password(kPassword, hashed));  // bare: Dovecot's default scheme CRYPT
    EXPECT_FALSE(verify_password("correct horse ", with(c.scheme, hashed)));
    EXPECT_FALSE(verify_password("", with(c.scheme, hashed)));
  }
}

TEST(PasswordHashTest, VerifiesHashesMadeByMkpasswd) {
  EXPECT_TRUE(verify_password(kPassword, with("CRYPT", kMkpasswdYescrypt)));
  EXPECT_TRUE(verify_password(kPassword, with("BLF-CRYPT", kMkpasswdBcrypt)));
  EXPECT_TRUE(verify_password(kPassword, with("SHA512-CRYPT", kMkpasswdSha512)));
  EXPECT_TRUE(verify_password(kPassword, with("SHA256-CRYPT", kMkpasswdSha256)));
  EXPECT_TRUE(verify_password(kPassword, with("MD5-CRYPT", kMkpasswdMd5)));
  EXPECT_TRUE(verify_password(kPassword, kMkpasswdYescrypt));
  EXPECT_TRUE(verify_password(kPassword, kMkpasswdSha512));
  // Scheme names are case-insensitive in Dovecot.
  EXPECT_TRUE(verify_password(kPassword, with("crypt", kMkpasswdBcrypt)));
  EXPECT_TRUE(verify_password(kPassword, with("Sha512-Crypt", kMkpasswdSha512)));
}

TEST(PasswordHashTest, WrongPasswordsFail) {
  for (std::string_view hashed :
       {kMkpasswdYescrypt, kMkpasswdBcrypt, kMkpasswdSha512, kMkpasswdSha256, kMkpasswdMd5}) {
    SCOPED_TRACE(hashed);
    EXPECT_FALSE(verify_password("correct horsE", with("CRYPT", hashed)));
    EXPECT_FALSE(verify_password("correct", with("CRYPT", hashed)));
    EXPECT_FALSE(verify_password("", with("CRYPT", hashed)));
    EXPECT_FALSE(verify_password(std::string(kPassword) + '\0', with("CRYPT", hashed)));
  }
}

TEST(PasswordHashTest, AlteredHashesFail) {
  std::string hashed(kMkpasswdSha512);
  hashed.back() = hashed.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password(kPassword, with("CRYPT", hashed)));
  // A truncated hash: libxcrypt recomputes the full one, which must not be accepted as a prefix.
  std::string truncated(kMkpasswdSha256.substr(0, kMkpasswdSha256.size() - 4));
  EXPECT_FALSE(verify_password(kPassword, with("CRYPT", truncated)));
  // Locked entries, as in /etc/shadow.
  EXPECT_FALSE(verify_password(kPassword, with("CRYPT", "!" + std::string(kMkpasswdYescrypt))));
  EXPECT_FALSE(verify_password(kPassword, with("CRYPT", "*")));
  EXPECT_FALSE(verify_password(kPassword, with("CRYPT", "$y$garbage")));
}

TEST(PasswordHashTest, PlainAndCleartextCompareDirectly) {
  EXPECT_TRUE(verify_password("secret", "{PLAIN}secret"));
  EXPECT_TRUE(verify_password("secret", "{CLEARTEXT}secret"));
  EXPECT_TRUE(verify_password("se:cr{et}", "{plain}se:cr{et}"));
  EXPECT_FALSE(verify_password("Secret", "{PLAIN}secret"));
  EXPECT_FALSE(verify_password("secret2", "{PLAIN}secret"));
  EXPECT_FALSE(verify_password("secre", "{PLAIN}secret"));
  EXPECT_FALSE(verify_password("", "{PLAIN}secret"));
  // The value is taken literally, never as a hash.
  EXPECT_FALSE(verify_password(kPassword, with("PLAIN", kMkpasswdSha512)));
  EXPECT_TRUE(verify_password(kMkpasswdSha512, with("PLAIN", kMkpasswdSha512)));
}

TEST(PasswordHashTest, EmptyAndUnknownNeverMatch) {
  for (std::string_view stored : {"", "{PLAIN}", "{CLEARTEXT}", "{CRYPT}", "{}", "{SSHA}", "{}x"}) {
    SCOPED_TRACE(stored);
    EXPECT_FALSE(verify_password("", stored));
    EXPECT_FALSE(verify_password("x", stored));
    EXPECT_FALSE(verify_password("{}x", stored));
  }
  // Schemes tern does not implement, even when the value happens to be the password.
  EXPECT_FALSE(verify_password("secret", "{SSHA}secret"));
  EXPECT_FALSE(verify_password("secret", "{PLAIN-MD5}secret"));
  EXPECT_FALSE(verify_password("secret", "{PLAIN.b64}secret"));
  // A bare value that is not a modular crypt hash: not plain text, not DES crypt.
  EXPECT_FALSE(verify_password("secret", "secret"));
  EXPECT_FALSE(verify_password("secret", "{PLAINsecret"));
  EXPECT_FALSE(verify_password("password", "abJnggxhB/yJU"));
}

TEST(PasswordHashTest, SchemeOfStoredPasswords) {
  EXPECT_EQ(scheme_of(""), PasswordScheme::Empty);
  EXPECT_EQ(scheme_of("{CRYPT}"), PasswordScheme::Empty);
  EXPECT_EQ(scheme_of("{PLAIN}"), PasswordScheme::Empty);
  EXPECT_EQ(scheme_of("{PLAIN}secret"), PasswordScheme::Plain);
  EXPECT_EQ(scheme_of("{cleartext}secret"), PasswordScheme::Plain);
  EXPECT_EQ(scheme_of(with("CRYPT", kMkpasswdYescrypt)), PasswordScheme::Crypt);
  EXPECT_EQ(scheme_of(with("BLF-CRYPT", kMkpasswdBcrypt)), PasswordScheme::Crypt);
  EXPECT_EQ(scheme_of(with("SHA512-CRYPT", kMkpasswdSha512)), PasswordScheme::Crypt);
  EXPECT_EQ(scheme_of(with("SHA256-CRYPT", kMkpasswdSha256)), PasswordScheme::Crypt);
  EXPECT_EQ(scheme_of(with("MD5-CRYPT", kMkpasswdMd5)), PasswordScheme::Crypt);
  EXPECT_EQ(scheme_of(kMkpasswdYescrypt), PasswordScheme::Crypt);
  EXPECT_EQ(scheme_of("{SSHA}abc"), PasswordScheme::Unknown);
  EXPECT_EQ(scheme_of("secret"), PasswordScheme::Unknown);
}

TEST(PasswordHashTest, HashPasswordMakesYescryptThatVerifies) {
  auto hashed = hash_password(kPassword);
  ASSERT_TRUE(hashed.ok()) << hashed.error().message;
  EXPECT_TRUE(hashed->starts_with("{CRYPT}$y$")) << *hashed;
  EXPECT_EQ(hashed->find_first_of(":\n\r \t"), std::string::npos);
  EXPECT_EQ(scheme_of(*hashed), PasswordScheme::Crypt);
  EXPECT_TRUE(verify_password(kPassword, *hashed));
  EXPECT_FALSE(verify_password("correct horse!", *hashed));
  // Salted: the same password never hashes the same way twice.
  auto again = hash_password(kPassword);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hashed, *again);
  // Non-ASCII passwords are bytes like any other.
  auto utf8 = hash_password("pässwörd");
  ASSERT_TRUE(utf8.ok());
  EXPECT_TRUE(verify_password("pässwörd", *utf8));
  EXPECT_FALSE(verify_password("passwort", *utf8));
}

TEST(PasswordHashTest, HashPasswordRefusesEmptyAndNul) {
  auto empty = hash_password("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "empty password");
  auto nul = hash_password(std::string("a\0b", 3));
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().message, "password contains a NUL byte");
}

TEST(PasswordHashTest, SpendVerificationWorkRuns) {
  spend_verification_work(kPassword);  // first call also makes the dummy hash
  spend_verification_work("");
  spend_verification_work("anything at all");
}

TEST(PasswordHashTest, VerifiesFromManyThreadsAtOnce) {
  std::string hashed = with("SHA512-CRYPT", kMkpasswdSha512);
  std::string other = "{CRYPT}" + crypt_now("other password", "$6$");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (!verify_password(kPassword, hashed)) ++failures;
        if (verify_password(kPassword, other)) ++failures;
        if (!verify_password("other password", other)) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace tern::auth
