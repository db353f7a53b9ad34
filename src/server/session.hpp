// One SMTP connection as a C++20 coroutine: reads bytes, hands complete lines to the Protocol state
// machine, streams DATA/BDAT into the spool, awaits the group commit, and writes the replies of a
// whole pipelined batch in one write. Every read and write runs under the smtpd_timeout deadline.
// TLS (STARTTLS or implicit) and AUTH's password checks are awaited here too.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "config/recipient_directory.hpp"
#include "policy/auth_throttle.hpp"
#include "policy/connection_limits.hpp"
#include "queue/spool.hpp"
#include "server/protocol.hpp"

namespace tern::server {

// What every session shares. Outlives all sessions.
struct SessionServices {
  const config::Config* config = nullptr;
  // The current recipient tables; replaced as a whole on reload, so a session keeps its snapshot.
  std::function<std::shared_ptr<const config::RecipientDirectory>()> directory;
  queue::Spool* spool = nullptr;
  std::function<void(const std::string& queue_id)> message_queued;
  std::function<void(const std::string& destination)> flush_requested;  // ETRN
  policy::ConnectionLimits* limits = nullptr;
  asio::ssl::context* tls = nullptr;             // null when smtpd_tls_security_level = none
  asio::thread_pool* password_checks = nullptr;  // hashing is slow: kept off the event loops
  policy::AuthThrottle* auth_throttle = nullptr;
};

// `settings` are those of the listener that accepted the socket (its role); they outlive the
// session.
asio::awaitable<void> run_session(asio::ip::tcp::socket socket, SessionServices& services,
                                  const ProtocolSettings& settings);

}  // namespace tern::server
