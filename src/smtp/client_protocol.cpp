// The SMTP client state machine. Replies are matched to commands through a queue of expected
// replies, so a pipelined batch (RFC 2920 §3: MAIL, RCPT..., DATA) and one command at a time are
// the same code: without PIPELINING a batch holds one command. Texts, statuses and the choice
// between deferring and bouncing follow Postfix's smtp(8) (smtp_proto.c, smtp_trouble.c).
#include "smtp/client_protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "base/base64.hpp"
#include "base/strings.hpp"

namespace tern::smtp {
namespace {

// RFC 5321 §4.5.3.1.10: "452 too many recipients", with 4.5.3 (RFC 3463) or, from servers without
// enhanced codes, the words. Not 452 4.2.2 (mailbox full) or 4.3.1 (disk full): no new transaction
// would help those.
bool is_too_many_recipients(const RemoteReply& reply) {
  if (reply.code != 452) return false;
  if (reply.status_from_server) return reply.status == "4.5.3";
  return to_lower_ascii(reply.text).find("too many recipients") != std::string::npos;
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7F;
  });
}

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// The status with its class replaced: a 5xx greeting that is skipped, a reply that does not match
// the outcome, or none at all ("4.0.0").
std::string status_of_class(const std::string& status, char status_class) {
  if (status.size() >= 5 && status[1] == '.') return status_class + status.substr(1);
  return fmt::format("{}.0.0", status_class);
}

std::string notify_value(std::uint8_t notify) {
  if (notify & NotifyNever) return "NEVER";
  std::vector<std::string_view> parts;
  if (notify & NotifySuccess) parts.push_back("SUCCESS");
  if (notify & NotifyFailure) parts.push_back("FAILURE");
  if (notify & NotifyDelay) parts.push_back("DELAY");
  return fmt::format("{}", fmt::join(parts, ","));
}

std::uint64_t parse_size(std::string_view digits) {
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
    std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return UINT64_MAX;
    value = value * 10 + digit;
  }
  return value;
}

// The Unicode code point of the UTF-8 sequence at `text[pos]`, and its length; a byte that does not
// start a valid sequence stands for itself.
std::pair<std::uint32_t, std::size_t> decode_utf8(std::string_view text, std::size_t pos) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(pos);
  std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (length == 1 || pos + length > text.size()) return {lead, 1};
  std::uint32_t point = lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return {lead, 1};
    point = (point << 6) | (byte(pos + i) & 0x3F);
  }
  return {point, length};
}

struct StageNames {
  std::string_view command;   // "(in reply to RCPT TO command)"
  std::string_view activity;  // "lost connection with ... while sending RCPT TO"
};

// Indexed by ClientStage; the words are Postfix's, so log parsers and admins recognize them.
constexpr StageNames kStageNames[] = {
    {"CONNECT", "receiving the initial server greeting"},
    {"EHLO", "performing the EHLO handshake"},
    {"HELO", "performing the HELO handshake"},
    {"STARTTLS", "performing the STARTTLS handshake"},
    {"AUTH", "authenticating"},
    {"MAIL FROM", "sending MAIL FROM"},
    {"RCPT TO", "sending RCPT TO"},
    {"DATA", "sending DATA command"},
    {"end of DATA", "sending message body"},
    {"end of DATA", "sending end of data -- message may be sent more than once"},
    {"QUIT", "sending QUIT"},
};
static_assert(std::size(kStageNames) == static_cast<std::size_t>(ClientStage::Quit) + 1);

// Indexed by ClientCheckpoint; the words of `tern send --quit-after`.
constexpr std::string_view kCheckpointNames[] = {"connect", "banner", "tls", "ehlo",
                                                 "auth",    "mail",   "rcpt"};
static_assert(std::size(kCheckpointNames) == static_cast<std::size_t>(ClientCheckpoint::Rcpt) + 1);

