// The client side of one SMTP session (RFC 5321 §3.3, §4.1, §4.2) as a state machine with no I/O:
// fed each complete server reply, it says what to write next, when to start TLS (RFC 3207) and when
// to send the message, and records what happened to every recipient. It speaks PIPELINING (RFC
// 2920) in bounded batches, SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC
// 3461) and AUTH PLAIN/LOGIN (RFC 4954). Guarantees: every recipient ends with exactly one outcome
// carrying the remote reply and stage as Postfix logs them; no message data is sent unless a
// recipient was accepted; credentials are never sent before TLS unless allowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "smtp/parameters.hpp"
#include "smtp/remote_reply.hpp"

namespace tern::smtp {

// Postfix smtp_tls_security_level: none (never STARTTLS), may (opportunistic, no verification),
// encrypt (TLS required, no verification), verify (TLS required, certificate must match the host).
enum class TlsPolicy { None, May, Encrypt, Verify };

// What the reply being waited for answers. Also picks the timeout (smtp_*_timeout).
enum class ClientStage {
  Greeting,
  Ehlo,
  Helo,
  StartTls,
  Auth,
  Mail,
  Rcpt,
  Data,
  Message,    // the message is being written (no reply awaited until its end)
  EndOfData,  // the reply to the final "."
  Quit,
};

// The command a reply answered, as Postfix names it: "(in reply to RCPT TO command)".
std::string_view command_name(ClientStage stage);
// What was going on, as Postfix says when the connection breaks: "while sending RCPT TO".
std::string_view stage_activity(ClientStage stage);

// What the server announced in its EHLO reply (RFC 5321 §4.1.1.1).
struct ServerFeatures {
  bool esmtp = false;  // EHLO worked (false after falling back to HELO)
  bool pipelining = false;
  bool starttls = false;
  bool eight_bit_mime = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool chunking = false;
  bool enhanced_status_codes = false;
  bool size = false;                         // SIZE announced
  std::uint64_t size_limit = 0;              // SIZE's value; 0: no fixed limit (RFC 1870 §4)
  std::vector<std::string> auth_mechanisms;  // upper case, as announced
  std::vector<std::string> keywords;         // every extension line, as sent (for `tern audit`)
};

// Reads the extension lines of a positive EHLO reply (the first line is the server's name).
// Keywords are matched without regard to case; "AUTH=PLAIN LOGIN" (old Outlook style) counts.
ServerFeatures parse_ehlo_reply(std::string_view raw);

struct OutboundRecipient {
  std::string address;       // "user@example.org"
  std::uint8_t notify = 0;   // NotifyFlag bits; 0: not specified
  std::string orcpt_type{};  // "rfc822" or "utf-8"; empty: no ORCPT
  std::string orcpt_address{};
};

struct OutboundMessage {
  std::string sender;  // "" for the null sender <>
  std::vector<OutboundRecipient> recipients;
  std::uint64_t size = 0;  // octets as stored (CRLF line endings), for SIZE=
  Body body = Body::Unspecified;
  bool smtputf8 = false;     // received with SMTPUTF8
  bool utf8_header = false;  // the header holds UTF-8 (only with smtputf8)
  Ret ret = Ret::Unspecified;
  std::string envid;  // decoded; empty: none

