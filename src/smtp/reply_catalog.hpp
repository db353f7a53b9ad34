// Every reply text the SMTP server sends, in one table, worded as Postfix words them so that
// admins, scripts and log parsers recognize them. Enhanced status codes per RFC 3463; none on the
// greeting, EHLO and HELO (RFC 2034 §3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/reply.hpp"

namespace tern::smtp::replies {

Reply greeting(std::string_view banner);  // 220 banner
Reply helo(std::string_view hostname);    // 250 hostname
Reply ehlo(std::string_view hostname, const std::vector<std::string>& keywords);
Reply ok();                                 // 250 2.0.0 Ok
Reply sender_ok();                          // 250 2.1.0 Ok
Reply recipient_ok();                       // 250 2.1.5 Ok
Reply start_data();                         // 354 End data with <CR><LF>.<CR><LF>
Reply queued(std::string_view queue_id);    // 250 2.0.0 Ok: queued as ID
Reply bdat_chunk_ok(std::uint64_t octets);  // 250 2.0.0 Ok: N octets received
Reply bye();                                // 221 2.0.0 Bye
Reply vrfy_ambiguous();  // 252 2.0.0 Cannot VRFY user; try RCPT to attempt delivery
Reply vrfy_found(std::string_view address);         // 252 2.0.0 address
Reply vrfy_disabled();                              // 502 5.5.1 VRFY command is disabled
Reply help();                                       // 214 2.0.0 Commands: ...
Reply etrn_queued(std::string_view domain);         // 250 Queuing started
Reply etrn_not_permitted(std::string_view domain);  // 459 4.7.1 <domain>: Not a local domain ...

Reply command_unrecognized();                       // 502 5.5.2 Error: command not recognized
Reply not_implemented(std::string_view what);       // 502 5.5.1 ...: command not implemented
Reply line_too_long();                              // 500 5.5.0 Error: line too long
Reply syntax(std::string_view usage);               // 501 5.5.4 Syntax: USAGE
Reply bad_sequence(std::string_view text);          // 503 5.5.1 Error: TEXT
Reply helo_required();                              // 503 5.5.1 Error: send HELO/EHLO first
Reply nested_mail();                                // 503 5.5.1 Error: nested MAIL command
Reply need_mail();                                  // 503 5.5.1 Error: need MAIL command
Reply need_rcpt();                                  // 503 5.5.1 Error: need RCPT command
Reply no_valid_recipients();                        // 554 5.5.1 Error: no valid recipients
Reply bad_sender_syntax(std::string_view path);     // 501 5.1.7 Bad sender address syntax
Reply bad_recipient_syntax(std::string_view path);  // 501 5.1.3 Bad recipient address syntax
Reply utf8_needs_smtputf8(std::string_view path);   // 553 5.6.7 ...
Reply invalid_helo(std::string_view helo);  // 501 5.5.2 <helo>: Helo command rejected: Invalid name
Reply helo_rejected(std::string_view helo,
                    std::string_view why);     // 554 5.7.1 <helo>: Helo command rejected: why
Reply size_exceeded_at_mail();                 // 552 5.3.4 Message size exceeds fixed limit
Reply size_exceeded_at_data();                 // 552 5.3.4 Message size exceeds fixed limit
Reply too_many_recipients();                   // 452 4.5.3 Error: too many recipients
Reply relay_denied(std::string_view address);  // 554 5.7.1 <x>: Relay access denied
Reply user_unknown(std::string_view address);  // 550 5.1.1 <x>: Recipient address rejected: User
                                               // unknown in local recipient table
Reply recipient_rejected(
    std::string_view address);  // 554 5.7.1 <x>: Recipient address rejected: Access denied
Reply lookup_failed(std::string_view address);     // 451 4.3.0 <x>: Temporary lookup failure
Reply bare_newline();                              // 550 5.5.2 Error: bare <LF> received
Reply storage_failure();                           // 451 4.3.0 Error: queue file write error
Reply insufficient_storage();                      // 452 4.3.1 Insufficient system storage
Reply too_many_errors(std::string_view hostname);  // 421 4.7.0 host Error: too many errors
Reply timeout(std::string_view hostname);          // 421 4.4.2 host Error: timeout exceeded
Reply too_many_connections(
    std::string_view hostname);                        // 421 4.7.0 host Error: too many connections
Reply service_unavailable(std::string_view hostname);  // 421 4.3.2 host Service shutting down
Reply bdat_needs_size();                               // 501 5.5.4 Syntax: BDAT count [LAST]
Reply data_after_bdat();                               // 503 5.5.1 Error: DATA after BDAT
Reply mixed_bdat();

// STARTTLS (RFC 3207) and AUTH (RFC 4954)
Reply ready_to_start_tls();      // 220 2.0.0 Ready to start TLS
Reply starttls_required();       // 530 5.7.0 Must issue a STARTTLS command first
Reply auth_required();           // 530 5.7.0 Authentication required
Reply auth_successful();         // 235 2.7.0 Authentication successful
Reply auth_failed();             // 535 5.7.8 Error: authentication failed
Reply auth_cancelled();          // 501 5.7.0 Authentication aborted
Reply auth_bad_base64();         // 501 5.5.2 Cannot decode response
Reply auth_response_too_long();  // 500 5.5.6 Authentication Exchange line is too long
Reply already_authenticated();   // 503 5.5.1 Error: already authenticated
Reply unsupported_mechanism();   // 504 5.5.4 Unrecognized authentication type
Reply too_many_auth_failures(std::string_view hostname);  // 421 4.7.0 host Error: too many ...
Reply sender_rejected(
    std::string_view address);  // 554 5.7.1 <x>: Sender address rejected: Access denied
Reply sender_not_owned(std::string_view address, std::string_view login);  // 553 5.7.1 ...
Reply sender_not_logged_in(std::string_view address);                      // 553 5.7.1 ...

}  // namespace tern::smtp::replies
