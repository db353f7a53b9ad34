// ternd's lifecycle: configuration, spool, recipient tables, listeners (SO_REUSEPORT, one
// io_context per thread), privilege drop after binding, queue recovery, signals (TERM/INT stop, HUP
// reloads tables). Start-up failures are one line on stderr and a non-zero exit; nothing is
// half-started.
#include "server/daemon.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "auth/password_hash.hpp"
#include "base/logging.hpp"
#include "delivery/bounce.hpp"
#include "delivery/local_agent.hpp"
#include "delivery/remote_agent.hpp"
#include "mime/message_id.hpp"
#include "net/listener.hpp"
#include "net/self_signed.hpp"
#include "net/tls_context.hpp"
#include "queue/queue_manager.hpp"
#include "server/control_socket.hpp"
#include "server/default_files.hpp"
#include "server/pickup.hpp"
#include "server/privileges.hpp"
#include "server/session.hpp"

namespace tern::server {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// The recipient tables in use; SIGHUP swaps in a fresh copy while sessions keep the one they
// started with.
class DirectoryHolder {
 public:
  explicit DirectoryHolder(std::shared_ptr<const config::RecipientDirectory> directory)
      : current_(std::move(directory)) {}
  std::shared_ptr<const config::RecipientDirectory> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void set(std::shared_ptr<const config::RecipientDirectory> directory) {
    std::lock_guard lock(mutex_);
    current_ = std::move(directory);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const config::RecipientDirectory> current_;
};

std::shared_ptr<const config::RecipientDirectory> load_directory(const config::Config& config) {
  std::vector<config::Diagnostic> diagnostics;
  auto directory = std::make_shared<const config::RecipientDirectory>(
      config::RecipientDirectory::load(config, diagnostics));
  for (const auto& diagnostic : diagnostics) spdlog::warn("{}", diagnostic.to_string());
  return directory;
}

// Each SMTP connection holds a descriptor, so thousands of idle clients need thousands of them:
// take the whole hard limit (the soft default is often 1024), and say when even that is too low
// for smtpd_connection_limit, since the symptom otherwise is "accept: Too many open files" under
// load.
void raise_descriptor_limit(const config::Config& config) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot read the open files limit: {}", std::strerror(errno));
    return;
  }
  rlim_t before = limit.rlim_cur;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      spdlog::warn("cannot raise the open files limit from {} to {}: {}", before, limit.rlim_max,
                   std::strerror(errno));
      limit.rlim_cur = before;
    }
  }
  if (limit.rlim_cur == before) {
    spdlog::info("open files limit: {} (the hard limit)", limit.rlim_cur);
  } else {
    spdlog::info("open files limit: {} (soft limit raised from {} to the hard limit)",
                 limit.rlim_cur, before);
  }
  // Spool, Maildir, log and listener descriptors come on top of one per connection.
  constexpr rlim_t kReserve = 100;
  rlim_t needed = static_cast<rlim_t>(config.smtpd_connection_limit) + kReserve;
  if (config.smtpd_connection_limit > 0 && limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < needed) {
    spdlog::warn(
        "open files limit {} is below smtpd_connection_limit {} + {}: raise the hard limit "
        "(LimitNOFILE= in the systemd unit, or ulimit -Hn), or lower smtpd_connection_limit",
        limit.rlim_cur, config.smtpd_connection_limit, kReserve);
  }
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor acceptor, SessionServices& services,
                                  const ProtocolSettings& settings) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pause(executor);
  while (acceptor.is_open()) {
    auto [error, socket] = co_await acceptor.async_accept(use_tuple);
    if (error == asio::error::operation_aborted) break;
    if (error) {
      // Out of descriptors or memory: back off instead of spinning, and say so.
      spdlog::warn("accept: {}", error.message());
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    asio::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    asio::co_spawn(executor, run_session(std::move(socket), services, settings), asio::detached);
  }
}

struct Loaded {
  config::LoadedConfig loaded;
  bool embedded = false;
};

