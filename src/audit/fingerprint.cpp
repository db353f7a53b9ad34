// Fingerprint rules: each is a text one family's default configuration sends, with a weight (the
// banner's own word counts most; a keyword only one family announces next; shared habits least).
// The scores are added per family; the highest wins, and equal scores are reported together.
#include "audit/fingerprint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>

#include "base/strings.hpp"
#include "smtp/remote_reply.hpp"

namespace tern::audit {
namespace {

enum class Where { Banner, EhloGreeting, EhloKeyword, Help, Quit };

struct Rule {
  const char* family;
  Where where;
  const char* needle;  // a word (banner), a keyword (EHLO), or a text (the others)
  int weight;
  const char* what;  // evidence, "{}" is the matched line
};

// Texts from each family's default configuration, as seen on the wire.
constexpr Rule kRules[] = {
    {"Postfix", Where::Banner, "postfix", 10, "the banner names Postfix: {}"},
    {"Exim", Where::Banner, "exim", 10, "the banner names Exim: {}"},
    {"Sendmail", Where::Banner, "sendmail", 10, "the banner names Sendmail: {}"},
    {"OpenSMTPD", Where::Banner, "opensmtpd", 10, "the banner names OpenSMTPD: {}"},
    {"Exchange", Where::Banner, "microsoft", 10, "the banner names Microsoft: {}"},
    {"tern", Where::Banner, "tern", 10, "the banner names tern: {}"},

    {"Sendmail", Where::EhloGreeting, "pleased to meet you", 3,
     "the EHLO greeting says \"pleased to meet you\" (Sendmail, OpenSMTPD): {}"},
    {"OpenSMTPD", Where::EhloGreeting, "pleased to meet you", 3,
     "the EHLO greeting says \"pleased to meet you\" (Sendmail, OpenSMTPD): {}"},
    {"Exim", Where::EhloGreeting, " hello ", 2, "the EHLO greeting says Hello (Exim style): {}"},

    {"Exchange", Where::EhloKeyword, "X-EXPS", 5, "EHLO announces X-EXPS (Exchange only)"},
    {"Exchange", Where::EhloKeyword, "XEXCH50", 5, "EHLO announces XEXCH50 (Exchange only)"},
    {"Exchange", Where::EhloKeyword, "X-ANONYMOUSTLS", 5,
     "EHLO announces X-ANONYMOUSTLS (Exchange only)"},
    {"Exchange", Where::EhloKeyword, "XRDST", 5, "EHLO announces XRDST (Exchange only)"},
    {"Exchange", Where::EhloKeyword, "XSHADOWREQUEST", 5,
     "EHLO announces XSHADOWREQUEST (Exchange only)"},
    {"Exchange", Where::EhloKeyword, "X-LINK2STATE", 5,
     "EHLO announces X-LINK2STATE (Exchange only)"},
    {"Sendmail", Where::EhloKeyword, "DELIVERBY", 4, "EHLO announces DELIVERBY (Sendmail)"},
    {"Sendmail", Where::EhloKeyword, "VERB", 3, "EHLO announces VERB (Sendmail)"},
    {"Sendmail", Where::EhloKeyword, "ONEX", 3, "EHLO announces ONEX (Sendmail)"},
    {"Exim", Where::EhloKeyword, "PIPE_CONNECT", 4, "EHLO announces PIPE_CONNECT (Exim)"},
    {"Exim", Where::EhloKeyword, "X_PIPE_CONNECT", 4, "EHLO announces X_PIPE_CONNECT (Exim)"},
    {"Exim", Where::EhloKeyword, "HELP", 1, "EHLO announces HELP (Exim, Sendmail)"},
    {"Sendmail", Where::EhloKeyword, "HELP", 1, "EHLO announces HELP (Exim, Sendmail)"},
    {"Postfix", Where::EhloKeyword, "VRFY", 1, "EHLO announces VRFY (Postfix's default)"},

    {"tern", Where::Help, "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET VRFY EXPN NOOP HELP QUIT",
     6, "HELP lists tern's commands: {}"},
    {"Postfix", Where::Help, "502 5.5.2 Error: command not recognized", 4,
     "HELP is not a command, as in Postfix: {}"},
    {"Sendmail", Where::Help, "This is sendmail", 6, "HELP says so: {}"},
    {"OpenSMTPD", Where::Help, "This is OpenSMTPD", 6, "HELP says so: {}"},
    {"Exim", Where::Help, "Commands supported", 5, "HELP answers as Exim does: {}"},
    {"Exchange", Where::Help, "This server supports the following commands", 5,
     "HELP answers as Exchange does: {}"},

    {"Postfix", Where::Quit, "221 2.0.0 Bye", 1,
     "QUIT is answered as Postfix, tern, OpenSMTPD: {}"},
    {"tern", Where::Quit, "221 2.0.0 Bye", 1, "QUIT is answered as Postfix, tern, OpenSMTPD: {}"},
    {"OpenSMTPD", Where::Quit, "221 2.0.0 Bye", 1,
     "QUIT is answered as Postfix, tern, OpenSMTPD: {}"},
    {"Exim", Where::Quit, "closing connection", 1, "QUIT is answered as Exim, Sendmail: {}"},
    {"Sendmail", Where::Quit, "closing connection", 1, "QUIT is answered as Exim, Sendmail: {}"},
    {"Exchange", Where::Quit, "Service closing transmission channel", 2,
     "QUIT is answered as Exchange does: {}"},
};

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// Where `word` occurs in `text` as a whole word (case-insensitive), or npos.
std::size_t find_word(std::string_view text, std::string_view word) {
  std::string lower = to_lower_ascii(text);
  std::size_t at = 0;
  while ((at = lower.find(word, at)) != std::string::npos) {
    bool starts = at == 0 || !is_word_char(lower[at - 1]);
    std::size_t end = at + word.size();
    bool ends = end == lower.size() || !is_word_char(lower[end]);
    if (starts && ends) return at;
    ++at;
  }
  return std::string::npos;
}

// The banner line without its code and, when it has one, its host name (RFC 5321 §4.3.1: "220
// domain text"), so a host called postfix.example.org names nobody.
std::string_view banner_text(std::string_view line) {
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  std::size_t space = text.find(' ');
  std::string_view first = text.substr(0, space);
  if (first.find('.') != std::string_view::npos || first.starts_with("[")) {
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  }
  return text;
}

// The keyword of each EHLO extension line ("250-SIZE 10240000" gives "SIZE"), upper case.
std::vector<std::string> ehlo_keywords(std::string_view ehlo) {
  std::vector<std::string> keywords;
  std::vector<std::string_view> lines = smtp::split_reply_lines(ehlo);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string_view text = lines[i].size() > 4 ? lines[i].substr(4) : std::string_view();
    keywords.push_back(to_upper_ascii(text.substr(0, text.find_first_of(" =\t"))));
  }
  return keywords;
}

// The line of `raw` holding `needle` (case-insensitive), for evidence; empty when none does.
std::string line_with(std::string_view raw, std::string_view needle) {
  std::string lower_needle = to_lower_ascii(needle);
  for (std::string_view line : smtp::split_reply_lines(raw)) {
    if (to_lower_ascii(line).find(lower_needle) != std::string::npos) return printable_ascii(line);
  }
  return {};
}

// "Exim 4.96" from "220 mx ESMTP Exim 4.96 Mon, ...": the named family and the token after it
// when that token starts with a digit.
std::string version_after(std::string_view banner, std::string_view word, std::string_view name) {
  std::size_t at = find_word(banner, word);
  if (at == std::string_view::npos) return {};
  std::string_view rest = banner.substr(at + word.size());
  std::size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos || start == 0) return {};
  rest.remove_prefix(start);
  if (!std::isdigit(static_cast<unsigned char>(rest.front()))) return {};
  std::string_view token = rest.substr(0, rest.find_first_of(" \t\r\n;,()"));
  return fmt::format("{} {}", name, printable_ascii(token));
}

}  // namespace

