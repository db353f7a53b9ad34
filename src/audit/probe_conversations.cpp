// The probe conversations. An if-chain everywhere rather than a switch: g++ 12 miscompiles
// co_await inside switch cases.
#include "audit/probe_conversations.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <cctype>
#include <ctime>

#include "base/strings.hpp"
#include "mime/date.hpp"
#include "net/tls_context.hpp"

namespace tern::audit {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

bool demands_starttls(const ProbeReply& reply) {
  return reply.code() == 530 &&
         to_lower_ascii(reply.parsed.text).find("starttls") != std::string::npos;
}

bool is_address(const std::string& host) {
  asio::error_code bad;
  asio::ip::make_address(host, bad);
  return !bad;
}

// The host name the server gives in a reply's first line ("250-mail.example.org Hello ..."):
// its first word when that is made of letters, digits, dots and hyphens, and, with `need_dot`,
// holds a dot (a banner's first word may be "ESMTP"; EHLO's is the name, RFC 5321 §4.1.1.1).
std::string announced_name(const ProbeReply& reply, bool need_dot) {
  if (!reply.answered()) return {};
  std::string_view text = reply.raw;
  text = text.substr(0, text.find_first_of("\r\n"));
  if (text.size() <= 4) return {};
  text.remove_prefix(4);
  std::string_view word = text.substr(0, text.find(' '));
  if (word.empty() || (need_dot && word.find('.') == std::string_view::npos)) return {};
  for (char c : word) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return {};
  }
  return std::string(word);
}

