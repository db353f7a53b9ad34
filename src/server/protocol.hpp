// The SMTP server protocol state machine (RFC 5321 §4.1, §4.3.2), with no I/O: it is fed command
// lines and returns what to reply and what the session must do next (read DATA, read a BDAT chunk,
// close). Every policy decision is delegated to pure functions in policy/ and lookups in
// config::RecipientDirectory, so the whole conversation can be tested as a transcript.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  std::string hostname;
  std::string banner;
  std::vector<std::string> local_domains;
  std::uint64_t message_size_limit = 10240000;
  std::size_t recipient_limit = 1000;
  int hard_error_limit = 20;
  bool helo_required = false;
  config::VrfyMode vrfy_mode = config::VrfyMode::Ambiguous;
  std::vector<std::string> helo_restrictions;
  std::vector<std::string> relay_restrictions;
  std::vector<std::string> recipient_restrictions;
  std::vector<std::string> forbidden_commands;

  static ProtocolSettings from(const config::Config& config);
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
};

struct Step {
  Action action = Action::Reply;
  smtp::Reply reply;  // unused for ReceiveData, ReceiveChunk and Drop
  std::uint64_t chunk_size = 0;
  bool last_chunk = false;
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

class Protocol {
 public:
  Protocol(const ProtocolSettings& settings, ClientInfo client,
           const config::RecipientDirectory& directory);

  smtp::Reply greeting() const;
  Step on_line(std::string_view line);
  Step on_line_too_long();

  // Completion of DATA or the last BDAT chunk. Both end the transaction.
  smtp::Reply on_message_queued(std::string_view queue_id);
  smtp::Reply on_message_failed(smtp::Reply reply);
  // A BDAT chunk that is not the last one.
  smtp::Reply on_chunk_received(std::uint64_t octets);
  smtp::Reply on_timeout() const;

  const Transaction& transaction() const { return transaction_; }
  const ClientInfo& client() const { return client_; }
  const std::string& helo_name() const { return helo_name_; }
  std::string protocol_name() const;  // "SMTP", "ESMTP", "UTF8SMTP" for the Received header
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
  std::optional<smtp::Reply> check_recipient(const smtp::Mailbox& mailbox);
  std::vector<std::string> ehlo_keywords() const;
  void reset_transaction();
  Step reply(smtp::Reply reply);
  void count(smtp::Verb verb, bool ok);

  const ProtocolSettings& settings_;
  ClientInfo client_;
  const config::RecipientDirectory& directory_;
  std::string helo_name_;
  bool extended_ = false;
  Transaction transaction_;
  int error_count_ = 0;
  smtp::Verb current_verb_ = smtp::Verb::Unknown;
  static constexpr std::size_t kVerbCount = static_cast<std::size_t>(smtp::Verb::Unknown) + 1;
  std::array<int, kVerbCount> commands_total_{};
  std::array<int, kVerbCount> commands_ok_{};
};

}  // namespace tern::server
