// EHLO, HELP and SIZE as the audit reports them. The nmap-style strings follow smtp-commands.nse's
// gsub chain: drop CRs, trim, strip the code prefix at each line start, join, squeeze blanks.
#include "audit/capabilities.hpp"

#include <fmt/format.h>

#include <cctype>

#include "base/strings.hpp"

namespace tern::audit {
namespace {

bool is_blank(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Lines of `raw` without CRs, the whole trimmed first (as smtp-commands.nse does).
std::vector<std::string> stripped_lines(std::string_view raw, std::string_view code) {
  std::string text;
  for (char c : raw) {
    if (c != '\r') text += c;
  }
  std::string_view trimmed = trim(text);
  std::vector<std::string> lines;
  while (true) {
    std::size_t newline = trimmed.find('\n');
    std::string line(trimmed.substr(0, newline));
    // "%f[^\0\n]250[-%s]+": the code, then any run of '-' and blanks.
    if (line.starts_with(code)) {
      std::size_t end = code.size();
      while (end < line.size() && (line[end] == '-' || is_blank(line[end]))) ++end;
      if (end > code.size()) line.erase(0, end);
    }
    lines.push_back(std::move(line));
    if (newline == std::string_view::npos) break;
    trimmed.remove_prefix(newline + 1);
  }
  return lines;
}

std::string squeeze_blanks(std::string_view text) {
  std::string out;
  bool blank = false;
  for (char c : text) {
    if (is_blank(c)) {
      blank = true;
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  if (blank) out += ' ';
  return out;
}

std::string human_size(std::uint64_t octets) {
  if (octets >= 1024 * 1024) {
    return fmt::format("{} octets ({:.1f} MiB)", octets,
                       static_cast<double>(octets) / (1024.0 * 1024.0));
  }
  return fmt::format("{} octets", octets);
}

}  // namespace

std::string nmap_style_commands(std::string_view ehlo_raw) {
  std::string joined;
  for (const std::string& line : stripped_lines(ehlo_raw, "250")) {
    joined += (joined.empty() ? "" : "\n") + line;
  }
  std::string with_commas;
  for (char c : joined) {
    if (c == '\n') {
      with_commas += ", ";
    } else {
      with_commas += c;
    }
  }
  return printable_ascii(squeeze_blanks(with_commas));
}

std::string nmap_style_help(std::string_view help_raw) {
  std::string joined;
  for (const std::string& line : stripped_lines(help_raw, "214")) {
    joined += (joined.empty() ? "" : "\n") + line;
  }
  return printable_ascii(squeeze_blanks(joined));
}

CheckResult capabilities_section(const CapabilityFacts& facts) {
  CheckResult check;
  check.id = "capabilities";
  check.title = "EHLO capabilities";
  const smtp::ServerFeatures& features = facts.features;
  bool esmtp = facts.ehlo.positive();
  if (esmtp) {
    check.observations.push_back("EHLO: " + nmap_style_commands(facts.ehlo.raw));
    check.details["commands"] = nmap_style_commands(facts.ehlo.raw);
  } else {
    check.observations.push_back("EHLO refused: " + facts.ehlo.summary());
    if (facts.helo) check.observations.push_back("HELO: " + facts.helo->summary());
    check.findings.push_back({Severity::Info,
                              "no ESMTP: EHLO was refused, so no extension "
                              "(STARTTLS, SIZE, AUTH) can be used",
                              facts.ehlo.summary(), ""});
  }
  check.details["esmtp"] = esmtp;
  check.details["keywords"] = features.keywords;

  if (facts.help.positive()) {
    check.observations.push_back("HELP: " + nmap_style_help(facts.help.raw));
    check.details["help"] = nmap_style_help(facts.help.raw);
  } else {
    check.observations.push_back("HELP not answered: " + facts.help.summary());
    check.details["help"] = nullptr;
  }

  if (esmtp) {
    if (!features.size) {
      check.observations.push_back("SIZE: not announced (the limit shows only after DATA)");
    } else if (features.size_limit == 0) {
      check.observations.push_back("SIZE: 0 (no fixed limit)");
      check.findings.push_back(
          {Severity::Low, "no message size limit (SIZE 0): one client can fill the disk",
           "250-SIZE 0",
           "tern and Postfix: message_size_limit = 10240000 (or what your users need)"});
    } else {
      check.observations.push_back("SIZE: " + human_size(features.size_limit));
    }
    for (const char* probe_keyword : {"VRFY", "EXPN"}) {
      for (const std::string& keyword : features.keywords) {
        if (iequals(keyword.substr(0, keyword.find(' ')), probe_keyword)) {
          check.observations.push_back(
              fmt::format("{} announced: the user enumeration check says whether it reveals users",
                          probe_keyword));
        }
      }
    }
  }
  check.details["size"] = features.size ? nlohmann::ordered_json(features.size_limit) : nullptr;
  check.details["pipelining"] = features.pipelining;
  check.details["starttls"] = features.starttls;
  return check;
}

}  // namespace tern::audit