Result<Loaded> load(const DaemonOptions& options) {
  if (options.config_path.empty()) {
    auto loaded = config::load_config(config::embedded_default_config(), "(embedded default)");
    if (!loaded) return loaded.error();
    return Loaded{std::move(loaded.value()), true};
  }
  auto loaded = config::load_config_file(options.config_path);
  if (!loaded) return loaded.error();
  return Loaded{std::move(loaded.value()), false};
}

// The configured certificate, or a self-signed one under data_directory on a first start without
// one, so STARTTLS and port 465 work out of the box. Read before privileges are dropped.
Result<std::shared_ptr<asio::ssl::context>> make_tls(const config::Config& config) {
  net::TlsServerSettings settings;
  settings.certificate_file = config.smtpd_tls_cert_file;
  settings.key_file = config.smtpd_tls_key_file;
  settings.chain_files = config.smtpd_tls_chain_files;
  settings.minimum_version = config.smtpd_tls_protocols.minimum;
  settings.maximum_version = config.smtpd_tls_protocols.maximum;
  settings.cipherlist = config.smtpd_tls_cipherlist;
  if (settings.certificate_file.empty() && settings.chain_files.empty()) {
    auto files =
        net::ensure_self_signed_certificate(config.data_directory + "/tls", config.myhostname);
    if (!files) return Error{fmt::format("self-signed certificate: {}", files.error().message)};
    if (files->created) {
      spdlog::warn(
          "no smtpd_tls_cert_file configured: created a self-signed certificate {} "
          "(key {}); clients that verify certificates will refuse it",
          files->certificate, files->key);
    }
    settings.certificate_file = files->certificate;
    settings.key_file = files->key;
  }
  return net::make_server_tls_context(settings);
}

// The modification times of the recipient tables, to reload them when an admin edits one (as
// `tern user add` does) without a SIGHUP.
std::vector<std::filesystem::file_time_type> table_times(const config::Config& config) {
  std::vector<std::filesystem::file_time_type> times;
  for (const auto* tables :
       {&config.alias_maps, &config.local_recipient_maps, &config.smtpd_sender_login_maps}) {
    for (const config::TableSpec& table : *tables) {
      std::error_code error;
      times.push_back(std::filesystem::last_write_time(table.path, error));
    }
  }
  return times;
}

asio::awaitable<void> watch_tables(const config::Config& config, DirectoryHolder& directory) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto seen = table_times(config);
  while (true) {
    timer.expires_after(std::chrono::seconds(2));
    auto [error] = co_await timer.async_wait(use_tuple);
    if (error) co_return;
    auto now = table_times(config);
    if (now == seen) continue;
    seen = std::move(now);
    spdlog::info("reload: a recipient table changed; re-reading recipient tables");
    directory.set(load_directory(config));
  }
}

// Commits a message tern makes itself (a notification, a forwarded copy) to the spool, waits for
// it to be durable, and hands it to the queue manager. `write` fills in the message bytes.
Result<std::string> queue_new_message(
    queue::Spool& spool, queue::QueueManager& manager, queue::Envelope envelope,
    const std::function<Status(queue::IncomingMessage&, const std::string&)>& write) {
  envelope.arrival_time = static_cast<std::int64_t>(std::time(nullptr));
  envelope.client_name = "localhost";
  envelope.client_address = "127.0.0.1";
  envelope.protocol = "LOCAL";
  auto incoming = spool.begin(envelope);
  if (!incoming) return incoming.error();
  if (Status written = write(incoming.value(), envelope.queue_id); !written) {
    return written.error();
  }
  std::promise<Status> committed;
  spool.commit(std::move(incoming.value()),
               [&committed](Status status) { committed.set_value(std::move(status)); });
  if (Status status = committed.get_future().get(); !status) return status.error();
  manager.submit(envelope.queue_id);
  return envelope.queue_id;
}

