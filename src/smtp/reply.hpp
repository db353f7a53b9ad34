// SMTP replies as values: code, enhanced status code (RFC 3463, ENHANCEDSTATUSCODES RFC 2034) and text lines,
// and their wire form with "250-" continuation (RFC 5321 §4.2.1). The catalogue of Postfix-compatible texts
// lives in one place (reply_catalog.hpp) so every reply the server sends can be read in one table.
#pragma once

#include <string>
#include <vector>

namespace tern::smtp {

struct Reply {
  int code = 250;
  std::string status;               // enhanced status code "2.1.0"; empty where RFC 2034 omits it
  std::vector<std::string> lines;   // at least one line; text only, without code or status

  bool is_positive() const { return code < 400; }
  bool is_transient() const { return code >= 400 && code < 500; }
  bool is_permanent() const { return code >= 500; }
};

Reply make_reply(int code, std::string status, std::string text);

// Wire form: every line "CODE-STATUS text\r\n" except the last, "CODE STATUS text\r\n".
std::string format_reply(const Reply& reply);
void append_reply(std::string& out, const Reply& reply);

}  // namespace tern::smtp
