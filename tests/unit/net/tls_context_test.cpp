// Building the server TLS context: every failure names what is wrong.
#include "net/tls_context.hpp"

#include <gtest/gtest.h>

namespace tern::net {
namespace {

TEST(TlsContextTest, MissingFilesAreNamedInTheError) {
  TlsServerSettings settings;
  settings.certificate_file = "/nonexistent/cert.pem";
  settings.key_file = "/nonexistent/key.pem";
  auto context = make_server_tls_context(settings);
  ASSERT_FALSE(context);
  EXPECT_NE(context.error().message.find("/nonexistent/cert.pem"), std::string::npos);
}

TEST(TlsContextTest, NoCertificateIsAnError) {
  auto context = make_server_tls_context(TlsServerSettings{});
  ASSERT_FALSE(context);
  EXPECT_EQ(context.error().message, "no TLS certificate configured");
}

TEST(TlsContextTest, BadCipherListIsAnError) {
  TlsServerSettings settings;
  settings.cipherlist = "NOT-A-CIPHER";
  auto context = make_server_tls_context(settings);
  ASSERT_FALSE(context);
  EXPECT_NE(context.error().message.find("NOT-A-CIPHER"), std::string::npos);
}

}  // namespace
}  // namespace tern::net
