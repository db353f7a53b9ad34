// Which SMTP software answers, guessed from what it said (the banner, the EHLO reply, HELP and
// QUIT), as nmap's service detection and a mail admin's eye do. Postfix, Exim, Sendmail, OpenSMTPD,
// Microsoft Exchange and tern are told apart by the texts their default configurations send.
// Guarantees: always a guess with its evidence, never a claim; a banner can be set to anything,
// so a family is named only when some reply points to it, and a tie is reported as a tie.
#pragma once

#include <string>
#include <vector>

#include "audit/finding.hpp"

namespace tern::audit {

// The replies of the first session, raw (every line with its CRLF); empty when not received.
struct ServerReplies {
  std::string banner;
  std::string ehlo;
  std::string help;
  std::string quit;
};

struct Fingerprint {
  std::vector<std::string> families;  // best guess first; several on a tie; empty: unknown
  std::string version;                // "Exim 4.96" when the banner gives one, else empty
  bool banner_names_it = false;       // the banner itself names the best guess
  std::vector<std::string> evidence;  // why, one line each, for the best guess(es)
};

Fingerprint guess_software(const ServerReplies& replies);

// "Banner and fingerprint": the banner, the guess and its evidence; a banner that gives the
// software's version away is a low finding (it tells attackers which exploits to try).
CheckResult banner_section(const ServerReplies& replies, const Fingerprint& fingerprint);

}  // namespace tern::audit
