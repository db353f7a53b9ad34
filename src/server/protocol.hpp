// The SMTP server protocol state machine (RFC 5321 §4.1, §4.3.2), with no I/O: it is fed command
// lines and returns what to reply and what the session must do next (read DATA, read a BDAT chunk,
// close). Every policy decision is delegated to pure functions in policy/ and lookups in
// config::RecipientDirectory, so the whole conversation can be tested as a transcript.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sasl_server.hpp"
#include "config/config.hpp"
#include "config/recipient_directory.hpp"
#include "queue/envelope.hpp"
#include "smtp/address.hpp"
#include "smtp/command.hpp"
#include "smtp/parameters.hpp"
#include "smtp/reply.hpp"

namespace tern::server {

// The parts of Config the protocol reads, copied once per listener so a session never touches the
// file.
struct ProtocolSettings {
  config::ListenerRole role = config::ListenerRole::Smtp;
  bool tls_available = false;     // a TLS context exists: STARTTLS is offered (smtp, submission)
  bool tls_required = false;      // smtpd_tls_security_level = encrypt, or submission
  bool auth_enabled = false;      // AUTH offered (smtpd_sasl_auth_enable; always on submission)
  bool auth_requires_tls = true;  // smtpd_tls_auth_only
  bool auth_required = false;     // submission and smtps: MAIL only after AUTH
  int auth_failure_limit = 5;
  std::vector<std::string> sender_restrictions;
  std::string hostname;
  std::string banner;
  std::vector<std::string> local_domains;
  std::uint64_t message_size_limit = 10240000;
  std::uint64_t queue_minfree = 0;
  std::size_t recipient_limit = 1000;
  int hard_error_limit = 20;
  bool helo_required = false;
  config::VrfyMode vrfy_mode = config::VrfyMode::Ambiguous;
  std::vector<std::string> helo_restrictions;
  std::vector<std::string> relay_restrictions;
  std::vector<std::string> recipient_restrictions;
  std::vector<std::string> forbidden_commands;

  static ProtocolSettings from(const config::Config& config, config::ListenerRole role,
                               bool tls_available);
};

struct ClientInfo {
  std::string address;  // "127.0.0.1"
  std::string name;     // reverse name or "unknown"
  bool in_mynetworks = false;
  std::string log_name() const;  // "unknown[127.0.0.1]", as Postfix logs clients
};

enum class Action {
  Reply,         // send the reply, read the next command
  Close,         // send the reply, then close the connection
  Drop,          // close without a reply (non-SMTP client)
  ReceiveData,   // start DATA: the session opens the spool file, replies 354 and decodes the data
  ReceiveChunk,  // BDAT: read chunk_size octets into the message
  DiscardChunk,  // BDAT refused: read and discard chunk_size octets, then send the reply
  FlushQueue,    // ETRN: ask the queue manager for an immediate run, then send the reply
  StartTls,      // send the reply, discard pipelined input, handshake, then call on_tls_started
  Authenticate,  // verify `credentials`, then call on_auth_result
};

struct Step {
  Action action = Action::Reply;
  smtp::Reply reply;  // unused for ReceiveData, ReceiveChunk and Drop
  std::uint64_t chunk_size = 0;
  bool last_chunk = false;
  auth::Credentials credentials{};  // for Authenticate
  std::string flush_destination{};  // for FlushQueue: "example.org" or "@example.org"
};

// The transaction being built between MAIL and the end of data.
struct Transaction {
  bool active = false;
  smtp::Mailbox sender;
  smtp::MailParameters parameters;
  std::vector<queue::Recipient> recipients;
  bool rcpt_attempted = false;
  // Accepted RCPT commands, repeats included: the recipient limit bounds the client's work.
  std::size_t rcpt_accepted = 0;
  bool chunking = false;           // a BDAT chunk was received
  std::uint64_t chunked_size = 0;  // octets received by BDAT so far
};

// Free bytes in the queue file system, asked at each MAIL (the session passes the spool's);
// nullopt when it cannot be told, which never refuses mail.
using QueueSpaceProbe = std::function<std::optional<std::uint64_t>()>;

class Protocol {
 public:
  // Without a `queue_space` probe, free space is not checked.
  Protocol(const ProtocolSettings& settings, ClientInfo client,
           const config::RecipientDirectory& directory, QueueSpaceProbe queue_space = {});