// EHLO keywords that are a yes or no (RFC 5321 §4.1.1.1; each extension's RFC).
constexpr std::pair<std::string_view, bool ServerFeatures::*> kExtensionFlags[] = {
    {"PIPELINING", &ServerFeatures::pipelining},
    {"STARTTLS", &ServerFeatures::starttls},
    {"8BITMIME", &ServerFeatures::eight_bit_mime},
    {"SMTPUTF8", &ServerFeatures::smtputf8},
    {"DSN", &ServerFeatures::dsn},
    {"CHUNKING", &ServerFeatures::chunking},
    {"ENHANCEDSTATUSCODES", &ServerFeatures::enhanced_status_codes},
};

}  // namespace

std::string_view command_name(ClientStage stage) {
  return kStageNames[static_cast<std::size_t>(stage)].command;
}

std::string_view stage_activity(ClientStage stage) {
  return kStageNames[static_cast<std::size_t>(stage)].activity;
}

std::string_view checkpoint_name(ClientCheckpoint checkpoint) {
  return kCheckpointNames[static_cast<std::size_t>(checkpoint)];
}

ServerFeatures parse_ehlo_reply(std::string_view raw) {
  ServerFeatures features;
  features.esmtp = true;
  std::vector<std::string_view> lines = split_reply_lines(raw);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].size() < 5) continue;
    std::string_view line = trim(lines[i].substr(4));
    if (line.empty()) continue;
    features.keywords.emplace_back(line);
    std::vector<std::string> words = split_list(line);
    if (words.empty()) continue;
    std::string keyword = to_upper_ascii(words[0]);
    if (keyword.rfind("AUTH=", 0) == 0) {
      words[0] = keyword.substr(5);
      keyword = "AUTH";
      words.insert(words.begin(), keyword);
    }
    for (const auto& [name, member] : kExtensionFlags) {
      if (keyword == name) features.*member = true;
    }
    if (keyword == "SIZE") {
      features.size = true;
      features.size_limit = words.size() > 1 ? parse_size(words[1]) : 0;
    } else if (keyword == "AUTH") {
      for (std::size_t w = 1; w < words.size(); ++w) {
        std::string mechanism = to_upper_ascii(words[w]);
        auto& known = features.auth_mechanisms;
        if (!mechanism.empty() && std::find(known.begin(), known.end(), mechanism) == known.end()) {
          known.push_back(std::move(mechanism));
        }
      }
    }
  }
  return features;
}

bool OutboundMessage::needs_smtputf8() const {
  if (!smtputf8) return false;
  if (utf8_header || has_non_ascii(sender)) return true;
  return std::any_of(recipients.begin(), recipients.end(),
                     [](const OutboundRecipient& r) { return has_non_ascii(r.address); });
}

ClientProtocol::ClientProtocol(ClientSettings settings, OutboundMessage message)
    : settings_(std::move(settings)),
      message_(std::move(message)),
      outcomes_(message_.recipients.size()),
      decided_(message_.recipients.size(), false),
      accepted_(message_.recipients.size(), false),
      tls_active_(settings_.tls_on_connect),
      too_many_(message_.recipients.size()) {
  for (RecipientOutcome& outcome : outcomes_) outcome.relay = settings_.relay;
}

ClientStage ClientProtocol::stage() const {
  return expected_.empty() ? last_stage_ : expected_.front().stage;
}

ClientStep ClientProtocol::start() {
  if (stops_at(ClientCheckpoint::Connect)) return stop_as_asked(ClientCheckpoint::Connect);
  return send("", {{ClientStage::Greeting}});
}

ClientStep ClientProtocol::on_reply(std::string_view raw) {
  if (finished_ || expected_.empty()) return close();
  Expected expected = expected_.front();
  expected_.pop_front();
  last_stage_ = expected.stage;
  RemoteReply reply = parse_remote_reply(raw);
  if (settings_.reply_observer) settings_.reply_observer(expected.stage, expected.recipient, raw);
  if (expected.stage == ClientStage::Quit) return close();
  if (reply.code == 421) {
    // RFC 5321 §3.8: the server is closing the channel; nothing more can be said on it.
    decide_all_from_reply(reply, expected.stage);
    return close();
  }
  switch (expected.stage) {
    case ClientStage::Greeting:
      return after_greeting(reply);
    case ClientStage::Ehlo:
      return after_ehlo(reply, raw);
    case ClientStage::Helo:
      return after_helo(reply);
    case ClientStage::StartTls:
      return after_starttls(reply);
    case ClientStage::Auth:
      return after_auth(reply);
    default:
      return after_transaction_reply(expected, reply);
  }
}

