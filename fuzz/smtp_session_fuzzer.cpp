// Fuzzes a whole SMTP conversation through the server's protocol state machine
// (server/protocol.hpp), with BDAT framing (RFC 3030 §2), DATA and AUTH as the session coroutine
// drives them: the input is what a client writes; lines go to Protocol::on_line, and after "BDAT n"
// exactly n octets are the chunk, never commands. The first byte picks one of four main.cf setups
// (plain MX, a strict MX with AUTH and small limits, submission, smtps) and whether the client is
// in mynetworks. Checks: a chunk is read only inside a transaction with recipients and has the size
// the command named; the transaction's BDAT byte count is the sum of its chunks; DATA never mixes
// with BDAT; every reply is a well-formed RFC 5321 §4.2 reply whose lines hold no CR, LF or other
// controls (client text echoed in a reply must not break the framing or forge lines).
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.hpp"
#include "config/config.hpp"
#include "config/recipient_directory.hpp"
#include "fuzz_check.hpp"
#include "server/protocol.hpp"
#include "smtp/data_decoder.hpp"
#include "smtp/reply.hpp"
#include "smtp/reply_catalog.hpp"

namespace {

using namespace tern;
using server::Action;
using server::Step;
using tern::fuzz::visible;

constexpr std::string_view kPlainMx = R"(myhostname = mx.example.test
mydestination = example.test, localhost
mynetworks = 192.0.2.0/24
)";
constexpr std::string_view kStrictMx = R"(myhostname = mx.example.test
mydestination = example.test
mynetworks = 192.0.2.0/24
smtpd_sasl_auth_enable = yes
smtpd_tls_auth_only = no
disable_vrfy_command = no
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_sender_restrictions = reject_unauthenticated_sender_login_mismatch
message_size_limit = 200
smtpd_recipient_limit = 2
smtpd_hard_error_limit = 8
smtpd_forbid_bare_newline = reject
smtpd_tls_security_level = encrypt
)";

struct Setup {
  config::Config config;
  server::ProtocolSettings settings;
  std::unique_ptr<config::RecipientDirectory> directory;
  bool implicit_tls = false;
};

Setup make_setup(std::string_view main_cf, config::ListenerRole role) {
  auto loaded = config::load_config(main_cf, "main.cf");
  FUZZ_CHECK(loaded.ok(), "fuzz setup main.cf: " + (loaded ? "" : loaded.error().message));
  Setup setup;
  setup.config = loaded->config;
  setup.settings = server::ProtocolSettings::from(setup.config, role, /*tls_available=*/true);
  std::vector<config::LocalUser> users{{"alice@example.test", "", ""}, {"bob", "", ""}};
  config::AliasTable aliases;
  aliases.entries["postmaster"] = {"alice@example.test"};
  aliases.entries["team"] = {"alice", "bob@example.test"};
  setup.directory =
      std::make_unique<config::RecipientDirectory>(setup.config, users, std::move(aliases));
  setup.implicit_tls = role == config::ListenerRole::Smtps;
  return setup;
}

const std::vector<Setup>& setups() {
  static const std::vector<Setup> all = [] {
    std::vector<Setup> made;
    made.push_back(make_setup(kPlainMx, config::ListenerRole::Smtp));
    made.push_back(make_setup(kStrictMx, config::ListenerRole::Smtp));
    made.push_back(make_setup(kPlainMx, config::ListenerRole::Submission));
    made.push_back(make_setup(kPlainMx, config::ListenerRole::Smtps));
    return made;
  }();
  return all;
}

void check_reply(const smtp::Reply& reply) {
  FUZZ_CHECK(reply.code >= 200 && reply.code <= 599, "reply code " + std::to_string(reply.code));
  std::string wire = smtp::format_reply(reply);
  std::size_t start = 0;
  while (start < wire.size()) {
    std::size_t end = wire.find("\r\n", start);
    FUZZ_CHECK(end != std::string::npos, "reply line without CRLF: " + visible(wire));
    std::string_view line(wire.data() + start, end - start);
    FUZZ_CHECK(line.size() >= 4 && line.substr(0, 3) == std::to_string(reply.code),
               "reply line " + visible(line) + " of " + visible(wire));
    for (char c : line) {
      auto byte = static_cast<unsigned char>(c);
      FUZZ_CHECK((byte >= 0x20 && byte != 0x7F) || c == '\t',
                 "control character in reply line " + visible(line));
    }
    start = end + 2;
  }
}

// The size a "BDAT <size> [LAST]" line names (RFC 3030 §2); false when the line is not one.
bool bdat_size(std::string_view line, std::uint64_t& size) {
  std::vector<std::string> words = split_list(line);
  if (words.size() < 2 || words.size() > 3) return false;
  const std::string& digits = words[1];
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  return error == std::errc{} && end == digits.data() + digits.size();
}

class Conversation {
 public:
  Conversation(const Setup& setup, bool in_mynetworks, std::string_view input)
      : setup_(setup),
        protocol_(setup.settings,
                  server::ClientInfo{in_mynetworks ? "192.0.2.7" : "198.51.100.7", "unknown",
                                     in_mynetworks},
                  *setup.directory),
        input_(input) {}

