// Fuzzes the outbound SMTP client's state machine (smtp/client_protocol.hpp) against a hostile
// server: the input is everything the server says, framed into replies as delivery/smtp_client.cpp
// frames them; the first bytes pick the client's settings (TLS policy, PIPELINING, AUTH, the
// message's needs) and whether each TLS handshake works. Checks the header's guarantees: every
// recipient ends with exactly one outcome whose status class matches its disposition; no message
// data is sent unless DATA was sent and a recipient accepted; credentials never go out before TLS
// unless allowed; every command line the client writes is one CRLF-terminated line.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/client_protocol.hpp"

namespace {

using tern::fuzz::visible;
using namespace tern;
using namespace tern::smtp;

constexpr std::size_t kMaxReplyOctets = 64 * 1024;  // as delivery/smtp_client.cpp

ClientSettings settings_from(FuzzedDataProvider& provider) {
  ClientSettings settings;
  settings.helo_name = "mx.example.test";
  settings.server = "mx.remote.test[192.0.2.1]";
  settings.relay = "mx.remote.test[192.0.2.1]:25";
  settings.tls_policy = static_cast<TlsPolicy>(provider.ConsumeIntegralInRange<int>(0, 3));
  settings.tls_available = provider.ConsumeBool();
  settings.pipelining = provider.ConsumeBool();
  settings.skip_5xx_greeting = provider.ConsumeBool();
  settings.auth_without_tls = provider.ConsumeBool();
  settings.pipeline_window = provider.ConsumeIntegralInRange<std::size_t>(1, 8);
  if (provider.ConsumeBool()) {
    settings.credentials =
        ClientCredentials{[] { return Result<std::string>(std::string("AGFsaWNlAHNlY3JldA==")); },
                          [](std::string_view prompt) -> Result<std::string> {
                            if (prompt == "Username:") return std::string("YWxpY2U=");
                            if (prompt == "Password:") return std::string("c2VjcmV0");
                            return Error{"unexpected prompt"};
                          }};
  }
  return settings;
}

OutboundMessage message_from(FuzzedDataProvider& provider) {
  OutboundMessage message;
  message.sender = provider.ConsumeBool() ? "" : "sender@example.test";
  std::size_t count = provider.ConsumeIntegralInRange<std::size_t>(1, 5);
  for (std::size_t i = 0; i < count; ++i) {
    OutboundRecipient recipient;
    recipient.address = "rcpt" + std::to_string(i) + "@remote.test";
    recipient.notify = provider.ConsumeIntegralInRange<std::uint8_t>(0, 15);
    if (provider.ConsumeBool()) {
      recipient.orcpt_type = "rfc822";
      recipient.orcpt_address = "orig+" + std::to_string(i) + "@example.test";
    }
    message.recipients.push_back(recipient);
  }
  message.size = provider.ConsumeIntegral<std::uint32_t>();
  message.body = static_cast<Body>(provider.ConsumeIntegralInRange<int>(0, 2));
  message.smtputf8 = provider.ConsumeBool();
  message.utf8_header = message.smtputf8 && provider.ConsumeBool();
  message.ret = static_cast<Ret>(provider.ConsumeIntegralInRange<int>(0, 2));
  if (provider.ConsumeBool()) message.envid = "envelope-id";
  return message;
}

void check_output(std::string_view output) {
  std::string_view rest = output;
  while (!rest.empty()) {
    std::size_t end = rest.find("\r\n");
    FUZZ_CHECK(end != std::string_view::npos, "command without CRLF: " + visible(output));
    FUZZ_CHECK(rest.substr(0, end).find_first_of("\r\n") == std::string_view::npos,
               "bare CR or LF in command " + visible(rest.substr(0, end)));
    rest.remove_prefix(end + 2);
  }
}

char status_class(Disposition disposition) {
  if (disposition == Disposition::Delivered) return '2';
  if (disposition == Disposition::Deferred) return '4';
  return '5';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  ClientSettings settings = settings_from(provider);
  bool auth_without_tls = settings.auth_without_tls;
  OutboundMessage message = message_from(provider);
  std::size_t recipients = message.recipients.size();
  std::string handshakes = provider.ConsumeBytesAsString(4);  // one byte per STARTTLS
  std::string server = provider.ConsumeRemainingBytesAsString();
  std::string_view input = server;

  ClientProtocol client(std::move(settings), std::move(message));
  std::string written;
  ClientStep step = client.start();
  std::size_t handshake = 0;
  bool message_sent = false;
  for (int rounds = 0; rounds < 10000; ++rounds) {
    check_output(step.output);
    if (step.sensitive) {
      FUZZ_CHECK(client.tls_active() || auth_without_tls, "credentials sent before TLS");
    }
    written += step.output;
    if (step.action == ClientAction::Close) break;
    if (step.action == ClientAction::StartTls) {
      bool works = handshake < handshakes.size() && (handshakes[handshake] & 1) != 0;
      ++handshake;
      // The session discards whatever the server sent in plain text after its 220.
      step = works ? client.on_tls_started() : client.on_tls_failed("handshake failed");
      continue;
    }
    if (step.action == ClientAction::SendMessage) {
      FUZZ_CHECK(written.find("DATA\r\n") != std::string::npos, "message sent without DATA");
      FUZZ_CHECK(!message_sent, "message sent twice");
      message_sent = true;
      step = client.on_message_sent();
      continue;
    }
    std::size_t length = complete_reply_length(input);
    if (length == 0) {
      client.on_connection_failed(input.size() > kMaxReplyOctets
                                      ? ClientProtocol::Failure::ReplyTooLong
                                      : ClientProtocol::Failure::Lost);
      break;
    }
    std::string_view reply = input.substr(0, length);
    input.remove_prefix(length);
    step = client.on_reply(reply);
  }

  FUZZ_CHECK(client.finished(), "the conversation ended but the client did not finish");
  const std::vector<RecipientOutcome>& outcomes = client.outcomes();
  FUZZ_CHECK(outcomes.size() == recipients, "outcomes for " + std::to_string(outcomes.size()) +
                                                " of " + std::to_string(recipients) +
                                                " recipients");
  for (const RecipientOutcome& outcome : outcomes) {
    FUZZ_CHECK(!outcome.text.empty(), "outcome without text");
    FUZZ_CHECK(!outcome.status.empty() && outcome.status[0] == status_class(outcome.disposition),
               "status " + visible(outcome.status) + " for disposition " +
                   std::to_string(static_cast<int>(outcome.disposition)) + ": " +
                   visible(outcome.text));
    if (outcome.disposition == Disposition::Delivered) {
      FUZZ_CHECK(message_sent, "delivered without sending the message: " + visible(outcome.text));
    }
  }
  return 0;
}