ClientStep ClientProtocol::after_greeting(const RemoteReply& reply) {
  if (reply.is_positive()) {
    ClientCheckpoint reached = tls_active_ ? ClientCheckpoint::Tls : ClientCheckpoint::Banner;
    if (stops_at(reached)) return stop_as_asked(reached);
    return send(fmt::format("EHLO {}\r\n", settings_.helo_name), {{ClientStage::Ehlo}});
  }
  decide_all_from_reply(reply, ClientStage::Greeting);
  return quit();
}

ClientStep ClientProtocol::after_ehlo(const RemoteReply& reply, std::string_view raw) {
  if (reply.is_positive()) {
    features_ = parse_ehlo_reply(raw);
    session_established_ = true;
    return after_handshake();
  }
  // RFC 5321 §3.2: a server that does not know EHLO says 500/502 (some 550/554); try HELO. After
  // STARTTLS the server spoke ESMTP already, so a refusal there is final for this session.
  if (reply.is_permanent() && !tls_active_) {
    features_ = ServerFeatures{};
    return send(fmt::format("HELO {}\r\n", settings_.helo_name), {{ClientStage::Helo}});
  }
  return fail_session(reply, ClientStage::Ehlo);
}

ClientStep ClientProtocol::after_helo(const RemoteReply& reply) {
  if (!reply.is_positive()) return fail_session(reply, ClientStage::Helo);
  features_ = ServerFeatures{};
  session_established_ = true;
  return after_handshake();
}

ClientStep ClientProtocol::after_handshake() {
  bool tls_required =
      settings_.tls_policy == TlsPolicy::Encrypt || settings_.tls_policy == TlsPolicy::Verify;
  if (!tls_active_ && !starttls_refused_ && settings_.tls_policy != TlsPolicy::None) {
    if (features_.starttls && settings_.tls_available) {
      return send("STARTTLS\r\n", {{ClientStage::StartTls}});
    }
    if (tls_required && !settings_.tls_available) {
      return fail_locally(Disposition::Deferred, "4.7.5",
                          "TLS is required, but our TLS engine is unavailable");
    }
    if (tls_required) {
      return fail_locally(
          Disposition::Deferred, "4.7.4",
          fmt::format("TLS is required, but was not offered by host {}", settings_.server));
    }
  }
  if (stops_at(ClientCheckpoint::Ehlo)) return stop_as_asked(ClientCheckpoint::Ehlo);
  if (settings_.credentials && !features_.auth_mechanisms.empty() && !authenticated_) {
    return begin_auth();
  }
  if (settings_.credentials && settings_.auth_required && !authenticated_) {
    return fail_locally(
        Disposition::Deferred, "4.7.0",
        fmt::format("SASL authentication failed; server {} offered no AUTH", settings_.server));
  }
  if (stops_at(ClientCheckpoint::Auth)) return stop_as_asked(ClientCheckpoint::Auth);
  return begin_transaction();
}

ClientStep ClientProtocol::after_starttls(const RemoteReply& reply) {
  if (reply.is_positive()) return ClientStep{ClientAction::StartTls, "", false};
  if (settings_.tls_policy == TlsPolicy::May) {
    // RFC 3207 §4: the client decides whether to go on without TLS; opportunistic TLS does.
    notes_.push_back(fmt::format("host {} refused to start TLS: {}; continuing without TLS",
                                 settings_.server, reply.diagnostic));
    starttls_refused_ = true;
    return after_handshake();
  }
  decide_all(Disposition::Deferred, status_of_class(reply.status, '4'),
             fmt::format("TLS is required, but host {} refused to start TLS: {}", settings_.server,
                         reply.diagnostic),
             reply.diagnostic_code(), ClientStage::StartTls);
  return quit();
}