  void run() {
    if (setup_.implicit_tls) protocol_.on_tls_started("TLSv1.3 with cipher TLS_AES_256_GCM_SHA384");
    check_reply(protocol_.greeting());
    while (open_) {
      std::size_t newline = input_.find('\n');
      if (newline == std::string_view::npos) return;  // the client stopped mid-line
      std::string_view line = input_.substr(0, newline);
      input_.remove_prefix(newline + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::size_t limit = protocol_.in_auth_exchange()
                              ? std::max<std::size_t>(setup_.config.line_length_limit, 12288)
                              : setup_.config.line_length_limit;
      bool too_long = line.size() > limit;
      current_line_ = line;
      execute(too_long ? protocol_.on_line_too_long() : protocol_.on_line(line));
      check_transaction();
    }
  }

 private:
  void execute(Step step) {
    if (step.action == Action::Reply || step.action == Action::FlushQueue) {
      check_reply(step.reply);
    } else if (step.action == Action::Close) {
      check_reply(step.reply);
      open_ = false;
    } else if (step.action == Action::Drop) {
      open_ = false;
    } else if (step.action == Action::StartTls) {
      check_reply(step.reply);
      // The rest of the input stands for what arrives inside TLS: the session discards anything
      // pipelined before the handshake, which only means fewer bytes here.
      protocol_.on_tls_started("TLSv1.3 with cipher TLS_AES_256_GCM_SHA384");
    } else if (step.action == Action::Authenticate) {
      bool accepted =
          step.credentials.authcid == "alice@example.test" && step.credentials.password == "secret";
      execute(protocol_.on_auth_result(accepted));
    } else if (step.action == Action::ReceiveData) {
      receive_data();
    } else if (step.action == Action::ReceiveChunk || step.action == Action::DiscardChunk) {
      receive_chunk(step);
    }
  }

  void receive_data() {
    const server::Transaction& transaction = protocol_.transaction();
    FUZZ_CHECK(transaction.active && !transaction.recipients.empty(),
               "DATA accepted without a transaction with recipients");
    FUZZ_CHECK(!transaction.chunking, "DATA accepted after BDAT in one transaction");
    auto policy = setup_.config.smtpd_forbid_bare_newline == config::BareNewline::Reject
                      ? smtp::BareNewlinePolicy::Reject
                      : smtp::BareNewlinePolicy::Normalize;
    smtp::DataDecoder decoder(policy, setup_.config.message_size_limit);
    std::string message;
    input_.remove_prefix(decoder.feed(input_, message));
    if (!decoder.finished()) {
      open_ = false;  // the connection ended inside the message
      return;
    }
    if (decoder.too_big()) {
      check_reply(protocol_.on_message_failed(smtp::replies::size_exceeded_at_data()));
    } else if (decoder.saw_bare_newline() && policy == smtp::BareNewlinePolicy::Reject) {
      check_reply(protocol_.on_message_failed(smtp::replies::bare_newline()));
    } else {
      check_reply(protocol_.on_message_queued("4A1B2C3D4E"));
    }
  }

  void receive_chunk(const Step& step) {
    std::uint64_t named = 0;
    FUZZ_CHECK(bdat_size(current_line_, named) && tern::iequals(current_line_.substr(0, 4), "BDAT"),
               "chunk octets after " + visible(current_line_));
    FUZZ_CHECK(step.chunk_size == named, "chunk of " + std::to_string(step.chunk_size) +
                                             " octets after " + visible(current_line_));
    if (step.chunk_size > input_.size()) {
      open_ = false;  // the connection ended inside the chunk
      return;
    }
    input_.remove_prefix(static_cast<std::size_t>(step.chunk_size));
    if (step.action == Action::DiscardChunk) {
      check_reply(step.reply);
      return;
    }
    const server::Transaction& transaction = protocol_.transaction();
    FUZZ_CHECK(transaction.active && !transaction.recipients.empty() && transaction.chunking,
               "chunk accepted without a transaction with recipients");
    chunk_total_ += step.chunk_size;
    FUZZ_CHECK(transaction.chunked_size == chunk_total_,
               "chunked_size " + std::to_string(transaction.chunked_size) + " after " +
                   std::to_string(chunk_total_) + " octets of chunks");
    if (!step.last_chunk) {
      check_reply(protocol_.on_chunk_received(step.chunk_size));
    } else if (transaction.chunked_size > setup_.config.message_size_limit) {
      check_reply(protocol_.on_message_failed(smtp::replies::size_exceeded_at_data()));
    } else {
      check_reply(protocol_.on_message_queued("4A1B2C3D4E"));
    }
  }

  // A transaction that no longer counts chunks has forgotten them all.
  void check_transaction() {
    const server::Transaction& transaction = protocol_.transaction();
    if (!transaction.chunking) {
      FUZZ_CHECK(transaction.chunked_size == 0, "chunk octets outside a BDAT transaction");
      chunk_total_ = 0;
    }
    FUZZ_CHECK(transaction.active || transaction.recipients.empty(),
               "recipients without a transaction");
    FUZZ_CHECK(transaction.recipients.size() <= setup_.settings.recipient_limit,
               "more recipients than smtpd_recipient_limit");
  }

  const Setup& setup_;
  server::Protocol protocol_;
  std::string_view input_;
  std::string_view current_line_;
  std::uint64_t chunk_total_ = 0;
  bool open_ = true;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::vector<Setup>& all = setups();
  const Setup& setup = all[data[0] % all.size()];
  bool in_mynetworks = (data[0] & 0x10) != 0;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  Conversation(setup, in_mynetworks, input).run();
  return 0;
}
