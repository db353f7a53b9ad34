// The first-start certificate: made once, reused after, key private, names the host.
#include "net/self_signed.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace tern::net {
namespace {

class SelfSignedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(SelfSignedTest, CreatesOnceThenReuses) {
  auto first = ensure_self_signed_certificate(root_ + "/tls", "mail.example.test");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->created);
  struct stat key_stat {};
  ASSERT_EQ(::stat(first->key.c_str(), &key_stat), 0);
  EXPECT_EQ(key_stat.st_mode & 0777, 0600u);

  auto second = ensure_self_signed_certificate(root_ + "/tls", "mail.example.test");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->certificate, first->certificate);
}

TEST_F(SelfSignedTest, CertificateNamesTheHostAndMatchesTheKey) {
  auto files = ensure_self_signed_certificate(root_, "mail.example.test");
  ASSERT_TRUE(files) << files.error().message;
  std::FILE* cert_file = std::fopen(files->certificate.c_str(), "r");
  ASSERT_NE(cert_file, nullptr);
  X509* cert = PEM_read_X509(cert_file, nullptr, nullptr, nullptr);
  std::fclose(cert_file);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "mail.example.test", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(cert, "other.example.test", 0, 0, nullptr), 1);
  std::FILE* key_file = std::fopen(files->key.c_str(), "r");
  ASSERT_NE(key_file, nullptr);
  EVP_PKEY* key = PEM_read_PrivateKey(key_file, nullptr, nullptr, nullptr);
  std::fclose(key_file);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(cert, key), 1);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(cert)), 0);
  EVP_PKEY_free(key);
  X509_free(cert);
}

TEST_F(SelfSignedTest, UnwritableDirectoryIsAnError) {
  auto files = ensure_self_signed_certificate("/proc/tern-cannot-be-here", "mail.example.test");
  EXPECT_FALSE(files);
}

}  // namespace
}  // namespace tern::net