ClientStep ClientProtocol::on_tls_started() {
  // RFC 3207 §4.2: everything learned before the handshake is forgotten; ask again.
  tls_active_ = true;
  features_ = ServerFeatures{};
  last_stage_ = ClientStage::StartTls;
  if (stops_at(ClientCheckpoint::Tls)) return stop_as_asked(ClientCheckpoint::Tls);
  return send(fmt::format("EHLO {}\r\n", settings_.helo_name), {{ClientStage::Ehlo}});
}

ClientStep ClientProtocol::on_tls_failed(std::string_view reason) {
  retry_without_tls_ = settings_.tls_policy == TlsPolicy::May;
  decide_all(
      Disposition::Deferred, "4.7.5",
      fmt::format("Cannot start TLS: handshake failure with {}: {}", settings_.server, reason), "",
      ClientStage::StartTls);
  return close();  // the TLS state is unknown: not even QUIT can be sent
}

ClientStep ClientProtocol::begin_auth() {
  if (!tls_active_ && !settings_.auth_without_tls) {
    return fail_locally(
        Disposition::Deferred, "4.7.0",
        fmt::format("SASL authentication failed; cannot authenticate to server {}: TLS is not "
                    "active and credentials are never sent in the clear",
                    settings_.server));
  }
  const ClientCredentials& credentials = *settings_.credentials;
  auto offered = [this](std::string_view mechanism) {
    return std::find(features_.auth_mechanisms.begin(), features_.auth_mechanisms.end(),
                     mechanism) != features_.auth_mechanisms.end();
  };
  if (offered("PLAIN") && credentials.plain) {
    auth_mechanism_ = "PLAIN";
    Result<std::string> response = credentials.plain();
    if (!response) {
      return fail_locally(Disposition::Deferred, "4.7.0",
                          "SASL authentication failed; " + response.error().message);
    }
    return send(fmt::format("AUTH PLAIN {}\r\n", *response), {{ClientStage::Auth}}, true);
  }
  if (offered("LOGIN") && credentials.login) {
    auth_mechanism_ = "LOGIN";
    return send("AUTH LOGIN\r\n", {{ClientStage::Auth}});
  }
  return fail_locally(
      Disposition::Deferred, "4.7.0",
      fmt::format("SASL authentication failed; cannot authenticate to server {}: no mechanism "
                  "available",
                  settings_.server));
}

ClientStep ClientProtocol::after_auth(const RemoteReply& reply) {
  if (auth_cancelled_) return quit();
  if (reply.is_positive()) {
    authenticated_ = true;
    if (stops_at(ClientCheckpoint::Auth)) return stop_as_asked(ClientCheckpoint::Auth);
    return begin_transaction();
  }
  if (reply.code == 334 && auth_mechanism_ == "LOGIN") {
    std::optional<std::string> challenge = base64_decode(trim(reply.text));
    if (!challenge) {
      return cancel_auth(
          fmt::format("SASL authentication failed; server {} sent a malformed "
                      "challenge: {}",
                      settings_.server, reply.diagnostic));
    }
    Result<std::string> response = settings_.credentials->login(*challenge);
    if (!response) return cancel_auth("SASL authentication failed; " + response.error().message);
    return send(*response + "\r\n", {{ClientStage::Auth}}, true);
  }
  if (reply.code == 334) {
    return cancel_auth(
        fmt::format("SASL authentication failed; server {} sent an unexpected "
                    "challenge: {}",
                    settings_.server, reply.diagnostic));
  }
  // Postfix smtp_sasl_auth_soft_bounce: a refusal is most often a configuration mistake on one
  // side; deferring gives the admin time to fix it before mail bounces.
  decide_all(Disposition::Deferred, status_of_class(reply.status, '4'),
             fmt::format("SASL authentication failed; server {} said: {}", settings_.server,
                         reply.diagnostic),
             reply.diagnostic_code(), ClientStage::Auth);
  return quit();
}

// RFC 4954 §4: "*" cancels the exchange; the server answers 501.
ClientStep ClientProtocol::cancel_auth(std::string text) {
  decide_all(Disposition::Deferred, "4.7.0", text, "", ClientStage::Auth);
  auth_cancelled_ = true;
  return send("*\r\n", {{ClientStage::Auth}});
}

