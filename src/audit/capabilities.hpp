// What the server announces (RFC 5321 §4.1.1.1 EHLO, RFC 1870 SIZE) and what HELP says, reported
// as nmap's smtp-commands script prints them, so the two can be compared line for line.
// Guarantees: announcing an extension is never a finding by itself (the checks that probe it
// decide); only a missing size limit (SIZE 0) is, as a low one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "audit/finding.hpp"
#include "audit/probe_reply.hpp"
#include "smtp/client_protocol.hpp"

namespace tern::audit {

struct CapabilityFacts {
  ProbeReply ehlo;                 // the reply to EHLO (before TLS, or inside implicit TLS)
  std::optional<ProbeReply> helo;  // the reply to HELO, sent when EHLO was refused
  ProbeReply help;                 // the reply to HELP
  smtp::ServerFeatures features;   // parsed from `ehlo` when it was positive
};

// nmap smtp-commands' first line: the EHLO reply without its "250-"/"250 " prefixes, lines joined
// by ", ", runs of blanks made one space ("mail.example.org, PIPELINING, SIZE 10240000, ...").
std::string nmap_style_commands(std::string_view ehlo_raw);

// nmap smtp-commands' second line: the HELP reply without "214-"/"214 ", blanks made one space.
std::string nmap_style_help(std::string_view help_raw);

CheckResult capabilities_section(const CapabilityFacts& facts);

}  // namespace tern::audit
