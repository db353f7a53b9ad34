// The SMTP server state machine (RFC 5321 §4.1.1, §4.1.4 command order, §4.3.2 reply codes; RFC
// 1870 SIZE, RFC 3030 CHUNKING, RFC 1985 ETRN). Check then proceed per verb, as OpenSMTPD does;
// replies come from the catalogue so every text is Postfix's. Never reveals whether a user exists
// outside RCPT.
#include "server/protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/strings.hpp"
#include "policy/queue_space.hpp"
#include "policy/restrictions.hpp"
#include "smtp/reply_catalog.hpp"

namespace tern::server {
namespace replies = smtp::replies;
using smtp::Verb;

ProtocolSettings ProtocolSettings::from(const config::Config& config, config::ListenerRole role,
                                        bool tls_available) {
  using config::ListenerRole;
  bool for_users = role != ListenerRole::Smtp;
  ProtocolSettings settings;
  settings.role = role;
  settings.tls_available = tls_available && role != ListenerRole::Smtps;
  settings.tls_required = role == ListenerRole::Submission ||
                          config.smtpd_tls_security_level == config::TlsLevel::Encrypt;
  settings.auth_enabled = for_users || config.smtpd_sasl_auth_enable;
  settings.auth_requires_tls = config.smtpd_tls_auth_only;
  settings.auth_required = for_users;
  settings.auth_failure_limit = config.smtpd_auth_failure_limit;
  settings.sender_restrictions =
      for_users ? config.mua_sender_restrictions : config.smtpd_sender_restrictions;
  settings.hostname = config.myhostname;
  settings.banner = config.smtpd_banner;
  settings.local_domains = config.mydestination;
  settings.message_size_limit = config.message_size_limit;
  settings.queue_minfree = config.queue_minfree;
  settings.recipient_limit = config.smtpd_recipient_limit;
  settings.hard_error_limit = config.smtpd_hard_error_limit;
  settings.helo_required = config.smtpd_helo_required;
  settings.vrfy_mode = config.vrfy_mode;
  settings.helo_restrictions = config.smtpd_helo_restrictions;
  // Submission is Debian's master.cf "-o smtpd_relay_restrictions=$mua_relay_restrictions
  // -o smtpd_recipient_restrictions=": users relay by logging in, whatever port 25 requires.
  settings.relay_restrictions =
      for_users ? config.mua_relay_restrictions : config.smtpd_relay_restrictions;
  if (!for_users) settings.recipient_restrictions = config.smtpd_recipient_restrictions;
  settings.forbidden_commands = config.smtpd_forbidden_commands;
  return settings;
}

std::string ClientInfo::log_name() const {
  return fmt::format("{}[{}]", name.empty() ? "unknown" : name, address);
}

Protocol::Protocol(const ProtocolSettings& settings, ClientInfo client,
                   const config::RecipientDirectory& directory, QueueSpaceProbe queue_space)
    : settings_(settings),
      client_(std::move(client)),
      directory_(directory),
      queue_space_(std::move(queue_space)) {}

smtp::Reply Protocol::greeting() const {
  return replies::greeting(settings_.banner);
}

Step Protocol::reply(smtp::Reply reply) {
  bool ok = reply.code < 400;
  if (!ok) ++error_count_;
  count(current_verb_, ok);
  return Step{Action::Reply, std::move(reply)};
}

void Protocol::count(Verb verb, bool ok) {
  auto index = static_cast<std::size_t>(verb);
  ++commands_total_[index];
  if (ok) ++commands_ok_[index];
}

Step Protocol::on_line(std::string_view line) {
  if (error_count_ >= settings_.hard_error_limit) {
    return Step{Action::Close, replies::too_many_errors(settings_.hostname)};
  }
  if (sasl_) return continue_auth(line);
  smtp::Command command = smtp::parse_command(line, settings_.forbidden_commands);
  current_verb_ = command.verb;
  return dispatch(command);
}

Step Protocol::on_line_too_long() {
  if (sasl_) {
    sasl_.reset();
    current_verb_ = Verb::Auth;
    return reply(replies::auth_response_too_long());
  }
  current_verb_ = Verb::Unknown;
  return reply(replies::line_too_long());
}

Step Protocol::dispatch(const smtp::Command& command) {
  const std::string& argument = command.argument;
  if (auto refusal = check_tls_required(command.verb)) return reply(std::move(*refusal));
  switch (command.verb) {
    case Verb::Helo:
      return handle_helo(argument, false);
    case Verb::Ehlo:
      return handle_helo(argument, true);
    case Verb::Mail:
      return handle_mail(argument);
    case Verb::Rcpt:
      return handle_rcpt(argument);
    case Verb::Data:
      return handle_data(argument);
    case Verb::Bdat:
      return handle_bdat(argument);
    case Verb::Rset:
      return handle_rset(argument);
    case Verb::Vrfy:
      return handle_vrfy(argument, "VRFY");
    case Verb::Expn:
      return handle_vrfy(argument, "EXPN");
    case Verb::Noop:
      return reply(replies::ok());
    case Verb::Help:
      return reply(replies::help());
    case Verb::Etrn:
      return handle_etrn(argument);
    case Verb::Quit: {
      count(Verb::Quit, true);
      return Step{Action::Close, replies::bye()};
    }
    case Verb::Starttls:
      return handle_starttls(argument);
    case Verb::Auth:
      return handle_auth(argument);
    case Verb::Forbidden: {
      count(Verb::Forbidden, false);
      return Step{Action::Drop, {}};
    }
    case Verb::Unknown:
      break;
  }
  return reply(replies::command_unrecognized());
}

std::vector<std::string> Protocol::ehlo_keywords() const {
  std::vector<std::string> keywords{"PIPELINING",
                                    fmt::format("SIZE {}", settings_.message_size_limit)};
  if (settings_.vrfy_mode == config::VrfyMode::Reveal) keywords.emplace_back("VRFY");
  keywords.emplace_back("ETRN");
  if (settings_.tls_available && !tls_active()) keywords.emplace_back("STARTTLS");
  if (settings_.auth_enabled && (tls_active() || !settings_.auth_requires_tls)) {
    keywords.emplace_back("AUTH PLAIN LOGIN");
  }
  for (const char* keyword : {"ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"}) {
    keywords.emplace_back(keyword);
  }
  return keywords;
}

Step Protocol::handle_helo(std::string_view argument, bool extended) {
  std::string_view name = trim(argument);
  if (name.empty()) return reply(replies::syntax(extended ? "EHLO hostname" : "HELO hostname"));
  policy::Verdict verdict =
      policy::evaluate_helo_restrictions(settings_.helo_restrictions, name, client_.in_mynetworks);
  if (verdict.decision == policy::Decision::Reject) return reply(std::move(verdict.reply));
  // RFC 5321 §4.1.4: HELO/EHLO in a session resets any transaction.
  reset_transaction();
  helo_name_ = std::string(name);
  extended_ = extended;
  if (!extended) return reply(replies::helo(settings_.hostname));
  return reply(replies::ehlo(settings_.hostname, ehlo_keywords()));
}

Step Protocol::handle_mail(std::string_view argument) {
  if (settings_.helo_required && helo_name_.empty()) return reply(replies::helo_required());
  if (transaction_.active) return reply(replies::nested_mail());
  smtp::PathArgument path;
  if (!smtp::split_path_argument(argument, "FROM", path)) {
    return reply(replies::syntax("MAIL FROM:<address>"));
  }
  auto parameters = smtp::parse_mail_parameters(path.parameters);
  if (!parameters) return reply(parameters.error());
  auto sender = smtp::parse_path(path.path, /*allow_null=*/true, parameters->smtputf8);
  if (!sender) {
    if (sender.error().kind == smtp::AddressError::Utf8Needs8) {
      return reply(replies::utf8_needs_smtputf8(path.path));
    }
    return reply(replies::bad_sender_syntax(path.path));
  }
  if (parameters->size && *parameters->size > settings_.message_size_limit) {
    return reply(replies::size_exceeded_at_mail());
  }
  // Postfix smtpd_check_queue: a nearly full queue refuses for now, before any data is sent.
  if (queue_space_) {
    std::optional<std::uint64_t> free_bytes = queue_space_();
    if (free_bytes && !policy::queue_has_room(*free_bytes, settings_.queue_minfree,
                                              settings_.message_size_limit)) {
      return reply(replies::insufficient_storage());
    }
  }
  if (settings_.auth_required && login_.empty()) return reply(replies::auth_required());
  if (auto refusal = check_sender(sender.value())) return reply(std::move(*refusal));
  transaction_ = Transaction{};
  transaction_.active = true;
  transaction_.sender = std::move(sender.value());
  transaction_.parameters = std::move(parameters.value());
  return reply(replies::sender_ok());
}

// The recipient's domain, lower case; "postmaster" alone means this host (RFC 5321 §4.5.1).
static std::string recipient_domain(const smtp::Mailbox& mailbox,
                                    const ProtocolSettings& settings) {
  if (mailbox.domain.empty()) return to_lower_ascii(settings.hostname);
  return to_lower_ascii(mailbox.domain);
}

std::optional<smtp::Reply> Protocol::check_recipient(const smtp::Mailbox& mailbox) {
  std::string domain = recipient_domain(mailbox, settings_);
  std::string local = smtp::unquoted_local_part(mailbox.local_part);
  policy::RecipientFacts facts;
  facts.client_in_mynetworks = client_.in_mynetworks;
  facts.sasl_authenticated = !login_.empty();
  facts.recipient_domain_is_local = directory_.is_local_domain(domain);
  facts.sender_routed = local.find_first_of("@%!") != std::string::npos;
  facts.recipient = mailbox.address();
  facts.helo = helo_name_;
  for (const auto* list : {&settings_.relay_restrictions, &settings_.recipient_restrictions}) {
    policy::Verdict verdict = policy::evaluate_recipient_restrictions(*list, facts);
    if (verdict.decision == policy::Decision::Reject) return std::move(verdict.reply);
  }
  if (!facts.recipient_domain_is_local) return std::nullopt;
  switch (directory_.recipient_exists(local, domain)) {
    case config::Lookup::Found:
      return std::nullopt;
    case config::Lookup::NotFound:
      return replies::user_unknown(mailbox.address());
    case config::Lookup::Unavailable:
      return replies::lookup_failed(mailbox.address());
  }
  return std::nullopt;
}

Step Protocol::handle_rcpt(std::string_view argument) {
  if (!transaction_.active) return reply(replies::need_mail());
  smtp::PathArgument path;
  if (!smtp::split_path_argument(argument, "TO", path)) {
    return reply(replies::syntax("RCPT TO:<address>"));
  }
  transaction_.rcpt_attempted = true;
  auto parameters = smtp::parse_rcpt_parameters(path.parameters);
  if (!parameters) return reply(parameters.error());
  auto mailbox =
      smtp::parse_path(path.path, /*allow_null=*/false, transaction_.parameters.smtputf8);
  if (!mailbox) {
    if (mailbox.error().kind == smtp::AddressError::Utf8Needs8) {
      return reply(replies::utf8_needs_smtputf8(path.path));
    }
    return reply(replies::bad_recipient_syntax(path.path));
  }
  if (transaction_.rcpt_accepted >= settings_.recipient_limit) {
    return reply(replies::too_many_recipients());
  }
  if (auto refusal = check_recipient(mailbox.value())) return reply(std::move(*refusal));

  queue::Recipient recipient;
  recipient.address =
      fmt::format("{}@{}", mailbox->local_part, recipient_domain(mailbox.value(), settings_));
  recipient.notify = parameters->notify;
  recipient.orcpt_type = std::move(parameters->orcpt_type);
  recipient.orcpt_address = std::move(parameters->orcpt_address);
  // A repeated recipient is accepted but kept once, so it gets one copy (Postfix's cleanup does
  // the same with its duplicate filter).
  bool repeated = std::any_of(
      transaction_.recipients.begin(), transaction_.recipients.end(),
      [&](const queue::Recipient& known) { return iequals(known.address, recipient.address); });
  if (!repeated) transaction_.recipients.push_back(std::move(recipient));
  ++transaction_.rcpt_accepted;
  return reply(replies::recipient_ok());
}

Step Protocol::handle_data(std::string_view argument) {
  if (!trim(argument).empty()) return reply(replies::syntax("DATA"));
  if (!transaction_.active) return reply(replies::need_mail());
  if (transaction_.chunking) return reply(replies::data_after_bdat());
  if (transaction_.recipients.empty()) {
    return reply(transaction_.rcpt_attempted ? replies::no_valid_recipients()
                                             : replies::need_rcpt());
  }
  return Step{Action::ReceiveData, {}};
}

// "BDAT 1000" or "BDAT 1000 LAST" (RFC 3030 §2). A refused chunk is still read, so the octets that
// follow are never taken for commands.
Step Protocol::handle_bdat(std::string_view argument) {
  std::vector<std::string> words = split_list(argument);
  std::uint64_t size = 0;
  bool syntax_ok = !words.empty() && words.size() <= 2;
  if (syntax_ok) {
    const std::string& digits = words[0];
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
    syntax_ok = error == std::errc{} && end == digits.data() + digits.size();
  }
  bool last = words.size() == 2 && iequals(words[1], "LAST");
  if (words.size() == 2 && !last) syntax_ok = false;
  if (!syntax_ok) return reply(replies::bdat_needs_size());  // no size known: cannot skip

  auto discard = [&](smtp::Reply refusal) {
    Step step = reply(std::move(refusal));
    step.action = Action::DiscardChunk;
    step.chunk_size = size;
    if (transaction_.active && transaction_.chunking) reset_transaction();
    return step;
  };
  if (!transaction_.active) return discard(replies::need_mail());
  if (transaction_.recipients.empty()) {
    return discard(transaction_.rcpt_attempted ? replies::no_valid_recipients()
                                               : replies::need_rcpt());
  }
  transaction_.chunking = true;
  transaction_.chunked_size += size;
  return Step{Action::ReceiveChunk, {}, size, last};
}

Step Protocol::handle_rset(std::string_view argument) {
  if (!trim(argument).empty()) return reply(replies::syntax("RSET"));
  reset_transaction();
  return reply(replies::ok());
}

// VRFY and EXPN (RFC 5321 §3.5.3). Default: the same 252 for every address, so no user list can be
// drawn.
Step Protocol::handle_vrfy(std::string_view argument, std::string_view verb) {
  std::string_view target = trim(argument);
  if (settings_.vrfy_mode == config::VrfyMode::Disabled) return reply(replies::vrfy_disabled());
  if (target.empty()) return reply(replies::syntax(fmt::format("{} address", verb)));
  if (settings_.vrfy_mode == config::VrfyMode::Ambiguous) return reply(replies::vrfy_ambiguous());

  auto mailbox = smtp::parse_path(target, /*allow_null=*/false, /*allow_utf8=*/true);
  if (!mailbox) {
    // A bare user name ("VRFY root") is asked about this host.
    mailbox = smtp::parse_path(fmt::format("<{}@{}>", target, settings_.hostname), false, true);
    if (!mailbox) return reply(replies::bad_recipient_syntax(target));
  }
  std::string domain = recipient_domain(mailbox.value(), settings_);
  if (!directory_.is_local_domain(domain)) return reply(replies::vrfy_found(mailbox->address()));
  std::string local = smtp::unquoted_local_part(mailbox->local_part);
  switch (directory_.recipient_exists(local, domain)) {
    case config::Lookup::Found:
      return reply(replies::vrfy_found(mailbox->address()));
    case config::Lookup::NotFound:
      return reply(replies::user_unknown(mailbox->address()));
    case config::Lookup::Unavailable:
      return reply(replies::lookup_failed(mailbox->address()));
  }
  return reply(replies::vrfy_ambiguous());
}

// ETRN (RFC 1985): asks for an immediate queue run. Not inside a transaction.
Step Protocol::handle_etrn(std::string_view argument) {
  std::string_view domain = trim(argument);
  if (helo_name_.empty()) return reply(replies::helo_required());
  if (transaction_.active) return reply(replies::bad_sequence("MAIL transaction in progress"));
  if (domain.empty()) return reply(replies::syntax("ETRN domain"));
  std::string_view name =
      domain.front() == '@' || domain.front() == '#' ? domain.substr(1) : domain;
  if (!policy::is_valid_helo_hostname(name)) return reply(replies::syntax("ETRN domain"));
  Step step = reply(replies::etrn_queued(domain));
  step.action = Action::FlushQueue;
  // "#queue" names a queue, which tern does not have: the domain after it is what is meant.
  step.flush_destination = domain.front() == '@' ? std::string(domain) : std::string(name);
  return step;
}

// smtpd_tls_security_level = encrypt and submission (RFC 3207 §4): only the commands that set up
// the session, and STARTTLS itself, before TLS. DATA and BDAT need a MAIL that cannot have
// succeeded; BDAT's own refusal also discards its octets.
std::optional<smtp::Reply> Protocol::check_tls_required(Verb verb) const {
  if (!settings_.tls_required || tls_active()) return std::nullopt;
  switch (verb) {
    case Verb::Mail:
    case Verb::Rcpt:
    case Verb::Vrfy:
    case Verb::Expn:
    case Verb::Etrn:
    case Verb::Auth:
      return replies::starttls_required();
    default:
      return std::nullopt;
  }
}

// STARTTLS (RFC 3207). The session discards whatever the client pipelined after this command, so
// nothing sent in plaintext can be taken as a command of the encrypted session (CVE-2011-0411).
Step Protocol::handle_starttls(std::string_view argument) {
  if (!settings_.tls_available && !tls_active()) {
    return reply(replies::not_implemented("STARTTLS"));
  }
  if (!trim(argument).empty()) return reply(replies::syntax("STARTTLS"));
  if (tls_active()) return reply(replies::bad_sequence("TLS already active"));
  if (transaction_.active) return reply(replies::bad_sequence("MAIL transaction in progress"));
  Step step = reply(replies::ready_to_start_tls());
  step.action = Action::StartTls;
  return step;
}

void Protocol::on_tls_started(std::string description) {
  tls_description_ = std::move(description);
  helo_name_.clear();
  extended_ = false;
  reset_transaction();
}

// AUTH (RFC 4954 §4). The password check is the session's (it is slow and runs off the event
// loop); the protocol keeps the order of things and the failure count.
Step Protocol::handle_auth(std::string_view argument) {
  if (!settings_.auth_enabled) return reply(replies::bad_sequence("authentication not enabled"));
  if (helo_name_.empty() || !extended_) return reply(replies::helo_required());
  if (settings_.auth_requires_tls && !tls_active()) return reply(replies::starttls_required());
  if (!login_.empty()) return reply(replies::already_authenticated());
  if (transaction_.active) return reply(replies::bad_sequence("MAIL transaction in progress"));
  std::vector<std::string> words = split_list(argument);
  if (words.empty() || words.size() > 2) return reply(replies::syntax("AUTH mechanism"));
  auto mechanism = auth::parse_mechanism(words[0]);
  if (!mechanism) return reply(replies::unsupported_mechanism());
  auth_method_ = to_upper_ascii(words[0]);
  std::optional<std::string_view> initial;
  if (words.size() == 2) initial = words[1];
  sasl_.emplace(*mechanism, initial);
  return sasl_step(sasl_->start());
}

Step Protocol::continue_auth(std::string_view line) {
  current_verb_ = Verb::Auth;
  return sasl_step(sasl_->respond(line));
}

Step Protocol::sasl_step(auth::SaslStep step) {
  using Kind = auth::SaslStep::Kind;
  if (step.kind == Kind::Challenge) {
    // A 334 is half of one command: it is counted when the exchange ends.
    return Step{Action::Reply, smtp::Reply{334, "", {step.challenge}}};
  }
  sasl_.reset();
  if (step.kind == Kind::Failed) {
    switch (step.failure) {
      case auth::SaslStep::Failure::Cancelled:
        return reply(replies::auth_cancelled());
      case auth::SaslStep::Failure::BadBase64:
        return reply(replies::auth_bad_base64());
      default:
        break;
    }
  }
  Step verify{Action::Authenticate, {}};
  // Acting for another user (authzid) is not offered: it must be empty or the login itself.
  const auth::Credentials& credentials = step.credentials;
  bool acceptable = step.kind == Kind::Done && (credentials.authzid.empty() ||
                                                iequals(credentials.authzid, credentials.authcid));
  // Malformed or refused credentials still go to the session's verification, with an empty login
  // that matches nobody: the same hashing time, the same 535, and the same throttle.
  if (acceptable) verify.credentials = std::move(step.credentials);
  pending_login_ = to_lower_ascii(verify.credentials.authcid);
  return verify;
}

Step Protocol::on_auth_result(bool accepted) {
  current_verb_ = Verb::Auth;
  if (accepted) {
    login_ = std::move(pending_login_);
    return reply(replies::auth_successful());
  }
  pending_login_.clear();
  if (++auth_failures_ >= settings_.auth_failure_limit) {
    count(Verb::Auth, false);
    return Step{Action::Close, replies::too_many_auth_failures(settings_.hostname)};
  }
  return reply(replies::auth_failed());
}

// smtpd_sender_restrictions / mua_sender_restrictions at MAIL FROM (Postfix's
// reject_sender_login_mismatch family).
std::optional<smtp::Reply> Protocol::check_sender(const smtp::Mailbox& sender) const {
  if (settings_.sender_restrictions.empty() || sender.is_null) return std::nullopt;
  std::string address = sender.address();
  bool authenticated = !login_.empty();
  for (const std::string& restriction : settings_.sender_restrictions) {
    if (restriction == "permit") return std::nullopt;
    if (restriction == "reject") return replies::sender_rejected(address);
    if (restriction == "permit_mynetworks" && client_.in_mynetworks) return std::nullopt;
    if (restriction == "permit_sasl_authenticated" && authenticated) return std::nullopt;
    bool check_authenticated = restriction == "reject_sender_login_mismatch" ||
                               restriction == "reject_authenticated_sender_login_mismatch";
    bool check_unauthenticated = restriction == "reject_sender_login_mismatch" ||
                                 restriction == "reject_unauthenticated_sender_login_mismatch";
    if (!check_authenticated && !check_unauthenticated) continue;
    std::vector<std::string> owners = directory_.sender_owners(address);
    if (authenticated && check_authenticated &&
        std::find(owners.begin(), owners.end(), login_) == owners.end()) {
      return replies::sender_not_owned(address, login_);
    }
    if (!authenticated && check_unauthenticated && !owners.empty()) {
      return replies::sender_not_logged_in(address);
    }
  }
  return std::nullopt;
}

void Protocol::reset_transaction() {
  transaction_ = Transaction{};
}

smtp::Reply Protocol::on_message_queued(std::string_view queue_id) {
  count(transaction_.chunking ? Verb::Bdat : Verb::Data, true);
  reset_transaction();
  return replies::queued(queue_id);
}

smtp::Reply Protocol::on_message_failed(smtp::Reply reply) {
  count(transaction_.chunking ? Verb::Bdat : Verb::Data, false);
  ++error_count_;
  reset_transaction();
  return reply;
}

smtp::Reply Protocol::on_chunk_received(std::uint64_t octets) {
  count(Verb::Bdat, true);
  return replies::bdat_chunk_ok(octets);
}

smtp::Reply Protocol::on_timeout() const {
  return replies::timeout(settings_.hostname);
}

std::string Protocol::protocol_name() const {
  std::string name = transaction_.parameters.smtputf8 ? "UTF8SMTP" : extended_ ? "ESMTP" : "SMTP";
  if (tls_active()) name += 'S';
  if (!login_.empty()) name += 'A';
  return name;
}

queue::Envelope Protocol::envelope() const {
  queue::Envelope envelope;
  envelope.sender = transaction_.sender.address();
  envelope.recipients = transaction_.recipients;
  const smtp::MailParameters& parameters = transaction_.parameters;
  envelope.ret = parameters.ret == smtp::Ret::Full      ? "FULL"
                 : parameters.ret == smtp::Ret::Headers ? "HDRS"
                                                        : "";
  envelope.envid = parameters.envid;
  envelope.body = parameters.body == smtp::Body::EightBitMime ? "8BITMIME"
                  : parameters.body == smtp::Body::SevenBit   ? "7BIT"
                                                              : "";
  envelope.smtputf8 = parameters.smtputf8;
  envelope.client_name = client_.name.empty() ? "unknown" : client_.name;
  envelope.client_address = client_.address;
  envelope.helo = helo_name_;
  envelope.protocol = protocol_name();
  return envelope;
}

std::string Protocol::command_summary() const {
  static constexpr std::pair<Verb, const char*> kOrder[] = {
      {Verb::Helo, "helo"},          {Verb::Ehlo, "ehlo"},      {Verb::Starttls, "starttls"},
      {Verb::Auth, "auth"},          {Verb::Mail, "mail"},      {Verb::Rcpt, "rcpt"},
      {Verb::Data, "data"},          {Verb::Bdat, "bdat"},      {Verb::Rset, "rset"},
      {Verb::Noop, "noop"},          {Verb::Vrfy, "vrfy"},      {Verb::Expn, "expn"},
      {Verb::Etrn, "etrn"},          {Verb::Help, "help"},      {Verb::Quit, "quit"},
      {Verb::Forbidden, "non-smtp"}, {Verb::Unknown, "unknown"}};
  std::string summary;
  int ok_sum = 0, total_sum = 0;
  auto append = [&summary](const char* name, int ok, int total) {
    if (!summary.empty()) summary += ' ';
    if (ok == total) {
      summary += fmt::format("{}={}", name, total);
    } else {
      summary += fmt::format("{}={}/{}", name, ok, total);
    }
  };
  for (auto [verb, name] : kOrder) {
    auto index = static_cast<std::size_t>(verb);
    if (commands_total_[index] == 0) continue;
    append(name, commands_ok_[index], commands_total_[index]);
    ok_sum += commands_ok_[index];
    total_sum += commands_total_[index];
  }
  append("commands", ok_sum, total_sum);
  return summary;
}

}  // namespace tern::server