ClientStep ClientProtocol::begin_transaction() {
  transaction_started_ = true;
  if (settings_.before_transaction) {
    Status ready = settings_.before_transaction(features_, message_);
    if (!ready) {
      return fail_locally(Disposition::Bounced, "5.6.3", ready.error().message);
    }
  }
  if (message_.needs_smtputf8() && !features_.smtputf8) {
    return fail_locally(
        Disposition::Bounced, "5.6.7",
        fmt::format("SMTPUTF8 is required, but was not offered by host {}", settings_.server));
  }
  // RFC 1870 §6: a message the server announced it will refuse is not sent at all.
  if (features_.size && features_.size_limit > 0 && message_.size > features_.size_limit) {
    return fail_locally(Disposition::Bounced, "5.3.4",
                        fmt::format("message size {} exceeds size limit {} of server {}",
                                    message_.size, features_.size_limit, settings_.server));
  }
  // An address with a control character would inject commands; reception never lets one in.
  if (has_control(message_.sender)) {
    return fail_locally(Disposition::Bounced, "5.1.7", "bad sender address syntax");
  }
  for (std::size_t i = 0; i < message_.recipients.size(); ++i) {
    if (has_control(message_.recipients[i].address)) {
      decide(i, Disposition::Bounced, "5.1.3", "bad recipient address syntax", "",
             ClientStage::Rcpt);
    }
  }
  if (std::all_of(decided_.begin(), decided_.end(), [](bool decided) { return decided; })) {
    return quit();
  }
  if (message_.body == Body::EightBitMime && !features_.eight_bit_mime) {
    // As Postfix does by default: most servers take 8-bit data even when they do not say so.
    notes_.push_back(fmt::format("host {} does not announce 8BITMIME; 8-bit message sent as is",
                                 settings_.server));
  }
  return next_batch();
}

std::string ClientProtocol::mail_command() const {
  std::string command = fmt::format("MAIL FROM:<{}>", message_.sender);
  if (features_.size) command += fmt::format(" SIZE={}", message_.size);
  if (features_.eight_bit_mime && message_.body == Body::EightBitMime) command += " BODY=8BITMIME";
  if (features_.eight_bit_mime && message_.body == Body::SevenBit) command += " BODY=7BIT";
  if (message_.smtputf8 && features_.smtputf8) command += " SMTPUTF8";
  if (features_.dsn) {
    if (message_.ret == Ret::Full) command += " RET=FULL";
    if (message_.ret == Ret::Headers) command += " RET=HDRS";
    if (!message_.envid.empty()) command += " ENVID=" + xtext_encode(message_.envid);
  }
  return command + "\r\n";
}

std::string ClientProtocol::rcpt_command(std::size_t index) const {
  const OutboundRecipient& recipient = message_.recipients[index];
  std::string command = fmt::format("RCPT TO:<{}>", recipient.address);
  if (features_.dsn) {
    if (recipient.notify != 0) command += " NOTIFY=" + notify_value(recipient.notify);
    if (!recipient.orcpt_type.empty() && !recipient.orcpt_address.empty()) {
      command += " ORCPT=" + encode_orcpt(recipient.orcpt_type, recipient.orcpt_address,
                                          message_.smtputf8 && features_.smtputf8);
    }
  }
  return command + "\r\n";
}