Fingerprint guess_software(const ServerReplies& replies) {
  std::map<std::string, int> scores;
  std::map<std::string, std::vector<std::string>> evidence;
  std::map<std::string, bool> from_banner;
  std::vector<std::string> keywords = ehlo_keywords(replies.ehlo);
  std::vector<std::string_view> ehlo_lines = smtp::split_reply_lines(replies.ehlo);
  std::string ehlo_greeting = ehlo_lines.empty() ? "" : std::string(ehlo_lines.front());

  for (const Rule& rule : kRules) {
    std::string matched;
    bool hit = false;
    if (rule.where == Where::Banner) {
      for (std::string_view line : smtp::split_reply_lines(replies.banner)) {
        if (find_word(banner_text(line), rule.needle) != std::string::npos) {
          hit = true;
          matched = printable_ascii(line);
          break;
        }
      }
    } else if (rule.where == Where::EhloGreeting) {
      hit = to_lower_ascii(ehlo_greeting).find(rule.needle) != std::string::npos;
      matched = printable_ascii(ehlo_greeting);
    } else if (rule.where == Where::EhloKeyword) {
      hit = std::find(keywords.begin(), keywords.end(), rule.needle) != keywords.end();
    } else {
      const std::string& text = rule.where == Where::Help ? replies.help : replies.quit;
      matched = line_with(text, rule.needle);
      hit = !matched.empty();
    }
    if (!hit) continue;
    scores[rule.family] += rule.weight;
    evidence[rule.family].push_back(fmt::format(fmt::runtime(rule.what), matched));
    if (rule.where == Where::Banner) from_banner[rule.family] = true;
  }

  Fingerprint fingerprint;
  int best = 0;
  for (const auto& [family, score] : scores) best = std::max(best, score);
  if (best < 2) return fingerprint;  // one shared habit alone names nobody
  for (const auto& [family, score] : scores) {
    if (score != best) continue;
    fingerprint.families.push_back(family);
    for (const std::string& line : evidence[family]) {
      if (std::find(fingerprint.evidence.begin(), fingerprint.evidence.end(), line) ==
          fingerprint.evidence.end()) {
        fingerprint.evidence.push_back(line);
      }
    }
    if (from_banner[family]) fingerprint.banner_names_it = true;
  }
  static constexpr std::pair<const char*, const char*> kVersioned[] = {
      {"exim", "Exim"}, {"sendmail", "Sendmail"},   {"postfix", "Postfix"},
      {"tern", "tern"}, {"opensmtpd", "OpenSMTPD"}, {"version:", "Exchange"},
  };
  for (const auto& [word, name] : kVersioned) {
    for (std::string_view line : smtp::split_reply_lines(replies.banner)) {
      std::string found = version_after(banner_text(line), word, name);
      if (!found.empty() && fingerprint.version.empty()) fingerprint.version = found;
    }
  }
  return fingerprint;
}

