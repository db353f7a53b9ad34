// Certificate facts from ternd's own self-signed certificate: names, validity, key, signature,
// self-signed, and trust with and without it in the store.
#include "net/certificate_facts.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "net/self_signed.hpp"

namespace tern::net {
namespace {

class CertificateFactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-certfacts-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    auto files = ensure_self_signed_certificate(root_, "mail.example.test");
    ASSERT_TRUE(files) << files.error().message;
    FILE* file = std::fopen(files->certificate.c_str(), "r");
    ASSERT_NE(file, nullptr);
    certificate_ = PEM_read_X509(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    ASSERT_NE(certificate_, nullptr);
  }
  void TearDown() override {
    X509_free(certificate_);
    std::filesystem::remove_all(root_);
  }
  std::string root_;
  X509* certificate_ = nullptr;
};

TEST_F(CertificateFactsTest, ReadsTheSelfSignedCertificate) {
  X509_STORE* store = X509_STORE_new();
  auto facts = certificate_facts(certificate_, store, nullptr);
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->common_name, "mail.example.test");
  EXPECT_NE(facts->subject.find("CN=mail.example.test"), std::string::npos) << facts->subject;
  EXPECT_EQ(facts->subject, facts->issuer);
  EXPECT_EQ(facts->dns_names, std::vector<std::string>{"mail.example.test"});
  EXPECT_TRUE(facts->ip_addresses.empty());
  EXPECT_TRUE(facts->self_signed);
  EXPECT_EQ(facts->key_type, "EC");
  EXPECT_EQ(facts->key_bits, 256);
  EXPECT_EQ(facts->signature_algorithm, "ecdsa-with-SHA256");
  std::int64_t now = std::time(nullptr);
  EXPECT_LE(facts->not_before, now + 60);
  EXPECT_GT(facts->not_after, now + 9LL * 365 * 86400);
  EXPECT_FALSE(facts->chain_trusted);
  EXPECT_EQ(facts->trust_error, "self-signed certificate");
  X509_STORE_free(store);
}

TEST_F(CertificateFactsTest, TrustedWhenTheStoreHoldsIt) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, certificate_);
  auto facts = certificate_facts(certificate_, store, nullptr);
  ASSERT_TRUE(facts);
  EXPECT_TRUE(facts->chain_trusted) << facts->trust_error;
  X509_STORE_free(store);
}

TEST_F(CertificateFactsTest, NoCertificateOrStore) {
  EXPECT_FALSE(certificate_facts(nullptr, nullptr, nullptr));
  auto facts = certificate_facts(certificate_, nullptr, nullptr);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->trust_error, "no CA store");
  EXPECT_FALSE(peer_certificate_facts(nullptr));
}

}  // namespace
}  // namespace tern::net
