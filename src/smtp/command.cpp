// Command line parsing (RFC 5321 §4.1.1): the verb is matched without regard to case; the argument
// is the rest after one space. HTTP verbs and header lines mark a non-SMTP client (Postfix
// smtpd_forbidden_commands).
#include "smtp/command.hpp"

#include "base/strings.hpp"

namespace tern::smtp {
namespace {

struct VerbName {
  const char* name;
  Verb verb;
};

constexpr VerbName kVerbs[] = {
    {"HELO", Verb::Helo}, {"EHLO", Verb::Ehlo},         {"MAIL", Verb::Mail}, {"RCPT", Verb::Rcpt},
    {"DATA", Verb::Data}, {"BDAT", Verb::Bdat},         {"RSET", Verb::Rset}, {"VRFY", Verb::Vrfy},
    {"EXPN", Verb::Expn}, {"NOOP", Verb::Noop},         {"HELP", Verb::Help}, {"QUIT", Verb::Quit},
    {"ETRN", Verb::Etrn}, {"STARTTLS", Verb::Starttls}, {"AUTH", Verb::Auth},
};

}  // namespace

Command parse_command(std::string_view line, const std::vector<std::string>& forbidden) {
  Command command;
  std::string_view text = line;
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::size_t space = text.find_first_of(" \t");
  std::string_view verb = text.substr(0, space);
  command.verb_text = std::string(verb);
  if (space != std::string_view::npos) command.argument = std::string(text.substr(space + 1));
  for (const VerbName& known : kVerbs) {
    if (iequals(verb, known.name)) {
      command.verb = known.verb;
      return command;
    }
  }
  bool http_header = !verb.empty() && verb.back() == ':';
  bool listed = false;
  for (const std::string& name : forbidden) listed = listed || iequals(verb, name);
  command.verb = (http_header || listed) ? Verb::Forbidden : Verb::Unknown;
  return command;
}

bool split_path_argument(std::string_view argument, std::string_view keyword, PathArgument& out) {
  if (!istarts_with(argument, keyword)) return false;
  argument.remove_prefix(keyword.size());
  if (argument.empty() || argument.front() != ':') return false;
  argument.remove_prefix(1);
  while (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
  if (argument.empty()) return false;
  std::size_t end = 0;
  if (argument.front() == '<') {
    // The closing '>' outside any quoted string ends the path.
    bool quoted = false;
    for (end = 1; end < argument.size(); ++end) {
      char c = argument[end];
      if (quoted && c == '\\') {
        ++end;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == '>' && !quoted) {
        break;
      }
    }
    if (end >= argument.size()) return false;
    ++end;
  } else {
    end = argument.find(' ');
    if (end == std::string_view::npos) end = argument.size();
  }
  out.path = std::string(argument.substr(0, end));
  out.parameters = std::string(trim(argument.substr(end)));
  return true;
}

}  // namespace tern::smtp
