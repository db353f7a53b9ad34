// HTTP request lines and the verdicts on how the server took them.
#include "audit/http_probe.hpp"

#include <fmt/format.h>

namespace tern::audit {

std::string_view http_verb_name(HttpVerb verb) {
  if (verb == HttpVerb::Get) return "GET";
  if (verb == HttpVerb::Post) return "POST";
  return "CONNECT";
}

std::string http_request_line(HttpVerb verb, std::string_view host, std::uint16_t port) {
  if (verb == HttpVerb::Connect) {
    bool v6 = host.find(':') != std::string_view::npos;
    return fmt::format("CONNECT {}{}{}:{} HTTP/1.0\r\n", v6 ? "[" : "", host, v6 ? "]" : "", port);
  }
  return fmt::format("{} / HTTP/1.0\r\n", http_verb_name(verb));
}

std::string_view http_verdict_name(HttpVerdict verdict) {
  if (verdict == HttpVerdict::Dropped) return "dropped";
  if (verdict == HttpVerdict::DroppedWithReply) return "dropped-with-reply";
  if (verdict == HttpVerdict::KeptSession) return "kept-session";
  if (verdict == HttpVerdict::SpokeHttp) return "spoke-http";
  return "inconclusive";
}

HttpVerdict judge_http_probe(const HttpProbeRun& run) {
  if (run.first.kind == ProbeReply::Kind::NotSmtp && run.first.raw.starts_with("HTTP/")) {
    return HttpVerdict::SpokeHttp;
  }
  if (run.first.kind == ProbeReply::Kind::Closed) return HttpVerdict::Dropped;
  if (!run.noop) return HttpVerdict::Inconclusive;
  if (run.noop->answered()) return HttpVerdict::KeptSession;
  if (run.noop->kind == ProbeReply::Kind::Closed || run.noop->kind == ProbeReply::Kind::NotSent) {
    return run.first.answered() ? HttpVerdict::DroppedWithReply : HttpVerdict::Dropped;
  }
  return HttpVerdict::Inconclusive;
}

CheckResult http_section(const std::vector<HttpProbeRun>& runs, std::string_view failure) {
  CheckResult check;
  check.id = "http";
  check.title = "HTTP commands (CONNECT, GET, POST)";
  std::vector<std::string> kept;
  std::vector<std::string> http;
  std::string kept_evidence;
  std::string http_evidence;
  nlohmann::ordered_json probes = nlohmann::ordered_json::array();
  for (const HttpProbeRun& run : runs) {
    HttpVerdict verdict = judge_http_probe(run);
    std::string_view verb = http_verb_name(run.verb);
    std::string seen = run.first.summary();
    if (run.noop) seen += ", then NOOP: " + run.noop->summary();
    check.observations.push_back(fmt::format("{}: {}: {}", verb, http_verdict_name(verdict), seen));
    if (verdict == HttpVerdict::KeptSession || verdict == HttpVerdict::Inconclusive) {
      kept.emplace_back(verb);
      if (kept_evidence.empty()) kept_evidence = fmt::format("{} got {}", verb, seen);
    }
    if (verdict == HttpVerdict::SpokeHttp) {
      http.emplace_back(verb);
      if (http_evidence.empty()) http_evidence = fmt::format("{} got {}", verb, seen);
    }
    probes.push_back({{"command", verb},
                      {"verdict", http_verdict_name(verdict)},
                      {"reply", run.first.summary()},
                      {"noop_reply", run.noop ? run.noop->summary() : ""}});
  }
  auto names = [](const std::vector<std::string>& verbs) {
    std::string out;
    for (const std::string& verb : verbs) out += (out.empty() ? "" : ", ") + verb;
    return out;
  };
  if (!http.empty()) {
    check.findings.push_back(
        {Severity::High,
         fmt::format("the port answers HTTP ({}): a proxy or web server listens "
                     "where SMTP was expected",
                     names(http)),
         http_evidence,
         "do not put an HTTP proxy on a mail port; if it is one, close it to the "
         "world"});
  }
  if (!kept.empty()) {
    check.findings.push_back(
        {Severity::Low,
         fmt::format("the session goes on after an HTTP request line ({})", names(kept)),
         kept_evidence,
         "tern: smtpd_forbidden_commands = CONNECT GET POST (the default); Postfix: "
         "smtpd_forbidden_commands = CONNECT GET POST (its default since 2.2)"});
  }
  if (!failure.empty()) {
    check.status = runs.empty() ? CheckStatus::Failed : CheckStatus::Incomplete;
    check.status_reason = std::string(failure);
  }
  check.details["probes"] = probes;
  return check;
}

}  // namespace tern::audit