// "no protocols available": this OpenSSL would not even offer the version.
bool local_refusal(const std::string& error) {
  return error.find("no protocols available") != std::string::npos ||
         error.find("no ciphers available") != std::string::npos;
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> pinned_tls_context(int version) {
  net::TlsClientSettings client;
  client.minimum_version = version;
  auto context = net::make_client_tls_context(client);
  if (!context) return context.error();
  SSL_CTX* native = (*context)->native_handle();
  SSL_CTX_set_min_proto_version(native, version);
  SSL_CTX_set_max_proto_version(native, version);
  if (version < TLS1_2_VERSION) {
    // TLS 1.0/1.1 need SHA-1 signatures, which security level 1 and up forbid.
    SSL_CTX_set_security_level(native, 0);
    SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
  }
  return context;
}

Prober::Prober(ConversationSettings settings, asio::ssl::context& tls_context)
    : settings_(std::move(settings)), tls_context_(tls_context) {
  if (!is_address(settings_.probe.target.host)) tls_name_ = settings_.probe.target.host;
}

bool Prober::take_starttls_demand() {
  bool demanded = starttls_demanded_;
  starttls_demanded_ = false;
  return demanded;
}

asio::awaitable<void> Prober::pause() {
  if (settings_.pause.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(settings_.pause);
  co_await timer.async_wait(use_tuple);
}

asio::awaitable<ProbeReply> Prober::command(ProbeSession& session, std::string_view line) {
  ProbeReply reply = co_await session.command(line);
  if (demands_starttls(reply)) starttls_demanded_ = true;
  co_return reply;
}

asio::awaitable<void> Prober::quit(ProbeSession& session) {
  if (session.alive()) {
    ProbeReply bye = co_await session.command("QUIT");
    (void)bye;
  }
  session.close();
}

asio::awaitable<Result<std::unique_ptr<ProbeSession>>> Prober::greeted_session() {
  auto session = co_await ProbeSession::open(settings_.probe);
  if (!session) co_return session.error();
  if (settings_.tls_on_connect) {
    Status handshake = co_await (*session)->handshake(tls_context_, tls_name_);
    if (!handshake) co_return Error{"TLS handshake failed: " + handshake.error().message};
  }
  ProbeReply greeting = co_await (*session)->read_reply();
  if (!greeting.positive()) co_return Error{"greeting: " + greeting.summary()};
  co_return std::move(*session);
}

asio::awaitable<Result<std::unique_ptr<ProbeSession>>> Prober::ready_session(
    const std::string& helo, bool starttls) {
  auto session = co_await greeted_session();
  if (!session) co_return session;
  ProbeSession& s = **session;
  std::string ehlo_line = "EHLO " + helo;
  std::string helo_line = "HELO " + helo;
  ProbeReply ehlo = co_await command(s, ehlo_line);
  if (!ehlo.positive()) {
    ProbeReply helo_reply = co_await command(s, helo_line);
    if (!helo_reply.positive()) co_return Error{"HELO: " + helo_reply.summary()};
  }
  if (starttls && !settings_.tls_on_connect) {
    ProbeReply ready = co_await command(s, "STARTTLS");
    if (ready.code() != 220) co_return Error{"STARTTLS: " + ready.summary()};
    Status handshake = co_await s.handshake(tls_context_, tls_name_);
    if (!handshake) co_return Error{"TLS handshake failed: " + handshake.error().message};
    ehlo = co_await command(s, ehlo_line);
    if (!ehlo.positive()) co_return Error{"EHLO inside TLS: " + ehlo.summary()};
  }
  co_return session;
}

asio::awaitable<FirstSession> Prober::first_session() {
  FirstSession first;
  auto opened = co_await ProbeSession::open(settings_.probe);
  if (!opened) {
    first.connect_error = opened.error().message;
    co_return first;
  }
  ProbeSession& session = **opened;
  first.peer = session.peer();
  first.peer_address = session.peer_address();
  if (settings_.tls_on_connect) {
    Status handshake = co_await session.handshake(tls_context_, tls_name_);
    if (!handshake) {
      first.connect_error = "TLS handshake (--tls-on-connect) failed: " + handshake.error().message;
      first.tls_error = handshake.error().message;
      co_return first;
    }
    first.tls_done = true;
    first.tls_session = net::describe_tls_session(session.tls_session());
    auto facts = net::peer_certificate_facts(session.tls_session());
    if (facts) {
      first.certificate = *facts;
    } else {
      first.certificate_error = facts.error().message;
    }
  }
  first.greeting = co_await session.read_reply();
  if (!first.greeting.positive()) co_return first;
  co_await pause();
  std::string ehlo_line = "EHLO " + settings_.helo_name;
  std::string helo_line = "HELO " + settings_.helo_name;
  first.ehlo = co_await command(session, ehlo_line);
  if (first.ehlo.positive()) {
    first.features = smtp::parse_ehlo_reply(first.ehlo.raw);
  } else if (session.alive()) {
    co_await pause();
    first.helo = co_await command(session, helo_line);
  }
  first.server_name = announced_name(first.ehlo, false);
  if (first.server_name.empty()) first.server_name = announced_name(first.greeting, true);
  if (tls_name_.empty()) {
    // The target was an address: take the name the server gives itself.
    tls_name_ = first.server_name;
    first.tls_name_from_target = false;
  }
  first.tls_name = tls_name_;
  co_await pause();
  first.help = co_await command(session, "HELP");
  if (settings_.tls_on_connect) {
    first.features_tls = first.features;
    first.ehlo_tls = first.ehlo;
  } else if (first.features.starttls && session.alive()) {
    co_await pause();
    first.starttls = co_await command(session, "STARTTLS");
    if (first.starttls->code() == 220) {
      Status handshake = co_await session.handshake(tls_context_, tls_name_);
      if (handshake) {
        first.tls_done = true;
        first.tls_session = net::describe_tls_session(session.tls_session());
        auto facts = net::peer_certificate_facts(session.tls_session());
        if (facts) {
          first.certificate = *facts;
        } else {
          first.certificate_error = facts.error().message;
        }
        first.ehlo_tls = co_await command(session, ehlo_line);
        if (first.ehlo_tls->positive())
          first.features_tls = smtp::parse_ehlo_reply(first.ehlo_tls->raw);
      } else {
        first.tls_error = handshake.error().message;
      }
    }
  }
  if (session.alive()) {
    co_await pause();
    first.quit = co_await session.command("QUIT");
  }
  session.close();
  co_return first;
}

asio::awaitable<std::vector<VersionProbe>> Prober::tls_versions(std::string tls_name) {
  static constexpr std::pair<int, const char*> kVersions[] = {
      {TLS1_VERSION, "TLSv1.0"},
      {TLS1_1_VERSION, "TLSv1.1"},
      {TLS1_2_VERSION, "TLSv1.2"},
      {TLS1_3_VERSION, "TLSv1.3"},
  };
  std::vector<VersionProbe> probes;
  for (const auto& [version, name] : kVersions) {
    VersionProbe probe;
    probe.version = name;
    co_await pause();
    auto context = pinned_tls_context(version);
    if (!context) {
      probe.detail = "this OpenSSL cannot make such a context: " + context.error().message;
      probes.push_back(probe);
      continue;
    }
    auto session = co_await ProbeSession::open(settings_.probe);
    if (!session) {
      probe.detail = session.error().message;
      probes.push_back(probe);
      continue;
    }
    ProbeSession& s = **session;
    bool ready = settings_.tls_on_connect;
    if (!ready) {
      ProbeReply reply = co_await s.read_reply();
      std::string ehlo = "EHLO " + settings_.helo_name;
      if (reply.positive()) reply = co_await command(s, ehlo);
      if (reply.positive()) reply = co_await command(s, "STARTTLS");
      ready = reply.code() == 220;
      if (!ready) probe.detail = "no STARTTLS on this connection: " + reply.summary();
    }
    if (ready) {
      Status handshake = co_await s.handshake(**context, tls_name);
      if (handshake) {
        probe.result = VersionResult::Accepted;
        probe.detail = net::describe_tls_session(s.tls_session());
        if (settings_.tls_on_connect) {
          ProbeReply greeting = co_await s.read_reply();
          (void)greeting;
        }
      } else if (local_refusal(handshake.error().message)) {
        probe.detail =
            "this machine's OpenSSL will not offer it (" + handshake.error().message + ")";
      } else {
        probe.result = VersionResult::Refused;
        probe.detail = handshake.error().message;
      }
    }
    co_await quit(s);
    probes.push_back(probe);
  }
  co_return probes;
}

asio::awaitable<MethodRun> Prober::enumerate(EnumerationMethod method,
                                             std::vector<std::string> names, std::string domain,
                                             std::string control_name, bool starttls) {
  MethodRun run;
  run.method = method;
  run.domain = domain;
  std::vector<std::string> all{control_name};
  all.insert(all.end(), names.begin(), names.end());
  std::unique_ptr<ProbeSession> session;
  std::size_t index = 0;
  std::size_t answered_since_connect = 0;
  std::string last_loss;
  while (index < all.size()) {
    if (!session || !session->alive()) {
      // Reconnect after a drop (an error limit, say) only when the last connection got
      // somewhere; a server that drops every probe is not asked forever.
      if (session && answered_since_connect == 0) {
        run.failure = "the server keeps closing the connection: " + last_loss;
        break;
      }
      session.reset();
      co_await pause();
      auto opened = co_await ready_session(settings_.helo_name, starttls);
      if (!opened) {
        run.failure = opened.error().message;
        break;
      }
      session = std::move(*opened);
      answered_since_connect = 0;
      if (method == EnumerationMethod::Rcpt) {
        co_await pause();
        ProbeReply mail = co_await command(*session, "MAIL FROM:<>");
        if (!mail.positive()) {
          run.failure = "MAIL FROM:<> refused: " + mail.summary();
          break;
        }
      }
    }
    co_await pause();
    NameProbe probe;
    probe.name = all[index];
    probe.address = enumeration_address(probe.name, domain);
    std::string line = enumeration_command(method, probe.address);
    probe.reply = co_await command(*session, line);
    if (!probe.reply.answered() || probe.reply.code() == 421) {
      last_loss = probe.reply.summary();
      session->close();
      continue;  // the same name again on a new connection
    }
    ++answered_since_connect;
    if (index == 0) {
      run.control = probe;
      if (classify_enumeration_reply(probe.reply) != ReplyClass::Negative) break;  // no baseline
    } else {
      run.names.push_back(probe);
    }
    ++index;
  }
  if (session) co_await quit(*session);
  co_return run;
}

asio::awaitable<RelayRun> Prober::relay(RelayParameters parameters, bool starttls) {
  RelayRun run;
  run.parameters = parameters;
  std::unique_ptr<ProbeSession> session;
  for (const RelayForm& form : relay_forms(parameters)) {
    if (!session || !session->alive()) {
      co_await pause();
      // smtp-open-relay.nse says EHLO with the test domain.
      auto opened = co_await ready_session(parameters.domain, starttls);
      if (!opened) {
        run.failure = opened.error().message;
        break;
      }
      session = std::move(*opened);
    }
    RelayTest test;
    test.form = form;
    co_await pause();
    test.reset = co_await command(*session, "RSET");
    if (test.reset->code() != 530 && test.reset->answered()) {
      co_await pause();
      std::string mail = fmt::format("MAIL FROM:<{}>", form.mail_from);
      test.mail = co_await command(*session, mail);
      if (test.mail->code() == 250) {
        co_await pause();
        std::string rcpt = fmt::format("RCPT TO:<{}>", form.rcpt_to);
        test.rcpt = co_await command(*session, rcpt);
      }
    }
    RelayOutcome outcome = judge_relay_test(test);
    run.tests.push_back(test);
    if (outcome == RelayOutcome::AuthRequired) break;  // as nmap: authentication needed
  }
  if (session) co_await quit(*session);
  co_return run;
}

asio::awaitable<std::pair<std::vector<SmugglingRun>, std::string>> Prober::smuggle(std::string from,
                                                                                   std::string rcpt,
                                                                                   bool starttls) {
  std::vector<SmugglingRun> runs;
  std::string failure;
  co_await pause();
  auto opened = co_await ready_session(settings_.helo_name, starttls);
  if (!opened) co_return std::pair{runs, opened.error().message};
  ProbeSession& session = **opened;
  std::uint64_t sequence = 0;
  for (const SmugglingForm& form : smuggling_forms()) {
    SmugglingRun run;
    run.form_name = std::string(form.name);
    if (!session.alive()) {
      failure = "the connection broke";
      break;
    }
    co_await pause();
    std::string mail = fmt::format("MAIL FROM:<{}>", from);
    std::string rcpt_line = fmt::format("RCPT TO:<{}>", rcpt);
    run.mail = co_await command(session, mail);
    if (run.mail->positive()) run.rcpt = co_await command(session, rcpt_line);
    if (run.rcpt && run.rcpt->positive()) run.data = co_await command(session, "DATA");
    if (!run.data || run.data->code() != 354) {
      runs.push_back(run);
      if (session.alive()) {
        ProbeReply reset = co_await command(session, "RSET");
        (void)reset;
      }
      continue;
    }
    std::time_t now = std::time(nullptr);
    std::string message =
        smuggling_message(form, from, rcpt, mime::rfc5322_date(now),
                          fmt::format("tern-audit.{}.{}@{}", now, ++sequence, settings_.helo_name));
    std::string label = fmt::format("(test message, {} octets, with {} before the last lines)",
                                    message.size(), form.name);
    bool sent = co_await session.send(message, label);
    run.end = ProbeReply::not_sent();
    if (sent) run.end = co_await session.read_reply();
    bool reset_sent = false;
    if (run.end->answered()) reset_sent = co_await session.send("RSET\r\n");
    if (reset_sent) {
      // Replies to smuggled lines come before RSET's; a handful at most (the line, the text after
      // it, the lone ".").
      for (int i = 0; i < 8; ++i) {
        ProbeReply reply = co_await session.read_reply();
        if (!reply.answered()) break;
        if (reply.positive()) {
          run.reset = reply;
          break;
        }
        run.extra.push_back(reply);
      }
    }
    runs.push_back(run);
  }
  co_await quit(session);
  co_return std::pair{runs, failure};
}

asio::awaitable<std::pair<std::vector<HttpProbeRun>, std::string>> Prober::http_probes() {
  std::vector<HttpProbeRun> runs;
  for (HttpVerb verb : {HttpVerb::Connect, HttpVerb::Get, HttpVerb::Post}) {
    co_await pause();
    auto opened = co_await greeted_session();
    if (!opened) co_return std::pair{runs, opened.error().message};
    ProbeSession& session = **opened;
    HttpProbeRun run;
    run.verb = verb;
    co_await pause();
    std::string request =
        http_request_line(verb, settings_.probe.target.host, settings_.probe.target.port);
    bool sent = co_await session.send(request);
    run.first = ProbeReply::closed();
    if (sent) run.first = co_await session.read_reply();
    if (run.first.answered()) {
      co_await pause();
      run.noop = co_await session.command("NOOP");
    }
    co_await quit(session);
    runs.push_back(run);
  }
  co_return std::pair{runs, std::string()};
}

}  // namespace tern::audit