// The next commands of the transaction: MAIL, then RCPTs, then DATA. With PIPELINING as many as
// fit in the window (DATA rides with the last RCPTs); without it, one.
ClientStep ClientProtocol::next_batch() {
  bool pipelining = settings_.pipelining && features_.pipelining;
  std::string output;
  std::vector<Expected> expected;
  if (!mail_sent_) {
    mail_sent_ = true;
    output += mail_command();
    expected.push_back({ClientStage::Mail});
    if (!pipelining || stops_at(ClientCheckpoint::Mail)) {
      return send(std::move(output), std::move(expected));
    }
  }
  bool rcpt_in_batch = false;
  std::size_t count = message_.recipients.size();
  while (next_rcpt_ < count) {
    if (decided_[next_rcpt_]) {
      ++next_rcpt_;
      continue;
    }
    if (!expected.empty() && (!pipelining || output.size() >= settings_.pipeline_window)) break;
    output += rcpt_command(next_rcpt_);
    expected.push_back({ClientStage::Rcpt, next_rcpt_});
    rcpt_in_batch = true;
    ++next_rcpt_;
  }
  bool all_rcpt_sent = next_rcpt_ == count;
  if (all_rcpt_sent && !data_sent_ && (rcpt_in_batch || accepted_count_ > 0) &&
      (pipelining || expected.empty()) && !stops_at(ClientCheckpoint::Rcpt)) {
    data_sent_ = true;
    output += "DATA\r\n";
    expected.push_back({ClientStage::Data});
  }
  if (expected.empty()) return quit();
  return send(std::move(output), std::move(expected));
}

ClientStep ClientProtocol::after_transaction_reply(const Expected& expected,
                                                   const RemoteReply& reply) {
  std::size_t count = message_.recipients.size();
  if (expected.stage == ClientStage::Mail) {
    if (!reply.is_positive()) {
      // The RCPT and DATA replies of the same batch only repeat that there is no transaction.
      mail_failed_ = true;
      for (std::size_t i = 0; i < count; ++i) decide_from_reply(i, reply, ClientStage::Mail);
    }
  } else if (expected.stage == ClientStage::Rcpt) {
    if (!mail_failed_) {
      if (reply.is_positive()) {
        accepted_[expected.recipient] = true;
        ++accepted_count_;
      } else if (accepted_count_ > 0 && is_too_many_recipients(reply)) {
        too_many_[expected.recipient] = reply;
      } else {
        decide_from_reply(expected.recipient, reply, ClientStage::Rcpt);
      }
    }
  } else if (expected.stage == ClientStage::Data) {
    if (reply.is_intermediate()) {
      if (!mail_failed_ && accepted_count_ > 0) {
        expected_ = {{ClientStage::Message}};
        last_stage_ = ClientStage::Message;
        return ClientStep{ClientAction::SendMessage, "", false};
      }
      // RFC 2920 §3.1 says a server must refuse DATA without a valid recipient. One that does not
      // waits for data we will not send; closing is the only clean way out.
      return close();
    }
    if (!mail_failed_) {
      for (std::size_t i = 0; i < count; ++i) {
        if (!accepted_[i]) continue;
        if (reply.is_positive()) {
          // RFC 5321 §4.3.2: DATA is answered 354 or refused. A 2xx means the server took no
          // message, so nothing was delivered: defer rather than drop it from the queue.
          decide(i, Disposition::Deferred, "4.5.0",
                 fmt::format("host {} said: {} (in reply to DATA command)", settings_.server,
                             reply.diagnostic),
                 reply.diagnostic_code(), ClientStage::Data);
        } else {
          decide_from_reply(i, reply, ClientStage::Data);
        }
      }
    }
    settle_too_many();
    return quit();
  } else if (expected.stage == ClientStage::EndOfData) {
    // RFC 5321 §4.1.1.4: one reply for the whole message, so for every accepted recipient.
    for (std::size_t i = 0; i < count; ++i) {
      if (accepted_[i]) decide_from_reply(i, reply, ClientStage::EndOfData);
    }
    return end_transaction();
  }
  if (!expected_.empty()) return ClientStep{};
  if (mail_failed_) return quit();
  if (stops_at(ClientCheckpoint::Mail)) return stop_as_asked(ClientCheckpoint::Mail);
  if (next_rcpt_ == count && stops_at(ClientCheckpoint::Rcpt)) {
    return stop_as_asked(ClientCheckpoint::Rcpt);
  }
  return next_batch();
}

