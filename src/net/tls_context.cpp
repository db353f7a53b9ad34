// Building the server TLS context. Every failure names the file and OpenSSL's reason, because a
// bad certificate path is the most common TLS start-up problem.
#include "net/tls_context.hpp"

#include <fmt/format.h>
#include <openssl/err.h>

namespace tern::net {
namespace {

std::string openssl_reason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

Status load_pair(SSL_CTX* context, const std::string& certificate, const std::string& key) {
  if (SSL_CTX_use_certificate_chain_file(context, certificate.c_str()) != 1) {
    return Error{fmt::format("cannot load certificate {}: {}", certificate, openssl_reason())};
  }
  if (SSL_CTX_use_PrivateKey_file(context, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Error{fmt::format("cannot load private key {}: {}", key, openssl_reason())};
  }
  if (SSL_CTX_check_private_key(context) != 1) {
    return Error{fmt::format("private key {} does not match certificate {}", key, certificate)};
  }
  return ok_status();
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> make_server_tls_context(
    const TlsServerSettings& settings) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, settings.minimum_version);
  SSL_CTX_set_max_proto_version(native, settings.maximum_version);
  SSL_CTX_set_options(
      native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (!settings.cipherlist.empty() &&
      SSL_CTX_set_cipher_list(native, settings.cipherlist.c_str()) != 1) {
    return Error{fmt::format("bad TLS cipher list {}: {}", settings.cipherlist, openssl_reason())};
  }
  static const unsigned char kSessionContext[] = "ternd";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_timeout(native, 3600);

  if (!settings.certificate_file.empty()) {
    Status loaded = load_pair(native, settings.certificate_file, settings.key_file);
    if (!loaded) return loaded.error();
  }
  for (const std::string& file : settings.chain_files) {
    Status loaded = load_pair(native, file, file);
    if (!loaded) return loaded.error();
  }
  if (settings.certificate_file.empty() && settings.chain_files.empty()) {
    return Error{"no TLS certificate configured"};
  }
  return context;
}

std::string describe_tls_session(const SSL* ssl) {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  int algorithm_bits = 0;
  int secret_bits = SSL_CIPHER_get_bits(cipher, &algorithm_bits);
  return fmt::format("{} with cipher {} ({}/{} bits)", SSL_get_version(ssl),
                     SSL_CIPHER_get_name(cipher), secret_bits, algorithm_bits);
}

Result<std::shared_ptr<asio::ssl::context>> make_client_tls_context(
    const TlsClientSettings& settings) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, settings.minimum_version);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (settings.system_ca_store && SSL_CTX_set_default_verify_paths(native) != 1) {
    return Error{fmt::format("cannot load the system CA store: {}", openssl_reason())};
  }
  if (!settings.ca_file.empty() || !settings.ca_path.empty()) {
    const char* file = settings.ca_file.empty() ? nullptr : settings.ca_file.c_str();
    const char* path = settings.ca_path.empty() ? nullptr : settings.ca_path.c_str();
    if (SSL_CTX_load_verify_locations(native, file, path) != 1) {
      return Error{fmt::format("cannot load CA certificates from {}{}: {}", settings.ca_file,
                               settings.ca_path, openssl_reason())};
    }
  }
  return context;
}

}  // namespace tern::net