  // RFC 6531 §3.2: a server without SMTPUTF8 cannot take UTF-8 addresses or headers.
  bool needs_smtputf8() const;
};

enum class Disposition { Delivered, Deferred, Bounced };

struct RecipientOutcome {
  Disposition disposition = Disposition::Deferred;
  std::string status;  // RFC 3463: "2.0.0", "5.1.1", "4.4.2"
  // Postfix's log text: "250 2.0.0 Ok: queued as X" when delivered, "host mx.example.org[192.0.2.1]
  // said: 550 5.1.1 <x>: User unknown (in reply to RCPT TO command)", "connect to ...: Connection
  // refused", "lost connection with ... while sending RCPT TO".
  std::string text;
  // RFC 3464 Diagnostic-Code when the remote server gave the reply ("smtp; 550 5.1.1 ..."); empty
  // when the outcome is this side's own decision (timeouts, SIZE or SMTPUTF8 refusals).
  std::string diagnostic_code;
  ClientStage stage = ClientStage::Greeting;
  std::string relay;  // "mx.example.org[192.0.2.1]:25"; "none" when no connection was made
  // The server announced DSN, so NOTIFY/ORCPT went with the recipient and it sends the notices now:
  // without it, a NOTIFY=SUCCESS sender is owed a "relayed" notice from us (RFC 3461 §4.1).
  bool remote_dsn = false;
};

// The client side of SASL PLAIN and LOGIN, bound by the caller to the credentials (see
// auth/sasl_client.hpp: auth::plain_initial_response, auth::login_response), so the protocol never
// holds a password.
struct ClientCredentials {
  std::function<Result<std::string>()> plain;                            // base64 response
  std::function<Result<std::string>(std::string_view challenge)> login;  // decoded prompt in
};

// Points in a session where a client may stop on purpose (`tern send --quit-after`), in the order
// they are reached: with STARTTLS connect, banner, (first EHLO), tls, ehlo (the EHLO after TLS),
// auth, mail, rcpt; with TLS from the first byte the handshake comes before the banner. A point a
// session does not pass (no TLS, no AUTH) counts as passed when the next one is reached.
enum class ClientCheckpoint { Connect, Banner, Tls, Ehlo, Auth, Mail, Rcpt };
// "connect", "banner", "tls", "ehlo", "auth", "mail", "rcpt".
std::string_view checkpoint_name(ClientCheckpoint checkpoint);

struct ClientSettings {
  std::string helo_name;  // smtp_helo_name, usually myhostname
  std::string server;     // "mx.example.org[192.0.2.1]" in texts
  std::string relay;      // "mx.example.org[192.0.2.1]:25" in outcomes
  TlsPolicy tls_policy = TlsPolicy::May;
  bool tls_available = true;  // a client TLS context exists
  bool pipelining = true;     // use PIPELINING when offered
  // Postfix smtp_skip_5xx_greeting: a 5xx greeting defers (and lets the next MX try) rather than
  // bouncing, since it usually means an overloaded or misconfigured host.
  bool skip_5xx_greeting = true;
  std::optional<ClientCredentials> credentials;  // AUTH when the server offers it
  bool auth_without_tls = false;                 // send credentials over plain TCP
  // Commands per pipelined write, at most (RFC 2920 §3.1: a client must not fill the server's
  // window while it is not reading replies).
  std::size_t pipeline_window = 4096;
  // RFC 8314 implicit TLS: the caller handshakes before the greeting, so the session is encrypted
  // from the start (no STARTTLS; AUTH allowed).
  bool tls_on_connect = false;
  // With credentials: a server that does not offer AUTH fails the session (tern send --auth)
  // instead of being sent the mail unauthenticated (relayhost logins, as Postfix does).
  bool auth_required = false;
  // Stop on purpose at that point: QUIT (close at Connect, before the greeting). Nothing is sent
  // past it (no RCPT after mail, no DATA after rcpt); undecided recipients are deferred with
  // "4.0.0" and quit_as_asked() is true.
  std::optional<ClientCheckpoint> quit_after;
  // Called with every reply as it arrives, with the stage it answers and, for RCPT TO, the
  // recipient's index (tern send reports each recipient's own reply).
  std::function<void(ClientStage stage, std::size_t recipient, std::string_view raw)>
      reply_observer;
  // Called once the server's features are known, just before MAIL FROM: may change the message's
  // body type, size, smtputf8 and utf8_header (never its recipients), e.g. to pick an 8-bit or a
  // quoted-printable rendering by whether the server has 8BITMIME. An error refuses the message
  // (5.6.3, "conversion required but not supported") with its text.
  std::function<Status(const ServerFeatures& features, OutboundMessage& message)>
      before_transaction;
};

enum class ClientAction {
  Read,         // write `output` (if any), then read one reply for on_reply()
  StartTls,     // handshake now, then on_tls_started() or on_tls_failed()
  SendMessage,  // write the dot-stuffed message and ".", then on_message_sent()
  Close,        // write `output` (if any) and close; the outcomes are final
};

struct ClientStep {
  ClientAction action = ClientAction::Read;
  std::string output;      // command lines, each ending in CRLF
  bool sensitive = false;  // `output` holds credentials: keep it out of logs and transcripts
};

class ClientProtocol {
 public:
  ClientProtocol(ClientSettings settings, OutboundMessage message);

  ClientStep start();  // read the greeting
  // One complete reply (every line with its CRLF), as complete_reply_length() frames it.
  ClientStep on_reply(std::string_view raw);
  ClientStep on_tls_started();
  // The handshake failed; `reason` is for the text ("certificate verify failed"). With policy
  // `may`, retry_without_tls() says the caller should reconnect in plain text (as Postfix does).
  ClientStep on_tls_failed(std::string_view reason);
  ClientStep on_message_sent();  // the final "." is written: read the reply to end of data

  enum class Failure { Lost, TimedOut, ReplyTooLong };
  // The connection broke at stage(); recipients without an outcome are deferred. Finishes.
  void on_connection_failed(Failure failure);
  // No session at all: every recipient is deferred with `text` (4.4.1 "connect to ...: ...").
  void on_connect_failed(std::string text);
  // This side could not go on (the queue file could not be read); finishes without "." or QUIT.
  void on_local_failure(std::string status, std::string text);