// After the message went to this transaction's recipients: a new transaction for the ones the
// server had no room for, while each round gets some through, else QUIT.
ClientStep ClientProtocol::end_transaction() {
  bool resend = std::any_of(too_many_.begin(), too_many_.end(),
                            [](const auto& reply) { return reply.has_value(); });
  if (!resend) return quit();
  std::size_t waiting = std::count_if(too_many_.begin(), too_many_.end(),
                                      [](const auto& reply) { return reply.has_value(); });
  notes_.push_back(
      fmt::format("host {} took too many recipients at once; sending to {} more in "
                  "a new transaction",
                  settings_.server, waiting));
  std::fill(too_many_.begin(), too_many_.end(), std::nullopt);
  std::fill(accepted_.begin(), accepted_.end(), false);
  accepted_count_ = 0;
  next_rcpt_ = 0;
  mail_sent_ = false;
  data_sent_ = false;
  return next_batch();
}

// The session ends before a new transaction: the 452 is their outcome.
void ClientProtocol::settle_too_many() {
  for (std::size_t i = 0; i < too_many_.size(); ++i) {
    if (too_many_[i]) decide_from_reply(i, *too_many_[i], ClientStage::Rcpt);
    too_many_[i].reset();
  }
}

ClientStep ClientProtocol::on_message_sent() {
  expected_ = {{ClientStage::EndOfData}};
  return ClientStep{};
}

void ClientProtocol::on_connection_failed(Failure failure) {
  ClientStage current = stage();
  std::string text;
  if (failure == Failure::Lost) {
    text =
        fmt::format("lost connection with {} while {}", settings_.server, stage_activity(current));
  } else if (failure == Failure::TimedOut) {
    text = fmt::format("conversation with {} timed out while {}", settings_.server,
                       stage_activity(current));
  } else {
    text = fmt::format("conversation with {} failed while {}: reply too long", settings_.server,
                       stage_activity(current));
  }
  decide_all(Disposition::Deferred, "4.4.2", text, "", current);
  finished_ = true;
  expected_.clear();
}

void ClientProtocol::on_connect_failed(std::string text) {
  decide_all(Disposition::Deferred, "4.4.1", text, "", ClientStage::Greeting);
  for (RecipientOutcome& outcome : outcomes_) outcome.relay = "none";
  finished_ = true;
  expected_.clear();
}

void ClientProtocol::on_local_failure(std::string status, std::string text) {
  decide_all(Disposition::Deferred, status, text, "", stage());
  finished_ = true;
  expected_.clear();
}

ClientStep ClientProtocol::send(std::string output, std::vector<Expected> expected,
                                bool sensitive) {
  for (const Expected& item : expected) expected_.push_back(item);
  return ClientStep{ClientAction::Read, std::move(output), sensitive};
}

ClientStep ClientProtocol::quit() {
  expected_.clear();
  return send("QUIT\r\n", {{ClientStage::Quit}});
}

ClientStep ClientProtocol::close() {
  // Every path decides each recipient before it gets here; this keeps the guarantee if one did
  // not.
  decide_all(Disposition::Deferred, "4.3.0",
             fmt::format("conversation with {} ended without a reply for this recipient",
                         settings_.server),
             "", stage());
  finished_ = true;
  expected_.clear();
  return ClientStep{ClientAction::Close, "", false};
}

ClientStep ClientProtocol::fail_session(const RemoteReply& reply, ClientStage stage) {
  decide_all_from_reply(reply, stage);
  return quit();
}

ClientStep ClientProtocol::fail_locally(Disposition disposition, std::string status,
                                        std::string text) {
  decide_all(disposition, status, text, "", last_stage_);
  return quit();
}

bool ClientProtocol::stops_at(ClientCheckpoint checkpoint) const {
  return settings_.quit_after && checkpoint >= *settings_.quit_after;
}

// Undecided recipients (all of them, or at `rcpt` the accepted ones) were not sent the message.
ClientStep ClientProtocol::stop_as_asked(ClientCheckpoint checkpoint) {
  quit_as_asked_ = true;
  decide_all(
      Disposition::Deferred, "4.0.0",
      fmt::format("not sent: quit after {} as asked", checkpoint_name(*settings_.quit_after)), "",
      stage());
  if (checkpoint == ClientCheckpoint::Connect) return close();  // no greeting yet: nothing to say
  return quit();
}

