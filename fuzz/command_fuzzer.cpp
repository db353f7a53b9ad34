// Fuzzes the SMTP command line parser (smtp/command.hpp) with any line, then what MAIL and RCPT do
// with the argument: the path split, the address parser and the ESMTP parameters, in the order
// server::Protocol calls them. Checks that the verb and argument are cut where the grammar says.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.hpp"
#include "fuzz_check.hpp"
#include "smtp/address.hpp"
#include "smtp/command.hpp"
#include "smtp/parameters.hpp"

namespace {

using tern::fuzz::visible;

const char* verb_name(tern::smtp::Verb verb) {
  using tern::smtp::Verb;
  switch (verb) {
    case Verb::Helo:
      return "HELO";
    case Verb::Ehlo:
      return "EHLO";
    case Verb::Mail:
      return "MAIL";
    case Verb::Rcpt:
      return "RCPT";
    case Verb::Data:
      return "DATA";
    case Verb::Bdat:
      return "BDAT";
    case Verb::Rset:
      return "RSET";
    case Verb::Vrfy:
      return "VRFY";
    case Verb::Expn:
      return "EXPN";
    case Verb::Noop:
      return "NOOP";
    case Verb::Help:
      return "HELP";
    case Verb::Quit:
      return "QUIT";
    case Verb::Etrn:
      return "ETRN";
    case Verb::Starttls:
      return "STARTTLS";
    case Verb::Auth:
      return "AUTH";
    case Verb::Forbidden:
    case Verb::Unknown:
      break;
  }
  return nullptr;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

void check_path_argument(std::string_view argument, std::string_view keyword, bool mail) {
  tern::smtp::PathArgument path;
  if (!tern::smtp::split_path_argument(argument, keyword, path)) return;
  FUZZ_CHECK(!path.path.empty(), "empty path from " + visible(argument));
  FUZZ_CHECK(argument.find(path.path) != std::string_view::npos,
             "path " + visible(path.path) + " is not in " + visible(argument));
  FUZZ_CHECK(tern::trim(path.parameters) == path.parameters,
             "untrimmed parameters " + visible(path.parameters));
  if (path.path.front() == '<') {
    FUZZ_CHECK(path.path.back() == '>', "path " + visible(path.path) + " lacks its '>'");
  }
  if (mail) {
    auto parameters = tern::smtp::parse_mail_parameters(path.parameters);
    bool utf8 = parameters && parameters->smtputf8;
    (void)tern::smtp::parse_path(path.path, /*allow_null=*/true, utf8);
  } else {
    (void)tern::smtp::parse_rcpt_parameters(path.parameters);
    (void)tern::smtp::parse_path(path.path, /*allow_null=*/false, /*allow_utf8=*/true);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  static const std::vector<std::string> forbidden{"CONNECT", "GET", "POST"};
  tern::smtp::Command command = tern::smtp::parse_command(line, forbidden);

  FUZZ_CHECK(line.starts_with(command.verb_text),
             "verb " + visible(command.verb_text) + " does not start " + visible(line));
  FUZZ_CHECK(command.verb_text.find_first_of(" \t") == std::string::npos,
             "verb with a blank: " + visible(command.verb_text));
  FUZZ_CHECK(command.argument.empty() || !is_blank(command.argument.back()),
             "argument with trailing blanks: " + visible(command.argument));
  FUZZ_CHECK(line.find(command.argument) != std::string_view::npos,
             "argument " + visible(command.argument) + " is not in " + visible(line));
  if (const char* name = verb_name(command.verb)) {
    FUZZ_CHECK(tern::iequals(command.verb_text, name),
               "verb " + visible(command.verb_text) + " taken for " + name);
  } else {
    for (const char* known : {"HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY",
                              "EXPN", "NOOP", "HELP", "QUIT", "ETRN", "STARTTLS", "AUTH"}) {
      FUZZ_CHECK(!tern::iequals(command.verb_text, known),
                 "known verb " + visible(command.verb_text) + " not recognized");
    }
  }

  check_path_argument(command.argument, "FROM", /*mail=*/true);
  check_path_argument(command.argument, "TO", /*mail=*/false);
  return 0;
}