// A notification is a new message from <> (RFC 3461 §6.2), committed before the original's
// recipients are recorded as told.
Status queue_notification(queue::Spool& spool, queue::QueueManager& manager,
                          const config::Config& config, const queue::Envelope& original,
                          const queue::Notification& notice, const std::string& spool_file,
                          std::uint64_t data_offset) {
  queue::Envelope envelope;
  queue::Recipient recipient;
  recipient.address = delivery::notification_recipient(notice, config.myhostname);
  envelope.recipients.push_back(std::move(recipient));
  auto queued = queue_new_message(
      spool, manager, std::move(envelope),
      [&](queue::IncomingMessage& message, const std::string& queue_id) -> Status {
        std::time_t now = std::time(nullptr);
        std::string message_id = mime::make_message_id(queue_id, config.myhostname, now);
        auto text = delivery::build_notification({original, notice, spool_file, data_offset},
                                                 config.myhostname, message_id, now);
        if (!text) return text.error();
        return message.write(*text);
      });
  if (!queued) return queued.error();
  spdlog::info("{}: sender {} notification: {}", original.queue_id,
               notice.kind == queue::Notification::Kind::Failure ? "non-delivery"
               : notice.kind == queue::Notification::Kind::Delay ? "delay"
                                                                 : "delivery",
               *queued);
  return ok_status();
}

