// Does the server drop a client that speaks HTTP? Browsers can be made to POST to port 25, and an
// SMTP server that reads an HTTP request's lines as commands can be driven from a web page
// (cross-protocol attacks); a server that answers CONNECT like a proxy is worse. Postfix and tern
// disconnect on CONNECT, GET and POST as the first command (smtpd_forbidden_commands). The probe
// sends the request line alone, reads one reply, and if the connection is still open sends NOOP:
// a reply to it proves the session went on. Guarantees: one request line per connection, nothing
// after NOOP.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/finding.hpp"
#include "audit/probe_reply.hpp"

namespace tern::audit {

enum class HttpVerb { Connect, Get, Post };

std::string_view http_verb_name(HttpVerb verb);  // "CONNECT", "GET", "POST"

// The request line with its CRLF: "CONNECT host:port HTTP/1.0", "GET / HTTP/1.0",
// "POST / HTTP/1.0" (an IPv6 host bracketed).
std::string http_request_line(HttpVerb verb, std::string_view host, std::uint16_t port);

struct HttpProbeRun {
  HttpVerb verb = HttpVerb::Connect;
  ProbeReply first;                // after the request line
  std::optional<ProbeReply> noop;  // after NOOP, when the connection was still open
};

enum class HttpVerdict {
  Dropped,           // closed without a reply
  DroppedWithReply,  // one reply, then closed (Postfix: "221 2.7.0 Error: I can break rules")
  KeptSession,       // still answering SMTP commands afterwards
  SpokeHttp,         // answered with an HTTP status line: a proxy or web server on this port
  Inconclusive,      // neither a reply nor a close within the timeout, twice
};

std::string_view http_verdict_name(HttpVerdict verdict);

HttpVerdict judge_http_probe(const HttpProbeRun& run);

CheckResult http_section(const std::vector<HttpProbeRun>& runs, std::string_view failure);

}  // namespace tern::audit
