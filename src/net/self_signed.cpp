// Self-signed certificate creation with OpenSSL 3 (EVP_PKEY_Q_keygen, X509 v3 extensions). The key
// is written to a temporary file created 0600 and renamed into place, so it is never readable by
// others, not even for a moment.
#include "net/self_signed.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace tern::net {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FileClose {
  void operator()(FILE* file) const { std::fclose(file); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using FilePtr = std::unique_ptr<FILE, FileClose>;

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return false;
  bool added = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return added;
}

Result<CertPtr> make_certificate(EVP_PKEY* key, const std::string& hostname) {
  CertPtr cert(X509_new());
  if (!cert) return Error{"cannot allocate a certificate"};
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  std::FILE* random = std::fopen("/dev/urandom", "rb");
  bool have_serial =
      random != nullptr && std::fread(serial, 1, sizeof serial, random) == sizeof serial;
  if (random != nullptr) std::fclose(random);
  if (!have_serial) return Error{"cannot read /dev/urandom for a serial number"};
  serial[0] &= 0x7f;  // a positive INTEGER
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get()));
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("tern self-signed"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  bool extended = add_extension(cert.get(), NID_subject_alt_name, "DNS:" + hostname) &&
                  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
                  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature") &&
                  add_extension(cert.get(), NID_ext_key_usage, "serverAuth") &&
                  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  if (!extended) return Error{"cannot add certificate extensions"};
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return Error{"cannot sign the certificate"};
  return cert;
}

// Writes with `write` into path.tmp (created with `mode`), then renames over path.
template <class Write>
Status write_pem(const std::string& path, mode_t mode, Write write) {
  std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Error{fmt::format("{}: {}", temporary, std::strerror(errno))};
  FilePtr file(::fdopen(fd, "w"));
  if (!file) {
    ::close(fd);
    return Error{fmt::format("{}: {}", temporary, std::strerror(errno))};
  }
  bool written = write(file.get()) == 1 && std::fflush(file.get()) == 0 && ::fsync(fd) == 0;
  file.reset();
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return Error{fmt::format("cannot write {}", path)};
  }
  return ok_status();
}

}  // namespace

Result<CertificateFiles> ensure_self_signed_certificate(const std::string& directory,
                                                        const std::string& hostname) {
  CertificateFiles files{directory + "/self-signed.crt", directory + "/self-signed.key", false};
  std::error_code error;
  if (std::filesystem::exists(files.certificate, error) &&
      std::filesystem::exists(files.key, error)) {
    return files;
  }
  std::filesystem::create_directories(directory, error);
  if (error) return Error{fmt::format("{}: {}", directory, error.message())};
  ::chmod(directory.c_str(), 0700);

  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Error{"cannot generate a private key"};
  auto cert = make_certificate(key.get(), hostname);
  if (!cert) return cert.error();
  Status key_written = write_pem(files.key, 0600, [&](FILE* file) {
    return PEM_write_PrivateKey(file, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!key_written) return key_written.error();
  Status cert_written = write_pem(files.certificate, 0644,
                                  [&](FILE* file) { return PEM_write_X509(file, cert->get()); });
  if (!cert_written) return cert_written.error();
  files.created = true;
  return files;
}

}  // namespace tern::net
