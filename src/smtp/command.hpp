// SMTP command line parsing (RFC 5321 §4.1): the verb, matched without regard to case, and its argument.
// Pure: no I/O. A line is given without its CRLF; limits on line length are the caller's (session) concern.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::smtp {

enum class Verb {
  Helo, Ehlo, Mail, Rcpt, Data, Bdat, Rset, Vrfy, Expn, Noop, Help, Quit, Etrn,
  Starttls, Auth,
  Forbidden,  // HTTP verbs (CONNECT, GET, POST, ...) from smtpd_forbidden_commands: drop the client
  Unknown,
};

struct Command {
  Verb verb = Verb::Unknown;
  std::string verb_text;  // as sent, for logs and "502 5.5.2 Error: command not recognized"
  std::string argument;   // text after the verb and one space, trailing whitespace removed
};

// `forbidden` is the smtpd_forbidden_commands list, matched without regard to case.
Command parse_command(std::string_view line, const std::vector<std::string>& forbidden);

// "MAIL FROM:<a@b> SIZE=10" -> path "<a@b>", parameters "SIZE=10". Accepts "FROM: <a@b>" (space after the
// colon) and a bare address without angle brackets, as Postfix does with strict_rfc821_envelopes = no.
struct PathArgument {
  std::string path;
  std::string parameters;
};
// `keyword` is "FROM" or "TO". Returns false when the argument does not start with keyword ':'.
bool split_path_argument(std::string_view argument, std::string_view keyword, PathArgument& out);

}  // namespace tern::smtp