void ClientProtocol::decide(std::size_t index, Disposition disposition, std::string status,
                            std::string text, std::string diagnostic, ClientStage stage) {
  if (decided_[index]) return;
  decided_[index] = true;
  RecipientOutcome& outcome = outcomes_[index];
  outcome.disposition = disposition;
  outcome.status = std::move(status);
  outcome.text = std::move(text);
  outcome.diagnostic_code = std::move(diagnostic);
  outcome.stage = stage;
  outcome.remote_dsn =
      features_.dsn && transaction_started_ && disposition == Disposition::Delivered;
}

void ClientProtocol::decide_from_reply(std::size_t index, const RemoteReply& reply,
                                       ClientStage stage) {
  if (reply.is_positive()) {
    std::string status = reply.status.empty() ? "2.0.0" : reply.status;
    decide(index, Disposition::Delivered, status, reply.diagnostic, reply.diagnostic_code(), stage);
    return;
  }
  // 3xx where a final reply belongs, and malformed replies, prove nothing final: defer.
  bool permanent = reply.is_permanent();
  if (permanent && stage == ClientStage::Greeting && settings_.skip_5xx_greeting) permanent = false;
  std::string text =
      stage == ClientStage::Greeting
          ? fmt::format("host {} refused to talk to me: {}", settings_.server, reply.diagnostic)
          : fmt::format("host {} said: {} (in reply to {} command)", settings_.server,
                        reply.diagnostic, command_name(stage));
  decide(index, permanent ? Disposition::Bounced : Disposition::Deferred,
         status_of_class(reply.status, permanent ? '5' : '4'), std::move(text),
         reply.diagnostic_code(), stage);
}

void ClientProtocol::decide_all(Disposition disposition, const std::string& status,
                                const std::string& text, const std::string& diagnostic,
                                ClientStage stage) {
  for (std::size_t i = 0; i < outcomes_.size(); ++i) {
    decide(i, disposition, status, text, diagnostic, stage);
  }
}

void ClientProtocol::decide_all_from_reply(const RemoteReply& reply, ClientStage stage) {
  for (std::size_t i = 0; i < outcomes_.size(); ++i) decide_from_reply(i, reply, stage);
}

std::size_t complete_reply_length(std::string_view buffer) {
  std::size_t start = 0;
  while (true) {
    std::size_t newline = buffer.find('\n', start);
    if (newline == std::string_view::npos) return 0;
    std::string_view line = buffer.substr(start, newline - start);
    if (line.size() < 4 || line[3] != '-') return newline + 1;
    start = newline + 1;
  }
}

void DotStuffer::encode(std::string_view data, std::string& out) {
  if (data.empty()) return;
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (line_start_ && data[pos] == '.') out += '.';  // RFC 5321 §4.5.2
    std::size_t newline = data.find('\n', pos);
    std::size_t end = newline == std::string_view::npos ? data.size() : newline + 1;
    out.append(data.substr(pos, end - pos));
    line_start_ = newline != std::string_view::npos;
    pos = end;
  }
  char last = data.back();
  bool previous_cr = data.size() >= 2 ? data[data.size() - 2] == '\r' : last_cr_;
  ended_with_crlf_ = last == '\n' && previous_cr;
  last_cr_ = last == '\r';
  empty_ = false;
}

void DotStuffer::finish(std::string& out) {
  if (!empty_ && !ended_with_crlf_) out += "\r\n";
  out += ".\r\n";
}

std::string encode_orcpt(std::string_view type, std::string_view address, bool smtputf8) {
  if (!iequals(type, "utf-8")) return "rfc822;" + xtext_encode(address);
  std::string out = "utf-8;";
  std::size_t pos = 0;
  while (pos < address.size()) {
    auto [point, length] = decode_utf8(address, pos);
    bool qchar = point >= 0x21 && point <= 0x7E && point != '+' && point != '=' && point != '\\';
    if (qchar || (smtputf8 && point >= 0x80 && length > 1)) {
      out.append(address.substr(pos, length));
    } else {
      out += fmt::format("\\x{{{:02X}}}", point);
    }
    pos += length;
  }
  return out;
}

}  // namespace tern::smtp