CheckResult banner_section(const ServerReplies& replies, const Fingerprint& fingerprint) {
  CheckResult check;
  check.id = "banner";
  check.title = "Banner and fingerprint";
  std::vector<std::string_view> banner_lines = smtp::split_reply_lines(replies.banner);
  for (std::string_view line : banner_lines) {
    check.observations.push_back("banner: " + printable_ascii(line));
  }
  std::string families;
  for (const std::string& family : fingerprint.families) {
    families += (families.empty() ? "" : " or ") + family;
  }
  if (families.empty()) {
    check.observations.push_back("software: unknown (no reply matched a known family)");
  } else {
    check.observations.push_back(
        fmt::format("software (a guess{}): {}",
                    fingerprint.banner_names_it ? ", the banner names it" : "", families));
    for (const std::string& line : fingerprint.evidence) {
      check.observations.push_back("  evidence: " + line);
    }
  }
  if (!fingerprint.version.empty()) {
    check.findings.push_back(
        {Severity::Low,
         fmt::format("the banner gives the software version away: {}", fingerprint.version),
         banner_lines.empty() ? "" : printable_ascii(banner_lines.front()),
         "say only the host name and ESMTP: tern and Postfix smtpd_banner = $myhostname ESMTP; "
         "Exim smtp_banner; Sendmail O SmtpGreetingMessage"});
  }
  nlohmann::ordered_json banner = nlohmann::ordered_json::array();
  for (std::string_view line : banner_lines) banner.push_back(printable_ascii(line));
  check.details["banner"] = banner;
  check.details["software"] = fingerprint.families;
  check.details["version"] = fingerprint.version;
  check.details["banner_names_it"] = fingerprint.banner_names_it;
  check.details["evidence"] = fingerprint.evidence;
  return check;
}

}  // namespace tern::audit
