// The server's TLS context (OpenSSL 3 through asio::ssl): TLS 1.2 and 1.3 only, the server's cipher
// order, a session cache and tickets for resumption, no renegotiation. One context is shared by
// every thread; certificates are read once at start, before privileges are dropped.
#pragma once

#include <openssl/ssl.h>

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace tern::net {

struct TlsServerSettings {
  std::string certificate_file;  // PEM, may hold the chain after the leaf
  std::string key_file;
  std::vector<std::string> chain_files;  // Postfix smtpd_tls_chain_files: key and chain in one file
  int minimum_version = TLS1_2_VERSION;
  int maximum_version = TLS1_3_VERSION;
  std::string cipherlist;  // TLS 1.2 ciphers; TLS 1.3 suites stay OpenSSL's (all are AEAD)
};

Result<std::shared_ptr<asio::ssl::context>> make_server_tls_context(
    const TlsServerSettings& settings);

// As Postfix logs and writes in Received: "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256
// bits)".
std::string describe_tls_session(const SSL* ssl);

// The SMTP client's TLS context (outbound delivery, `tern send`): TLS 1.2 or newer, no
// compression or renegotiation, and the system CA store (plus `ca_file`/`ca_path`, Postfix
// smtp_tls_CAfile/smtp_tls_CApath) for the certificate checks of policy `verify`.
struct TlsClientSettings {
  int minimum_version = TLS1_2_VERSION;
  std::string ca_file;  // PEM bundle trusted in addition to the system store
  std::string ca_path;  // c_rehash'd directory trusted in addition to the system store
  bool system_ca_store = true;
};

Result<std::shared_ptr<asio::ssl::context>> make_client_tls_context(
    const TlsClientSettings& settings = {});

}  // namespace tern::net
