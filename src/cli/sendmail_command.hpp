// `tern sendmail` (also run as `sendmail`, and as `mailq` = sendmail -bp): the sendmail(1) command
// line that local programs (cron, mail(1), git send-email, PHP's mail()) call to submit a message
// from standard input, handed to ternd over its pickup socket (server/pickup.hpp). Options as
// Postfix's sendmail takes them: -t (recipients from To:/Cc:/Bcc:, Bcc: removed, command-line
// recipients added), -i/-oi (a line "." does not end the message), -f/-r sender, -F full name,
// -bp/-q (queue list/flush), the rest accepted and ignored (-odi, -oem, -N, -U, -B, ...).
// Guarantees: nothing printed on success; every failure is one line "tern: ..." on stderr and one
// of sendmail's exit codes (sysexits.h): 64 usage, 65 bad address or message, 66 unreadable input,
// 69 ternd not running, 70 refused otherwise, 75 temporary failure, 78 configuration.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tern::cli {

struct SendmailOptions {
  enum class Mode {
    Deliver,     // the default (-bm)
    ListQueue,   // -bp, mailq
    FlushQueue,  // -q
    Nothing,     // -bi, -I (newaliases): ternd re-reads alias_maps by itself
    Help,        // --help
  };
  Mode mode = Mode::Deliver;
  bool recipients_from_headers = false;  // -t
  bool dot_ends_message = true;          // cleared by -i and -oi
  std::optional<std::string> sender;     // -f, -r; "" or "<>" is the null sender
  std::string full_name;                 // -F
  bool verbose = false;                  // -v: the queue id on stderr
  std::string config_path;               // -c, --config, -C; empty: as load_chosen_config
  std::vector<std::string> recipients;
};

// Parses sendmail's command line (the arguments after the program or subcommand name). Options may
// be clustered ("-ti", "-fsender") and may follow recipients, as with GNU getopt; "--" ends them.
// The error text is a usage message without the "tern: " prefix.
Result<SendmailOptions> parse_sendmail_arguments(const std::vector<std::string>& arguments);

std::string sendmail_usage();

// The addresses of an RFC 5322 §3.4 address-list as SMTP paths: "Name <a@b>, c@d (comment),
// \"x, y\" <e@f>" gives a@b, c@d, e@f; groups ("team: a@b, c@d;", "undisclosed-recipients:;")
// give their members. Comments and display names are dropped; no address is validated here.
std::vector<std::string> parse_address_list(std::string_view text);

struct HeaderRecipients {
  std::vector<std::string> addresses;  // as parse_address_list gives them, in header order
  std::string message;                 // the message without its Bcc: fields
};

// sendmail -t: the recipients in the header's To:, Cc: and Bcc: fields, or only in its Resent-To:,
// Resent-Cc: and Resent-Bcc: fields when it has any (RFC 5322 §3.6.6), and the message with every
// (Resent-)Bcc: field removed (§3.6.3: Bcc: recipients are not shown to the others).
HeaderRecipients take_header_recipients(std::string_view message);

// Reads the message as sendmail does: until end of input or, when `dot_ends`, a line that is a
// single "."; an initial mbox "From " line is dropped. Fails when the input cannot be read or holds
// more than `size_limit` octets.
Result<std::string> read_message(std::istream& in, bool dot_ends, std::uint64_t size_limit);

// The pickup socket's request for one message (see server/pickup.hpp).
std::string format_pickup_request(const std::optional<std::string>& sender,
                                  std::string_view full_name,
                                  const std::vector<std::string>& recipients,
                                  std::uint64_t data_length);

// The exit status for ternd's answer "error: <status> <text>": 75 (EX_TEMPFAIL) for 4.x.x, 65
// (EX_DATAERR) for a bad address (5.1.x) or message (5.3.4, 5.6.x), else 70 (EX_SOFTWARE).
int exit_status_for_refusal(std::string_view answer);

int run_sendmail_command(const std::vector<std::string>& arguments, std::istream& in,
                         std::ostream& out, std::ostream& errors);

}  // namespace tern::cli
