// The parameter table. Defaults follow Postfix where the concept is shared; differences (all toward
// safer or simpler behaviour) are listed in docs/configuration.md.
#include "config/parameters.hpp"

#include <array>

namespace tern::config {
namespace {

using K = ParameterKind;

constexpr ParameterInfo kParameters[] = {
    // Identity and domains
    {"myhostname", "", K::Effective},  // default computed from gethostname()
    {"mydomain", "", K::Effective},    // default: myhostname minus its first label
    {"myorigin", "$myhostname", K::Effective},
    {"mydestination", "$myhostname, localhost.$mydomain, localhost", K::Effective},
    {"mynetworks", "127.0.0.0/8 [::1]/128", K::Effective},
    {"mail_name", "tern", K::Effective},
    {"smtpd_banner", "$myhostname ESMTP $mail_name", K::Effective},
    {"append_dot_mydomain", "no", K::Effective},
    // Listeners
    {"inet_interfaces", "all", K::Effective},
    {"inet_protocols", "all", K::Effective},
    {"smtpd_listen", ":25", K::Effective},
    {"submission_listen", "", K::Effective},
    {"smtps_listen", "", K::Effective},
    {"smtpd_threads", "0", K::Effective},
    // Local recipients and delivery
    {"config_directory", "/etc/tern", K::Effective},
    {"queue_directory", "/var/spool/tern", K::Effective},
    {"data_directory", "/var/lib/tern", K::Effective},
    {"mail_root", "/var/mail/tern", K::Effective},
    {"alias_maps", "hash:/etc/aliases", K::Effective},
    {"local_recipient_maps", "passwd-file:${config_directory}/users, $alias_maps", K::Effective},
    {"recipient_delimiter", "", K::Effective},
    {"home_mailbox", "Maildir/", K::Effective},
    {"mailbox_size_limit", "0", K::Effective},
    {"mail_owner", "tern", K::Effective},
    {"maillog_file", "", K::Effective},
    // Restrictions
    {"smtpd_helo_required", "no", K::Effective},
    {"smtpd_helo_restrictions", "", K::Effective},
    {"smtpd_relay_restrictions", "permit_mynetworks, reject_unauth_destination", K::Effective},
    {"smtpd_recipient_restrictions", "", K::Effective},
    {"disable_vrfy_command", "ambiguous", K::Effective},
    {"smtpd_sender_restrictions", "", K::Effective},
    {"mua_relay_restrictions", "permit_sasl_authenticated, reject", K::Effective},
    {"mua_sender_restrictions", "reject_sender_login_mismatch", K::Effective},
    {"smtpd_sender_login_maps", "", K::Effective},
    // TLS and authentication
    {"smtpd_tls_cert_file", "", K::Effective},
    {"smtpd_tls_key_file", "$smtpd_tls_cert_file", K::Effective},
    {"smtpd_tls_chain_files", "", K::Effective},
    {"smtpd_tls_security_level", "may", K::Effective},
    {"smtpd_tls_auth_only", "yes", K::Effective},
    {"smtpd_tls_protocols", ">=TLSv1.2", K::Effective},
    {"smtpd_tls_mandatory_protocols", "$smtpd_tls_protocols", K::Effective},
    {"smtpd_tls_mandatory_ciphers", "high", K::Effective},
    {"tls_high_cipherlist",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
     "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
     K::Effective},
    {"tls_medium_cipherlist", "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES", K::Effective},
    {"smtpd_tls_loglevel", "1", K::Effective},
    {"smtpd_sasl_auth_enable", "no", K::Effective},
    {"smtpd_auth_failure_limit", "5", K::Effective},
    // Limits
    {"message_size_limit", "10240000", K::Effective},
    {"line_length_limit", "2048", K::Effective},
    {"smtpd_recipient_limit", "1000", K::Effective},
    {"smtpd_timeout", "300s", K::Effective},
    {"smtpd_hard_error_limit", "20", K::Effective},
    {"smtpd_client_connection_count_limit", "50", K::Effective},
    {"smtpd_connection_limit", "5000", K::Effective},
    {"queue_minfree", "0", K::Effective},
    {"smtpd_forbid_bare_newline", "normalize", K::Effective},
    {"smtpd_forbidden_commands", "CONNECT GET POST", K::Effective},
    // Queue timing
    {"minimal_backoff_time", "300s", K::Effective},
    {"maximal_backoff_time", "4000s", K::Effective},
    {"queue_run_delay", "300s", K::Effective},
    {"maximal_queue_lifetime", "5d", K::Effective},
    {"bounce_queue_lifetime", "5d", K::Effective},
    {"delay_warning_time", "0h", K::Effective},
    {"smtp_generic_maps", "", K::Effective},
    {"smtp_sasl_auth_enable", "no", K::Effective},
    {"smtp_sasl_password_maps", "", K::Effective},
    {"masquerade_domains", "", K::Effective},
    {"masquerade_exceptions", "", K::Effective},
    // Outbound delivery
    {"relayhost", "", K::Effective},
    {"resolver", "", K::Effective},
    {"smtp_helo_name", "$myhostname", K::Effective},
    {"smtp_connect_timeout", "30s", K::Effective},
    {"smtp_helo_timeout", "300s", K::Effective},
    {"smtp_mail_timeout", "300s", K::Effective},
    {"smtp_rcpt_timeout", "300s", K::Effective},
    {"smtp_data_init_timeout", "120s", K::Effective},
    {"smtp_data_xfer_timeout", "180s", K::Effective},
    {"smtp_data_done_timeout", "600s", K::Effective},
    {"smtp_quit_timeout", "300s", K::Effective},
    {"smtp_tls_security_level", "may", K::Effective},
    // Postfix parameters accepted without effect (Postfix internals, or features of later tern
    // issues)
    {"alias_database", "", K::PostfixNoEffect},
    {"biff", "", K::PostfixNoEffect},
    {"readme_directory", "", K::PostfixNoEffect},
    {"html_directory", "", K::PostfixNoEffect},
    {"manpage_directory", "", K::PostfixNoEffect},
    {"sample_directory", "", K::PostfixNoEffect},
    {"command_directory", "", K::PostfixNoEffect},
    {"daemon_directory", "", K::PostfixNoEffect},
    {"meta_directory", "", K::PostfixNoEffect},
    {"shlib_directory", "", K::PostfixNoEffect},
    {"compatibility_level", "", K::PostfixNoEffect},
    {"setgid_group", "", K::PostfixNoEffect},
    {"sendmail_path", "", K::PostfixNoEffect},
    {"newaliases_path", "", K::PostfixNoEffect},
    {"mailq_path", "", K::PostfixNoEffect},
    {"import_environment", "", K::PostfixNoEffect},
    {"mailbox_command", "", K::PostfixNoEffect},
    {"mailbox_transport", "", K::PostfixNoEffect},
    {"mail_spool_directory", "", K::PostfixNoEffect},
    {"smtp_tls_session_cache_database", "", K::PostfixNoEffect},
    {"smtp_bind_address", "", K::PostfixNoEffect},
    {"smtp_bind_address6", "", K::PostfixNoEffect},
    {"relay_domains", "", K::PostfixNoEffect},
    {"transport_maps", "", K::PostfixNoEffect},
    {"virtual_alias_maps", "", K::PostfixNoEffect},
    {"virtual_mailbox_domains", "", K::PostfixNoEffect},
    {"virtual_mailbox_maps", "", K::PostfixNoEffect},
    {"canonical_maps", "", K::PostfixNoEffect},
    {"sender_canonical_maps", "", K::PostfixNoEffect},
    {"recipient_canonical_maps", "", K::PostfixNoEffect},
    {"header_checks", "", K::PostfixNoEffect},
    {"body_checks", "", K::PostfixNoEffect},
    {"smtpd_tls_session_cache_database", "", K::PostfixNoEffect},
    {"smtpd_use_tls", "", K::PostfixNoEffect},
    {"smtp_tls_CApath", "", K::PostfixNoEffect},
    {"smtp_tls_CAfile", "", K::PostfixNoEffect},
    {"smtp_tls_loglevel", "", K::PostfixNoEffect},
    {"smtpd_sasl_type", "", K::PostfixNoEffect},
    {"smtpd_sasl_path", "", K::PostfixNoEffect},
    {"smtpd_sasl_security_options", "", K::PostfixNoEffect},
    {"smtpd_client_restrictions", "", K::PostfixNoEffect},
    {"smtpd_data_restrictions", "", K::PostfixNoEffect},
    {"smtpd_delay_reject", "", K::PostfixNoEffect},
    {"smtpd_soft_error_limit", "", K::PostfixNoEffect},
    {"smtpd_error_sleep_time", "", K::PostfixNoEffect},
    {"smtpd_client_message_rate_limit", "", K::PostfixNoEffect},
    {"smtpd_client_connection_rate_limit", "", K::PostfixNoEffect},
    {"anvil_rate_time_unit", "", K::PostfixNoEffect},
    {"default_process_limit", "", K::PostfixNoEffect},
    {"default_destination_concurrency_limit", "", K::PostfixNoEffect},
    {"notify_classes", "", K::PostfixNoEffect},
    {"strict_rfc821_envelopes", "", K::PostfixNoEffect},
    {"disable_dns_lookups", "", K::PostfixNoEffect},
    {"smtp_host_lookup", "", K::PostfixNoEffect},
    {"smtputf8_enable", "", K::PostfixNoEffect},
    {"unknown_local_recipient_reject_code", "", K::PostfixNoEffect},
    {"local_transport", "", K::PostfixNoEffect},
    {"default_transport", "", K::PostfixNoEffect},
    {"inet_interfaces_v6", "", K::PostfixNoEffect},
    {"debug_peer_level", "", K::PostfixNoEffect},
    {"debugger_command", "", K::PostfixNoEffect},
    {"milter_default_action", "", K::PostfixNoEffect},
    {"smtpd_milters", "", K::PostfixNoEffect},
    {"non_smtpd_milters", "", K::PostfixNoEffect},
    {"message_strip_characters", "", K::PostfixNoEffect},
    {"maillog_file_prefixes", "", K::PostfixNoEffect},
};

}  // namespace

const ParameterInfo* find_parameter(std::string_view name) {
  for (const ParameterInfo& info : kParameters) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::span<const ParameterInfo> all_parameters() {
  return kParameters;
}

}  // namespace tern::config