  smtp::Reply greeting() const;
  Step on_line(std::string_view line);
  Step on_line_too_long();

  // Completion of DATA or the last BDAT chunk. Both end the transaction.
  smtp::Reply on_message_queued(std::string_view queue_id);
  smtp::Reply on_message_failed(smtp::Reply reply);
  // A BDAT chunk that is not the last one.
  smtp::Reply on_chunk_received(std::uint64_t octets);
  smtp::Reply on_timeout() const;
  // RFC 3207 §4.2: after the handshake the client starts over with EHLO; what it said before
  // TLS is forgotten.
  void on_tls_started(std::string description);
  // The verdict on the credentials of an Authenticate step: 235, 535, or 421 past the limit.
  Step on_auth_result(bool accepted);

  bool tls_active() const { return !tls_description_.empty(); }
  const std::string& tls_description() const { return tls_description_; }
  const std::string& login() const { return login_; }
  const std::string& auth_method() const { return auth_method_; }
  bool in_auth_exchange() const { return sasl_.has_value(); }
  const Transaction& transaction() const { return transaction_; }
  const ClientInfo& client() const { return client_; }
  const ProtocolSettings& settings() const { return settings_; }
  const std::string& helo_name() const { return helo_name_; }
  // "SMTP", "ESMTP", "ESMTPS", "ESMTPSA", "UTF8SMTPSA", ... for the Received header (RFC 3848).
  std::string protocol_name() const;
  // Postfix's disconnect summary: "ehlo=1 mail=1 rcpt=0/1 data=1 quit=1 commands=4/5".
  std::string command_summary() const;
  // The envelope of the current transaction, for the spool.
  queue::Envelope envelope() const;

 private:
  Step dispatch(const smtp::Command& command);
  Step handle_helo(std::string_view argument, bool extended);
  Step handle_mail(std::string_view argument);
  Step handle_rcpt(std::string_view argument);
  Step handle_data(std::string_view argument);
  Step handle_bdat(std::string_view argument);
  Step handle_rset(std::string_view argument);
  Step handle_vrfy(std::string_view argument, std::string_view verb);
  Step handle_etrn(std::string_view argument);
  Step handle_starttls(std::string_view argument);
  Step handle_auth(std::string_view argument);
  Step continue_auth(std::string_view line);
  Step sasl_step(auth::SaslStep step);
  std::optional<smtp::Reply> check_tls_required(smtp::Verb verb) const;
  std::optional<smtp::Reply> check_sender(const smtp::Mailbox& sender) const;
  std::optional<smtp::Reply> check_recipient(const smtp::Mailbox& mailbox);
  std::vector<std::string> ehlo_keywords() const;
  void reset_transaction();
  Step reply(smtp::Reply reply);
  void count(smtp::Verb verb, bool ok);

  const ProtocolSettings& settings_;
  ClientInfo client_;
  const config::RecipientDirectory& directory_;
  QueueSpaceProbe queue_space_;
  std::string helo_name_;
  bool extended_ = false;
  std::string tls_description_;
  std::optional<auth::SaslExchange> sasl_;
  std::string auth_method_;  // mechanism of the exchange in progress or that succeeded
  std::string pending_login_;
  std::string login_;  // set once AUTH succeeded
  int auth_failures_ = 0;
  Transaction transaction_;
  int error_count_ = 0;
  smtp::Verb current_verb_ = smtp::Verb::Unknown;
  static constexpr std::size_t kVerbCount = static_cast<std::size_t>(smtp::Verb::Unknown) + 1;
  std::array<int, kVerbCount> commands_total_{};
  std::array<int, kVerbCount> commands_ok_{};
};

}  // namespace tern::server
