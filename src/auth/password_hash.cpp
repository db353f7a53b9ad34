// Password verification and hashing over libxcrypt's reentrant crypt_rn: the crypt_data scratch
// area (about 32 KiB) is allocated per call and wiped after, so no state is shared between threads
// and no hash output lingers. Comparisons digest both sides with SHA-256 and compare the digests
// with CRYPTO_memcmp, so their time depends neither on where the inputs differ nor on the stored
// value's length.
#include "auth/password_hash.hpp"

#include <crypt.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "base/strings.hpp"

namespace tern::auth {
namespace {

// Dovecot's schemes that are crypt(3) hashes under another name, and its clear-text schemes.
constexpr std::array<std::string_view, 5> kCryptSchemes = {"CRYPT", "BLF-CRYPT", "SHA512-CRYPT",
                                                           "SHA256-CRYPT", "MD5-CRYPT"};
constexpr std::array<std::string_view, 2> kPlainSchemes = {"PLAIN", "CLEARTEXT"};

// Used only when libxcrypt cannot make the dummy hash itself (made by `mkpasswd -m yescrypt` from
// random bytes nobody kept).
constexpr std::string_view kFallbackDummyHash =
    "$y$j9T$8XQkmFx5oFn6alK.OQGLa.$99ipHMrP/FgzuvjCNcRtkwJdfELeveRQ2Yem70qOju8";

struct StoredPassword {
  std::string_view scheme;  // without braces; empty when there was no "{SCHEME}" prefix
  std::string_view value;
  bool prefixed = false;
};

StoredPassword split_scheme(std::string_view stored) {
  if (!stored.empty() && stored.front() == '{') {
    std::size_t close = stored.find('}');
    if (close != std::string_view::npos) {
      return {stored.substr(1, close - 1), stored.substr(close + 1), true};
    }
  }
  return {{}, stored, false};
}

PasswordScheme classify(const StoredPassword& stored) {
  if (stored.value.empty()) return PasswordScheme::Empty;
  // Dovecot's default scheme for a bare value is CRYPT; we accept only modular crypt ("$id$"),
  // never the 13-character DES form.
  if (!stored.prefixed) {
    return stored.value.front() == '$' ? PasswordScheme::Crypt : PasswordScheme::Unknown;
  }
  for (std::string_view name : kCryptSchemes) {
    if (iequals(stored.scheme, name)) return PasswordScheme::Crypt;
  }
  for (std::string_view name : kPlainSchemes) {
    if (iequals(stored.scheme, name)) return PasswordScheme::Plain;
  }
  return PasswordScheme::Unknown;
}

using Digest = std::array<unsigned char, 32>;

bool sha256(std::string_view text, Digest& digest) {
  unsigned int size = 0;
  return EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) == 1 &&
         size == digest.size();
}

// Equal lengths and equal contents, decided without branching on either.
bool constant_time_equal(std::string_view a, std::string_view b) {
  Digest digest_a{}, digest_b{};
  bool digested = sha256(a, digest_a) & sha256(b, digest_b);
  bool same_length = a.size() == b.size();
  bool same_content = CRYPTO_memcmp(digest_a.data(), digest_b.data(), digest_a.size()) == 0;
  return digested & same_length & same_content;
}

// crypt(3) of `password` with `setting` (a salt or a whole hash); nullopt when libxcrypt refuses
// the setting (unknown or disabled method, locked "!" or "*" entries) or an input holds a NUL.
std::optional<std::string> run_crypt(std::string_view password, std::string_view setting) {
  if (password.find('\0') != std::string_view::npos ||
      setting.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string phrase(password);
  std::string salt(setting);
  auto data = std::make_unique<crypt_data>();
  const char* hashed =
      crypt_rn(phrase.c_str(), salt.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  std::optional<std::string> result;
  if (hashed != nullptr && hashed[0] != '*') result = std::string(hashed);
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return result;
}

// A yescrypt hash of libxcrypt's current default cost, made once per process.
const std::string& dummy_hash() {
  static const std::string hash = [] {
    auto made = hash_password("tern: a password no user has");
    return made ? made.value() : "{CRYPT}" + std::string(kFallbackDummyHash);
  }();
  return hash;
}

}  // namespace

PasswordScheme scheme_of(std::string_view stored) {
  return classify(split_scheme(stored));
}

bool verify_password(std::string_view password, std::string_view stored) {
  StoredPassword parts = split_scheme(stored);
  switch (classify(parts)) {
    case PasswordScheme::Crypt: {
      std::optional<std::string> hashed = run_crypt(password, parts.value);
      bool matches = hashed.has_value() && constant_time_equal(*hashed, parts.value);
      if (hashed) OPENSSL_cleanse(hashed->data(), hashed->size());
      return matches;
    }
    case PasswordScheme::Plain:
      return constant_time_equal(password, parts.value);
    case PasswordScheme::Unknown:
    case PasswordScheme::Empty:
      return false;
  }
  return false;
}

void spend_verification_work(std::string_view password) {
  static_cast<void>(verify_password(password, dummy_hash()));
}

Result<std::string> hash_password(std::string_view password) {
  if (password.empty()) return Error{"empty password"};
  if (password.find('\0') != std::string_view::npos) {
    return Error{"password contains a NUL byte"};
  }
  // A null rbytes lets libxcrypt draw the salt from the system's entropy source itself; a count
  // of 0 asks for its default cost.
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$y$", 0, nullptr, 0, setting, sizeof(setting)) == nullptr) {
    return Error{fmt::format("cannot make a yescrypt salt: {}", std::strerror(errno))};
  }
  std::optional<std::string> hashed = run_crypt(password, setting);
  if (!hashed) return Error{"yescrypt hashing failed"};
  return "{CRYPT}" + *hashed;
}

}  // namespace tern::auth
