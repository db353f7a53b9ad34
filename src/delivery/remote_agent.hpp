// The remote delivery agent (Postfix smtp(8)): mail for other domains, grouped by destination
// domain (or all to relayhost), each group sent over SMTP to the hosts of its MX plan in order, the
// next host tried when one cannot be reached or answers with a 4xx greeting. Results are values for
// the queue manager to record; this agent never touches the spool's state.
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "delivery/address_rewriting.hpp"
#include "delivery/smtp_client.hpp"
#include "queue/queue_manager.hpp"

namespace tern::delivery {

class RemoteDeliveryAgent {
 public:
  // `tls`: the client TLS context (system CA store), shared by every delivery; null for none.
  RemoteDeliveryAgent(const config::Config& config, std::shared_ptr<asio::ssl::context> tls);

  // Delivers `indexes` (recipients of other domains) of the job's message; one result each.
  std::vector<queue::RecipientResult> deliver(const queue::DeliveryJob& job,
                                              const std::vector<std::size_t>& indexes) const;

 private:
  // Merged in order (the first table with a key decides); an unreadable one sets
  // table_unavailable_.
  std::optional<config::LookupTable> load_tables(const std::vector<config::TableSpec>& tables,
                                                 std::string_view parameter);

  const config::Config& config_;
  SmtpClientOptions options_;
  OutboundRewriting rewriting_;
  std::optional<config::LookupTable> sasl_logins_;  // smtp_sasl_password_maps, when enabled
  // A table that could not be read: mail waits (deferred) rather than leaving with the names a
  // generic table was meant to hide, or without its login, as Postfix defers on a table lookup
  // problem.
  std::string table_unavailable_;
};

}  // namespace tern::delivery
