// The reply texts, worded as Postfix's smtpd words them, so scripts and admins recognize every
// line.
#include "smtp/reply_catalog.hpp"

#include <fmt/format.h>

namespace tern::smtp::replies {

Reply greeting(std::string_view banner) {
  return make_reply(220, "", std::string(banner));
}
Reply helo(std::string_view hostname) {
  return make_reply(250, "", std::string(hostname));
}

Reply ehlo(std::string_view hostname, const std::vector<std::string>& keywords) {
  Reply reply{250, "", {std::string(hostname)}};
  reply.lines.insert(reply.lines.end(), keywords.begin(), keywords.end());
  return reply;
}

Reply ok() {
  return make_reply(250, "2.0.0", "Ok");
}
Reply sender_ok() {
  return make_reply(250, "2.1.0", "Ok");
}
Reply recipient_ok() {
  return make_reply(250, "2.1.5", "Ok");
}
Reply start_data() {
  return make_reply(354, "", "End data with <CR><LF>.<CR><LF>");
}
Reply queued(std::string_view queue_id) {
  return make_reply(250, "2.0.0", fmt::format("Ok: queued as {}", queue_id));
}
Reply bdat_chunk_ok(std::uint64_t octets) {
  return make_reply(250, "2.0.0", fmt::format("Ok: {} octets received", octets));
}
Reply bye() {
  return make_reply(221, "2.0.0", "Bye");
}
Reply vrfy_ambiguous() {
  return make_reply(252, "2.0.0", "Cannot VRFY user; try RCPT to attempt delivery");
}
Reply vrfy_found(std::string_view address) {
  return make_reply(252, "2.0.0", std::string(address));
}
Reply vrfy_disabled() {
  return make_reply(502, "5.5.1", "VRFY command is disabled");
}
Reply help() {
  return make_reply(214, "2.0.0",
                    "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET VRFY EXPN NOOP HELP QUIT ETRN");
}
Reply etrn_queued(std::string_view) {
  return make_reply(250, "", "Queuing started");
}
Reply etrn_not_permitted(std::string_view domain) {
  return make_reply(459, "4.7.1", fmt::format("<{}>: Sorry, unable to perform ETRN", domain));
}

Reply command_unrecognized() {
  return make_reply(502, "5.5.2", "Error: command not recognized");
}
Reply not_implemented(std::string_view what) {
  return make_reply(502, "5.5.1", fmt::format("Error: {} command not implemented", what));
}
Reply line_too_long() {
  return make_reply(500, "5.5.0", "Error: line too long");
}
Reply syntax(std::string_view usage) {
  return make_reply(501, "5.5.4", fmt::format("Syntax: {}", usage));
}
Reply bad_sequence(std::string_view text) {
  return make_reply(503, "5.5.1", fmt::format("Error: {}", text));
}
Reply helo_required() {
  return bad_sequence("send HELO/EHLO first");
}
Reply nested_mail() {
  return bad_sequence("nested MAIL command");
}
Reply need_mail() {
  return bad_sequence("need MAIL command");
}
Reply need_rcpt() {
  return bad_sequence("need RCPT command");
}
Reply no_valid_recipients() {
  return make_reply(554, "5.5.1", "Error: no valid recipients");
}
// Postfix names no address here: the text may be unparseable, and echoing it helps nobody.
Reply bad_sender_syntax(std::string_view) {
  return make_reply(501, "5.1.7", "Bad sender address syntax");
}
Reply bad_recipient_syntax(std::string_view) {
  return make_reply(501, "5.1.3", "Bad recipient address syntax");
}
Reply utf8_needs_smtputf8(std::string_view path) {
  return make_reply(553, "5.6.7",
                    fmt::format("{}: Must declare SMTPUTF8 to send unicode address", path));
}
Reply invalid_helo(std::string_view helo) {
  return make_reply(501, "5.5.2", fmt::format("<{}>: Helo command rejected: Invalid name", helo));
}
Reply helo_rejected(std::string_view helo, std::string_view why) {
  return make_reply(554, "5.7.1", fmt::format("<{}>: Helo command rejected: {}", helo, why));
}
Reply size_exceeded_at_mail() {
  return make_reply(552, "5.3.4", "Message size exceeds fixed limit");
}
Reply size_exceeded_at_data() {
  return make_reply(552, "5.3.4", "Message size exceeds fixed limit");
}
Reply too_many_recipients() {
  return make_reply(452, "4.5.3", "Error: too many recipients");
}
Reply relay_denied(std::string_view address) {
  return make_reply(554, "5.7.1", fmt::format("<{}>: Relay access denied", address));
}
Reply user_unknown(std::string_view address) {
  return make_reply(
      550, "5.1.1",
      fmt::format("<{}>: Recipient address rejected: User unknown in local recipient table",
                  address));
}
Reply recipient_rejected(std::string_view address) {
  return make_reply(554, "5.7.1",
                    fmt::format("<{}>: Recipient address rejected: Access denied", address));
}
Reply lookup_failed(std::string_view address) {
  return make_reply(451, "4.3.0", fmt::format("<{}>: Temporary lookup failure", address));
}
Reply bare_newline() {
  return make_reply(550, "5.5.2", "Error: bare <LF> received");
}
Reply storage_failure() {
  return make_reply(451, "4.3.0", "Error: queue file write error");
}
Reply insufficient_storage() {
  return make_reply(452, "4.3.1", "Insufficient system storage");
}
Reply too_many_errors(std::string_view hostname) {
  return make_reply(421, "4.7.0", fmt::format("{} Error: too many errors", hostname));
}
Reply timeout(std::string_view hostname) {
  return make_reply(421, "4.4.2", fmt::format("{} Error: timeout exceeded", hostname));
}
Reply too_many_connections(std::string_view hostname) {
  return make_reply(421, "4.7.0", fmt::format("{} Error: too many connections", hostname));
}
Reply service_unavailable(std::string_view hostname) {
  return make_reply(421, "4.3.2", fmt::format("{} Service shutting down", hostname));
}
Reply bdat_needs_size() {
  return syntax("BDAT count [LAST]");
}
Reply data_after_bdat() {
  return bad_sequence("DATA after BDAT");
}
Reply mixed_bdat() {
  return bad_sequence("BDAT after DATA");
}

Reply ready_to_start_tls() {
  return make_reply(220, "2.0.0", "Ready to start TLS");
}
Reply starttls_required() {
  return make_reply(530, "5.7.0", "Must issue a STARTTLS command first");
}
Reply auth_required() {
  return make_reply(530, "5.7.0", "Authentication required");
}
Reply auth_successful() {
  return make_reply(235, "2.7.0", "Authentication successful");
}
Reply auth_failed() {
  return make_reply(535, "5.7.8", "Error: authentication failed");
}
Reply auth_cancelled() {
  return make_reply(501, "5.7.0", "Authentication aborted");
}
Reply auth_bad_base64() {
  return make_reply(501, "5.5.2", "Cannot decode response");
}
Reply auth_response_too_long() {
  return make_reply(500, "5.5.6", "Authentication Exchange line is too long");
}
Reply already_authenticated() {
  return make_reply(503, "5.5.1", "Error: already authenticated");
}
Reply unsupported_mechanism() {
  return make_reply(504, "5.5.4", "Unrecognized authentication type");
}
Reply too_many_auth_failures(std::string_view hostname) {
  return make_reply(421, "4.7.0",
                    fmt::format("{} Error: too many authentication failures", hostname));
}
Reply sender_rejected(std::string_view address) {
  return make_reply(554, "5.7.1",
                    fmt::format("<{}>: Sender address rejected: Access denied", address));
}
Reply sender_not_owned(std::string_view address, std::string_view login) {
  return make_reply(
      553, "5.7.1",
      fmt::format("<{}>: Sender address rejected: not owned by user {}", address, login));
}
Reply sender_not_logged_in(std::string_view address) {
  return make_reply(553, "5.7.1",
                    fmt::format("<{}>: Sender address rejected: not logged in", address));
}

}  // namespace tern::smtp::replies