  ClientStage stage() const;
  bool finished() const { return finished_; }
  const ServerFeatures& features() const { return features_; }
  bool tls_active() const { return tls_active_; }
  // EHLO or HELO was accepted: the session counts against Postfix's smtp_mx_session_limit.
  bool session_established() const { return session_established_; }
  bool authenticated() const { return authenticated_; }
  bool retry_without_tls() const { return retry_without_tls_; }
  // The session stopped at settings.quit_after, as asked.
  bool quit_as_asked() const { return quit_as_asked_; }
  // Things worth a log line that are not failures ("8-bit message sent to a server without
  // 8BITMIME").
  const std::vector<std::string>& notes() const { return notes_; }
  // One per recipient of the message, in order. Final once finished(); recipients not yet decided
  // read as deferred with an empty text before that.
  const std::vector<RecipientOutcome>& outcomes() const { return outcomes_; }

 private:
  struct Expected {
    ClientStage stage;
    std::size_t recipient = 0;
  };
  ClientStep after_greeting(const RemoteReply& reply);
  ClientStep after_ehlo(const RemoteReply& reply, std::string_view raw);
  ClientStep after_helo(const RemoteReply& reply);
  ClientStep after_starttls(const RemoteReply& reply);
  ClientStep after_auth(const RemoteReply& reply);
  ClientStep after_transaction_reply(const Expected& expected, const RemoteReply& reply);
  ClientStep after_handshake();  // EHLO/HELO done: STARTTLS, AUTH or the transaction
  ClientStep begin_auth();
  ClientStep cancel_auth(std::string text);
  ClientStep begin_transaction();
  ClientStep next_batch();
  ClientStep end_transaction();
  void settle_too_many();
  ClientStep send(std::string output, std::vector<Expected> expected, bool sensitive = false);
  ClientStep quit();
  ClientStep close();
  std::string mail_command() const;
  std::string rcpt_command(std::size_t index) const;

  void decide(std::size_t index, Disposition disposition, std::string status, std::string text,
              std::string diagnostic, ClientStage stage);
  void decide_from_reply(std::size_t index, const RemoteReply& reply, ClientStage stage);
  // Every undecided recipient (the whole session failed, or the accepted ones at DATA's end).
  void decide_all(Disposition disposition, const std::string& status, const std::string& text,
                  const std::string& diagnostic, ClientStage stage);
  void decide_all_from_reply(const RemoteReply& reply, ClientStage stage);
  ClientStep fail_session(const RemoteReply& reply, ClientStage stage);
  ClientStep fail_locally(Disposition disposition, std::string status, std::string text);
  bool stops_at(ClientCheckpoint checkpoint) const;
  ClientStep stop_as_asked(ClientCheckpoint checkpoint);

  ClientSettings settings_;
  OutboundMessage message_;
  std::vector<RecipientOutcome> outcomes_;
  std::vector<bool> decided_;
  std::vector<bool> accepted_;
  std::deque<Expected> expected_;
  ServerFeatures features_;
  ClientStage last_stage_ = ClientStage::Greeting;
  bool finished_ = false;
  bool tls_active_ = false;
  bool session_established_ = false;
  bool authenticated_ = false;
  bool retry_without_tls_ = false;
  bool quit_as_asked_ = false;
  std::string auth_mechanism_;
  bool auth_cancelled_ = false;
  bool starttls_refused_ = false;  // `may`: the server said no, so go on in plain text
  // Transaction progress
  bool transaction_started_ = false;
  bool mail_sent_ = false;
  bool mail_failed_ = false;
  bool data_sent_ = false;
  std::size_t next_rcpt_ = 0;
  std::size_t accepted_count_ = 0;
  // Recipients refused with "452 4.5.3 too many recipients" after others were accepted: they go
  // again in a new transaction once this one's data is sent (RFC 5321 §4.5.3.1.10). The reply is
  // kept for their outcome should the session end first.
  std::vector<std::optional<RemoteReply>> too_many_;
  std::vector<std::string> notes_;
};

// The length of the first complete reply in `buffer` (through the CRLF of a line whose fourth
// octet is not '-'), or 0 when more input is needed.
std::size_t complete_reply_length(std::string_view buffer);

// RFC 5321 §4.5.2 transparency for message data that already has CRLF line endings: a '.' that
// starts a line is doubled. A line starts after any LF, so that even a receiver that ends lines at
// a bare LF cannot see an end of data inside the message (SMTP smuggling). finish() ends the data
// with CRLF "." CRLF, adding the CRLF when the message did not end with one.
class DotStuffer {
 public:
  void encode(std::string_view data, std::string& out);
  void finish(std::string& out);

 private:
  bool line_start_ = true;
  bool last_cr_ = false;
  bool ended_with_crlf_ = false;
  bool empty_ = true;
};

// RFC 3461 §4.2 / RFC 6533 §3: the ORCPT value for the wire, "rfc822;" + xtext or "utf-8;" +
// utf-8-addr-xtext (utf-8-addr-unitext when the session has SMTPUTF8).
std::string encode_orcpt(std::string_view type, std::string_view address, bool smtputf8);

}  // namespace tern::smtp
