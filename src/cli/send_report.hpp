// What `tern send` tells its user, from what the session did (pure): the exit status that names
// the stage that failed, one line per failure for stderr ("RCPT TO <x@y> refused: 550 5.1.1 ..."),
// a summary line for stdout, the -v transcript lines (coloured on a terminal) and the --json
// document. Guarantees: a partial success (some recipients refused, the message sent to the rest)
// is never reported as success or as plain failure; every failure has at least one line.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/smtp_client.hpp"
#include "smtp/client_protocol.hpp"

namespace tern::cli {

// Exit statuses of `tern send` (docs/send.md).
enum SendExit : int {
  kSendOk = 0,
  kSendLocalError = 1,  // the message could not be prepared (temporary file, password)
  kSendUsage = 2,
  kSendConnect = 3,
  kSendBanner = 4,
  kSendEhlo = 5,
  kSendTls = 6,
  kSendAuth = 7,
  kSendMail = 8,
  kSendRcpt = 9,  // every recipient refused
  kSendData = 10,
  kSendMessage = 11,  // the message itself refused, or the connection lost while sending it
  kSendPartial = 12,  // some recipients refused; the message went to the others
};

// One reply as the session observed it (smtp::ClientSettings::reply_observer).
struct ObservedReply {
  smtp::ClientStage stage = smtp::ClientStage::Greeting;
  std::size_t recipient = 0;  // for RCPT TO
  std::string text;           // the reply's lines joined by a space: "250 2.1.5 Ok"
};

struct SendFacts {
  std::string server;  // --server as given
  std::string proxy;   // --proxy as given; empty: none
  std::optional<std::string> connect_error;
  std::string peer;  // "host[address]:port", or "... via proxy ..."
  std::string sender;
  std::vector<std::string> recipients;  // envelope order
  std::string tls_mode;                 // "none", "starttls", "starttls-optional", "on-connect"
  std::string auth_user;                // empty: no AUTH asked for
  std::string auth_mechanism;           // what was (or would be) used: "PLAIN", "LOGIN"
  std::optional<smtp::ClientCheckpoint> quit_after;
  bool quit_as_asked = false;
  std::uint64_t size = 0;
  bool eight_bit = false;  // sent with BODY=8BITMIME (when offered)
  bool smtputf8 = false;
  bool dsn_requested = false;  // --dsn-notify, --dsn-ret or --envid
  std::vector<ObservedReply> replies;
  delivery::SmtpAttempt attempt;  // meaningful unless connect_error
};

struct SendReport {
  int exit_code = kSendOk;
  std::string result;                 // "sent", "partial", "failed", "quit"
  std::string failed_stage;           // "connect", "banner", ... "message"; empty when none failed
  std::vector<std::string> errors;    // for stderr, each without the "tern: " prefix
  std::string summary;                // for stdout; empty after a failure
  std::vector<std::string> warnings;  // for stderr: what did not go as asked but did not fail
};

SendReport make_send_report(const SendFacts& facts);

// The machine-readable result; the transcript only when asked for (-v).
nlohmann::ordered_json send_report_json(const SendFacts& facts, const SendReport& report,
                                bool with_transcript);

// One transcript line ("C: ...", "S: ...", "-- ...") for a terminal: client lines in cyan, server
// lines in green, notes dimmed; as is without colour.
std::string format_transcript_line(std::string_view line, bool colour);

// The queue id a server named in its reply to the end of data: Postfix's "queued as 6E1CF1681AB",
// Exim's "id=1rABcD-000Efg-Hi", Sendmail's "6E1CF1681AB Message accepted for delivery".
std::optional<std::string> queue_id_from_reply(std::string_view reply);

}  // namespace tern::cli