// Copies the original message after a Delivered-To: for the forwarding address (Postfix local(8)
// adds the same, and it lets the next hop notice loops).
Result<std::string> queue_forward(queue::Spool& spool, queue::QueueManager& manager,
                                  const delivery::LocalDeliveryAgent::ForwardRequest& request) {
  const queue::Envelope& original = request.job.envelope;
  queue::Envelope envelope;
  envelope.sender = original.sender;
  envelope.ret = original.ret;
  envelope.envid = original.envid;
  envelope.body = original.body;
  envelope.smtputf8 = original.smtputf8;
  for (const std::string& address : request.addresses) {
    queue::Recipient recipient;
    recipient.address = address;
    recipient.notify = original.recipients[request.index].notify;
    recipient.orcpt_type = "rfc822";
    recipient.orcpt_address = request.delivered_to;
    envelope.recipients.push_back(std::move(recipient));
  }
  return queue_new_message(
      spool, manager, std::move(envelope),
      [&](queue::IncomingMessage& message, const std::string&) -> Status {
        if (Status written =
                message.write(fmt::format("Delivered-To: {}\r\n", request.delivered_to));
            !written) {
          return written;
        }
        int fd = ::open(request.job.spool_file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
          return Error{fmt::format("open {}: {}", request.job.spool_file, std::strerror(errno))};
        std::vector<char> buffer(64 * 1024);
        off_t offset = static_cast<off_t>(request.job.data_offset);
        Status copied = ok_status();
        while (copied) {
          ssize_t got = ::pread(fd, buffer.data(), buffer.size(), offset);
          if (got < 0 && errno == EINTR) continue;
          if (got < 0) copied = Error{fmt::format("read: {}", std::strerror(errno))};
          if (got <= 0) break;
          offset += got;
          copied = message.write(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
        }
        ::close(fd);
        return copied;
      });
}

int fail(const std::string& message) {
  std::fprintf(stderr, "ternd: %s\n", message.c_str());
  return 1;
}

}  // namespace

int run_daemon(const DaemonOptions& options) {
  auto loaded = load(options);
  if (!loaded) return fail(loaded.error().message);
  const config::Config& config = loaded->loaded.config;
  if (auto logging = init_logging("ternd", config.maillog_file); !logging) {
    return fail(logging.error().message);
  }
  for (const auto& diagnostic : loaded->loaded.diagnostics) {
    if (diagnostic.level != config::Diagnostic::Level::Notice) {
      spdlog::warn("{}", diagnostic.to_string());
    }
  }
  if (loaded->embedded) {
    if (auto created = create_default_files(config); !created) return fail(created.error().message);
  }
  raise_descriptor_limit(config);

  auto spool = queue::Spool::open(config.queue_directory);
  if (!spool) return fail(spool.error().message);
  DirectoryHolder directory(load_directory(config));

  unsigned threads = config.smtpd_threads > 0 ? static_cast<unsigned>(config.smtpd_threads)
                                              : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (unsigned i = 0; i < threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));

  std::shared_ptr<asio::ssl::context> tls;
  if (config.smtpd_tls_security_level != config::TlsLevel::None) {
    auto made = make_tls(config);
    if (!made) return fail(made.error().message);
    tls = std::move(made.value());
  }
  std::map<config::ListenerRole, ProtocolSettings> role_settings;
  for (auto role : {config::ListenerRole::Smtp, config::ListenerRole::Submission,
                    config::ListenerRole::Smtps}) {
    role_settings[role] = ProtocolSettings::from(config, role, tls != nullptr);
  }
  asio::thread_pool password_checks(2);
  // The dummy hash for unknown users is made on first use; make it now, so the first unknown
  // login is not slower than the rest.
  asio::post(password_checks, [] { auth::spend_verification_work("warm-up"); });
  policy::AuthThrottle auth_throttle(policy::AuthThrottle::Settings{});

  SessionServices services;
  services.config = &config;
  services.tls = tls.get();
  services.password_checks = &password_checks;
  services.auth_throttle = &auth_throttle;
  services.directory = [&directory] { return directory.get(); };
  services.spool = spool->get();
  policy::ConnectionLimits limits(config.smtpd_client_connection_count_limit,
                                  config.smtpd_connection_limit);
  services.limits = &limits;

  std::vector<std::pair<asio::ip::tcp::acceptor, config::ListenerRole>> acceptors;
  for (const config::ListenAddress& listen : config.listeners) {
    if (listen.role == config::ListenerRole::Smtps && !tls) {
      return fail("smtps_listen needs TLS, but smtpd_tls_security_level = none");
    }
    auto endpoints =
        net::listen_endpoints(listen.host, listen.port, config.inet_ipv4, config.inet_ipv6);
    if (!endpoints) return fail(endpoints.error().message);
    for (const auto& endpoint : endpoints.value()) {
      for (auto& context : contexts) {
        auto acceptor = net::open_listener(*context, endpoint);
        if (!acceptor) return fail(acceptor.error().message);
        acceptors.emplace_back(std::move(acceptor.value()), listen.role);
      }
      spdlog::info("listening on {}:{} for {} ({} threads)", endpoint.address().to_string(),
                   endpoint.port(), config::role_name(listen.role), threads);
    }
  }

  if (auto dropped = drop_privileges(config); !dropped) return fail(dropped.error().message);

  queue::QueueManager* manager_for_forwards = nullptr;  // set once the manager exists
  delivery::LocalDeliveryAgent::Options agent_options{
      config.myhostname,
      [&spool, &manager_for_forwards](const delivery::LocalDeliveryAgent::ForwardRequest& request) {
        return queue_forward(*spool.value(), *manager_for_forwards, request);
      }};
  // The SMTP client verifies against the system's CA store (smtp_tls_security_level = verify).
  auto client_tls = net::make_client_tls_context();
  if (!client_tls) spdlog::warn("no TLS for outbound mail: {}", client_tls.error().message);
  delivery::RemoteDeliveryAgent remote_agent(
      config, client_tls ? client_tls.value() : std::shared_ptr<asio::ssl::context>());
  queue::QueueManager manager(
      config.queue_directory,
      [&config, &directory, &agent_options, &remote_agent](const queue::DeliveryJob& job) {
        auto tables = directory.get();
        // mydestination recipients are the local agent's; everything else goes out over SMTP.
        std::vector<std::size_t> local, remote;
        for (std::size_t index : job.pending) {
          const std::string& address = job.envelope.recipients[index].address;
          std::size_t at = address.rfind('@');
          bool is_local =
              at == std::string::npos || tables->is_local_domain(address.substr(at + 1));
          (is_local ? local : remote).push_back(index);
        }
        std::vector<queue::RecipientResult> results;
        if (!local.empty()) {
          queue::DeliveryJob local_job{job.envelope, job.spool_file, job.data_offset, local,
                                       job.recovered};
          delivery::LocalDeliveryAgent agent(config, *tables, agent_options);
          results = agent.deliver(local_job);
        }
        if (!remote.empty()) {
          auto sent = remote_agent.deliver(job, remote);
          results.insert(results.end(), sent.begin(), sent.end());
        }
        return results;
      },
      // Remote deliveries wait on the network: enough workers that a slow destination does not
      // hold back the others.
      8,
      queue::QueueTimes{config.minimal_backoff_seconds, config.maximal_backoff_seconds,
                        config.queue_run_delay_seconds, config.maximal_queue_lifetime_seconds,
                        config.bounce_queue_lifetime_seconds, config.delay_warning_seconds});
  manager_for_forwards = &manager;
  services.message_queued = [&manager](const std::string& queue_id) { manager.submit(queue_id); };
  manager.set_notifier([&spool, &manager, &config](
                           const queue::Envelope& original, const queue::Notification& notice,
                           const std::string& spool_file, std::uint64_t data_offset) {
    return queue_notification(*spool.value(), manager, config, original, notice, spool_file,
                              data_offset);
  });
  services.flush_requested = [&manager](const std::string& destination) {
    manager.flush(destination);
  };
  manager.recover();
  std::string control_path = control_socket_path(config.queue_directory);
  auto control = open_control_socket(*contexts.front(), control_path);
  if (!control) return fail(control.error().message);
  asio::co_spawn(*contexts.front(), serve_control_socket(std::move(control.value()), manager),
                 asio::detached);
  // tern sendmail: local programs submit through the pickup socket.
  PickupServices pickup_services{
      &config, spool.value().get(),
      [&manager](const std::string& queue_id) { manager.submit(queue_id); }};
  std::string pickup_path = pickup_socket_path(config.queue_directory);
  auto pickup = open_pickup_socket(*contexts.front(), pickup_path);
  if (!pickup) return fail(pickup.error().message);
  asio::co_spawn(*contexts.front(), serve_pickup_socket(std::move(pickup.value()), pickup_services),
                 asio::detached);

  for (auto& [acceptor, role] : acceptors) {
    auto executor = acceptor.get_executor();
    asio::co_spawn(executor, accept_loop(std::move(acceptor), services, role_settings[role]),
                   asio::detached);
  }
  asio::co_spawn(*contexts.front(), watch_tables(config, directory), asio::detached);

  auto signals = std::make_unique<asio::signal_set>(*contexts.front(), SIGTERM, SIGINT, SIGHUP);
  std::function<void(const asio::error_code&, int)> on_signal;
  on_signal = [&](const asio::error_code& error, int number) {
    if (error) return;
    if (number == SIGHUP) {
      spdlog::info("reload: re-reading recipient tables");
      directory.set(load_directory(config));
      signals->async_wait(on_signal);
      return;
    }
    spdlog::info("terminating on signal {}", number);
    for (auto& context : contexts) context->stop();
  };
  signals->async_wait(on_signal);

  spdlog::info("daemon started -- version {}, configuration {}", TERN_VERSION,
               loaded->embedded ? "(embedded default)" : options.config_path);
  std::vector<std::thread> workers;
  for (std::size_t i = 1; i < contexts.size(); ++i) {
    workers.emplace_back([&context = *contexts[i]] { context.run(); });
  }
  contexts.front()->run();
  for (auto& context : contexts) context->stop();
  for (auto& worker : workers) worker.join();
  // Let delivery finish what it holds (it may still commit a notification to the spool), then
  // drain the committer while the event loops still exist (its callbacks are posted to them), then
  // destroy the sessions.
  manager.stop();
  spool.value().reset();
  signals.reset();  // I/O objects go before the io_context they belong to
  password_checks.join();
  contexts.clear();
  ::unlink(control_path.c_str());
  ::unlink(pickup_path.c_str());
  spdlog::info("stopped");
  return 0;
}

}  // namespace tern::server
