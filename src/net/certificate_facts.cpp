// Reading a certificate with OpenSSL 3: names through a memory BIO in RFC 2253 form, the
// subjectAltName extension entry by entry, times through ASN1_TIME_to_tm, and the chain through a
// fresh X509_STORE_CTX with the "ssl_server" purpose and no host name.
#include "net/certificate_facts.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "base/strings.hpp"

namespace tern::net {
namespace {

std::string name_text(const X509_NAME* name) {
  if (name == nullptr) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  if (length <= 0 || data == nullptr) return {};
  return printable_ascii(std::string_view(data, static_cast<std::size_t>(length)));
}

std::string asn1_text(const ASN1_STRING* text) {
  if (text == nullptr) return {};
  return printable_ascii(
      std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                       static_cast<std::size_t>(ASN1_STRING_length(text))));
}

std::int64_t epoch_seconds(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return 0;
  return static_cast<std::int64_t>(::timegm(&parts));
}

void read_alt_names(X509* certificate, CertificateFacts& facts) {
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      facts.dns_names.push_back(asn1_text(name->d.dNSName));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* octets = name->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      int length = ASN1_STRING_length(octets);
      int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : 0;
      if (family != 0 && ::inet_ntop(family, ASN1_STRING_get0_data(octets), text, sizeof text)) {
        facts.ip_addresses.emplace_back(text);
      }
    }
  }
  GENERAL_NAMES_free(names);
}

std::string key_type_name(const EVP_PKEY* key) {
  int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_RSA) return "RSA";
  if (id == EVP_PKEY_EC) return "EC";
  if (id == EVP_PKEY_DSA) return "DSA";
  if (id == EVP_PKEY_ED25519) return "ED25519";
  if (id == EVP_PKEY_ED448) return "ED448";
  const char* name = OBJ_nid2sn(id);
  return name != nullptr ? name : "unknown";
}

}  // namespace

Result<CertificateFacts> certificate_facts(X509* certificate, X509_STORE* store,
                                           STACK_OF(X509) * untrusted_chain) {
  if (certificate == nullptr) return Error{"no certificate"};
  CertificateFacts facts;
  facts.subject = name_text(X509_get_subject_name(certificate));
  facts.issuer = name_text(X509_get_issuer_name(certificate));
  const X509_NAME* subject = X509_get_subject_name(certificate);
  for (int at = -1; (at = X509_NAME_get_index_by_NID(subject, NID_commonName, at)) >= 0;) {
    facts.common_name = asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
  }
  read_alt_names(certificate, facts);
  facts.not_before = epoch_seconds(X509_get0_notBefore(certificate));
  facts.not_after = epoch_seconds(X509_get0_notAfter(certificate));
  facts.self_signed = X509_self_signed(certificate, 1) == 1;
  if (const EVP_PKEY* key = X509_get0_pubkey(certificate)) {
    facts.key_type = key_type_name(key);
    facts.key_bits = EVP_PKEY_get_bits(key);
  }
  const char* signature = OBJ_nid2ln(X509_get_signature_nid(certificate));
  facts.signature_algorithm = signature != nullptr ? signature : "unknown";

  if (store == nullptr) {
    facts.trust_error = "no CA store";
    return facts;
  }
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(),
                                                                          X509_STORE_CTX_free);
  if (!context || X509_STORE_CTX_init(context.get(), store, certificate, untrusted_chain) != 1) {
    facts.trust_error = "cannot set up the chain check";
    return facts;
  }
  X509_STORE_CTX_set_default(context.get(), "ssl_server");
  facts.chain_trusted = X509_verify_cert(context.get()) == 1;
  if (!facts.chain_trusted) {
    facts.trust_error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
  }
  return facts;
}

Result<CertificateFacts> peer_certificate_facts(const SSL* ssl) {
  if (ssl == nullptr) return Error{"no TLS session"};
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) return Error{"the server sent no certificate"};
  X509_STORE* store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
  return certificate_facts(certificate, store, SSL_get_peer_cert_chain(ssl));
}

}  // namespace tern::net
