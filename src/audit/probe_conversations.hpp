// The audit's conversations, one coroutine per check, each over its own ProbeSession(s), one
// connection at a time: the first session (banner, EHLO, HELP, STARTTLS, certificate, EHLO inside
// TLS, QUIT), a handshake per TLS version, VRFY/EXPN/RCPT enumeration, nmap's 16 relay forms, the
// smuggling forms, and HTTP request lines. They only send and record; every verdict is made later
// by the pure functions of the check's own file. Guarantees: the --rate pause separates every two
// probes; each connection ends with QUIT when it is still usable; nothing is sent that the check's
// header does not describe.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/http_probe.hpp"
#include "audit/open_relay.hpp"
#include "audit/probe_session.hpp"
#include "audit/smuggling.hpp"
#include "audit/tls_audit.hpp"
#include "audit/user_enumeration.hpp"
#include "net/certificate_facts.hpp"
#include "smtp/client_protocol.hpp"

namespace tern::audit {

struct ConversationSettings {
  ProbeSettings probe;
  bool tls_on_connect = false;
  std::string helo_name;
  std::chrono::milliseconds pause{0};  // --rate: between any two probes
};

// What the first session saw.
struct FirstSession {
  std::string connect_error;  // non-empty: no connection at all
  std::string peer;
  std::optional<asio::ip::address> peer_address;
  std::string tls_name;  // the name for SNI and the certificate check
  bool tls_name_from_target = true;
  std::string server_name;  // the name the server gives itself (EHLO reply, else banner)
  ProbeReply greeting;
  ProbeReply ehlo;
  std::optional<ProbeReply> helo;
  ProbeReply help;
  smtp::ServerFeatures features;  // from the first EHLO (inside TLS with implicit TLS)
  std::optional<ProbeReply> starttls;
  bool tls_done = false;
  std::string tls_error;
  std::string tls_session;
  std::optional<net::CertificateFacts> certificate;
  std::string certificate_error;
  std::optional<ProbeReply> ehlo_tls;
  smtp::ServerFeatures features_tls;
  std::optional<ProbeReply> quit;
};

class Prober {
 public:
  Prober(ConversationSettings settings, asio::ssl::context& tls_context);

  asio::awaitable<FirstSession> first_session();
  // One handshake per version, min = max, each on a new connection.
  asio::awaitable<std::vector<VersionProbe>> tls_versions(std::string tls_name);
  asio::awaitable<MethodRun> enumerate(EnumerationMethod method, std::vector<std::string> names,
                                       std::string domain, std::string control_name, bool starttls);
  asio::awaitable<RelayRun> relay(RelayParameters parameters, bool starttls);
  asio::awaitable<std::pair<std::vector<SmugglingRun>, std::string>> smuggle(std::string from,
                                                                             std::string rcpt,
                                                                             bool starttls);
  asio::awaitable<std::pair<std::vector<HttpProbeRun>, std::string>> http_probes();

  // Some command was answered 530 with a demand for STARTTLS since the last call: the check may
  // be run again over STARTTLS. Reading it clears it.
  bool take_starttls_demand();

 private:
  // Connected, TLS first when implicit, the greeting read: the session, or why not.
  asio::awaitable<Result<std::unique_ptr<ProbeSession>>> greeted_session();
  // greeted_session(), then EHLO (HELO when refused), and with `starttls` STARTTLS, the handshake
  // and EHLO again.
  asio::awaitable<Result<std::unique_ptr<ProbeSession>>> ready_session(const std::string& helo,
                                                                       bool starttls);
  asio::awaitable<ProbeReply> command(ProbeSession& session, std::string_view line);
  asio::awaitable<void> quit(ProbeSession& session);
  asio::awaitable<void> pause();

  ConversationSettings settings_;
  asio::ssl::context& tls_context_;
  std::string tls_name_;
  bool starttls_demanded_ = false;
};

// A client TLS context pinned to one protocol version (TLS1_VERSION ... TLS1_3_VERSION), with
// OpenSSL's security level lowered for versions below 1.2 so that they are really offered.
Result<std::shared_ptr<asio::ssl::context>> pinned_tls_context(int version);

}  // namespace tern::audit
