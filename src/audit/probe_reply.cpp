// Probe replies: parsing with the delivery agent's reply parser, and one-line summaries.
#include "audit/probe_reply.hpp"

#include "base/strings.hpp"

namespace tern::audit {
namespace {

constexpr std::size_t kSummaryLength = 300;

std::string bounded(std::string text) {
  if (text.size() > kSummaryLength) {
    text.resize(kSummaryLength);
    text += "...";
  }
  return text;
}

// The first line of `raw`, printable.
std::string first_line(std::string_view raw) {
  std::string_view line = raw.substr(0, raw.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return printable_ascii(line);
}

}  // namespace

std::string ProbeReply::summary() const {
  if (kind == Kind::Reply) return bounded(parsed.diagnostic);
  if (kind == Kind::NotSmtp) return bounded("(not SMTP: " + first_line(raw) + ")");
  if (kind == Kind::Closed) return "(connection closed)";
  if (kind == Kind::TimedOut) return "(no reply within the timeout)";
  return "(not sent: no connection)";
}

ProbeReply ProbeReply::from_raw(std::string raw) {
  ProbeReply reply;
  reply.parsed = smtp::parse_remote_reply(raw);
  reply.kind = reply.parsed.malformed() ? Kind::NotSmtp : Kind::Reply;
  reply.raw = std::move(raw);
  return reply;
}

ProbeReply ProbeReply::closed(std::string partial) {
  ProbeReply reply;
  reply.kind = Kind::Closed;
  reply.raw = std::move(partial);
  return reply;
}

ProbeReply ProbeReply::timed_out(std::string partial) {
  ProbeReply reply;
  reply.kind = Kind::TimedOut;
  reply.raw = std::move(partial);
  return reply;
}

ProbeReply ProbeReply::not_sent() {
  return ProbeReply{};
}

std::string_view probe_reply_kind_name(ProbeReply::Kind kind) {
  if (kind == ProbeReply::Kind::Reply) return "reply";
  if (kind == ProbeReply::Kind::NotSmtp) return "not-smtp";
  if (kind == ProbeReply::Kind::Closed) return "closed";
  if (kind == ProbeReply::Kind::TimedOut) return "timed-out";
  return "not-sent";
}

}  // namespace tern::audit
