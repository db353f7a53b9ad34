// DSN builder: the three parts are built first, then a boundary is chosen that occurs in none of
// them (Postfix's "QUEUEID.TIME/myhostname", changed only on a collision). Everything that came
// from outside (addresses, remote replies, ENVID) is masked to printable ASCII and folded before it
// becomes a line; the returned original keeps its octets, with only its line structure repaired.
#include "mime/dsn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "mime/date.hpp"
#include "mime/header_scanner.hpp"

namespace tern::mime {
namespace {

constexpr std::size_t kMaxLine = 998;     // RFC 5322 §2.1.1, without the CRLF
constexpr std::size_t kFoldWidth = 78;    // RFC 5322 §2.1.1 SHOULD
constexpr std::size_t kTextWidth = 79;    // Postfix's bounce line_wrap width
constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 §5.1.1

enum class Kind { Failure, Delay, Success };

Kind report_kind(const DsnReport& report) {
  bool delayed = false;
  for (const DsnRecipient& recipient : report.recipients) {
    if (recipient.action == DsnRecipient::Action::Failed) return Kind::Failure;
    if (recipient.action == DsnRecipient::Action::Delayed) delayed = true;
  }
  // No recipient at all is a caller's mistake; a bounce is the least surprising report of it.
  if (report.recipients.empty()) return Kind::Failure;
  return delayed ? Kind::Delay : Kind::Success;
}

const char* subject(Kind kind) {
  switch (kind) {
    case Kind::Failure:
      return "Undelivered Mail Returned to Sender";
    case Kind::Delay:
      return "Delayed Mail (still being retried)";
    case Kind::Success:
      return "Successful Mail Delivery Report";
  }
  return "";
}

const char* action_name(DsnRecipient::Action action) {
  switch (action) {
    case DsnRecipient::Action::Failed:
      return "failed";
    case DsnRecipient::Action::Delayed:
      return "delayed";
    case DsnRecipient::Action::Delivered:
      return "delivered";
    case DsnRecipient::Action::Relayed:
      return "relayed";
    case DsnRecipient::Action::Expanded:
      return "expanded";
  }
  return "failed";
}

// RFC 3464 §2.3.4: the status class must agree with the action.
std::string status_or_default(const DsnRecipient& recipient) {
  if (!recipient.status.empty()) return recipient.status;
  switch (recipient.action) {
    case DsnRecipient::Action::Failed:
      return "5.0.0";
    case DsnRecipient::Action::Delayed:
      return "4.0.0";
    default:
      return "2.0.0";
  }
}

// For the human-readable part when there is no diagnostic.
const char* outcome(DsnRecipient::Action action) {
  switch (action) {
    case DsnRecipient::Action::Failed:
      return "delivery failed";
    case DsnRecipient::Action::Delayed:
      return "delivery temporarily failed";
    case DsnRecipient::Action::Delivered:
      return "delivered";
    case DsnRecipient::Action::Relayed:
      return "relayed";
    case DsnRecipient::Action::Expanded:
      return "expanded";
  }
  return "";
}

// One line of printable US-ASCII: controls and line breaks become spaces, runs of white space one
// space (so a fold never leaves a line of only white space, RFC 5322 §3.2.2), other octets '?'.
// Postfix masks the same characters (bounce_log_read) before it writes a report.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || c == ' ') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += byte >= 0x7F ? '?' : c;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "type; value" (RFC 3464 address-type, mta-name-type, diagnostic-type): the caller's "type;value"
// with the type it gave, or `default_type` when the text has no atom before a ';'.
std::string typed(std::string_view value, std::string_view default_type) {
  std::string text = printable(value);
  std::size_t semicolon = text.find(';');
  if (semicolon != std::string::npos && semicolon != 0) {
    std::string_view type = std::string_view(text).substr(0, semicolon);
    if (type.back() == ' ') type.remove_suffix(1);
    bool atom = !type.empty() && type.find_first_of(" \"(),.:<>@[\\]") == std::string_view::npos;
    if (atom) {
      std::size_t rest = semicolon + 1;
      if (rest < text.size() && text[rest] == ' ') ++rest;
      return fmt::format("{}; {}", type, std::string_view(text).substr(rest));
    }
  }
  return fmt::format("{}; {}", default_type, text);
}

// The address of a "type; address" value, for the human-readable part.
std::string_view address_of(std::string_view typed_value) {
  std::size_t semicolon = typed_value.find("; ");
  return semicolon == std::string_view::npos ? typed_value : typed_value.substr(semicolon + 2);
}

// Breaks `text` (from printable()) at spaces into lines of at most `width` octets where the words
// allow, and never more than kMaxLine; a longer word is cut. Each line ends in CRLF, and each line
// after the first starts with `indent`, which replaces the space broken at: with a single space
// that is RFC 5322 §2.2.3 folding, undone by removing the CRLFs.
void wrap(std::string& out, std::string_view text, std::size_t width, std::string_view indent) {
  bool first = true;
  while (true) {
    std::size_t lead = first ? 0 : indent.size();
    if (!first) out += indent;
    std::size_t room = width - lead;
    std::size_t hard = kMaxLine - lead;
    if (text.size() <= room) {
      out += text;
      out += "\r\n";
      return;
    }
    std::size_t cut = text.rfind(' ', room);
    if (cut == std::string_view::npos || cut == 0) {
      cut = text.find(' ', room);
      if (cut == std::string_view::npos && text.size() <= hard) {
        out += text;
        out += "\r\n";
        return;
      }
    }
    std::size_t skip = 1;  // the space broken at
    if (cut == std::string_view::npos || cut > hard) {
      cut = hard;
      skip = 0;
    }
    out += text.substr(0, cut);
    out += "\r\n";
    text.remove_prefix(cut + skip);
    first = false;
  }
}

// A header or delivery-status field, folded (RFC 5322 §2.2.3).
void field(std::string& out, std::string_view name, std::string_view value) {
  wrap(out, fmt::format("{}: {}", name, value), kFoldWidth, " ");
}

// "N unit(s)" for the delay template: whole days when exact, else hours or minutes, rounded down
// for how long the message waited ("more than") and up for how long it will be retried.
std::string duration(std::time_t seconds, bool round_up) {
  if (seconds >= 86400 && seconds % 86400 == 0) return fmt::format("{} day(s)", seconds / 86400);
  std::time_t unit = seconds >= 3600 ? 3600 : 60;
  std::time_t count = (seconds + (round_up ? unit - 1 : 0)) / unit;
  return fmt::format("{} {}(s)", count, unit == 3600 ? "hour" : "minute");
}

// Part 1: Postfix's wording, then one wrapped "<address>: reason" paragraph per recipient.
std::string notification(const DsnReport& report, Kind kind, std::time_t now) {
  std::string text;
  auto line = [&text](std::string_view content) { wrap(text, content, kTextWidth, "    "); };
  std::string host = printable(report.reporting_mta);
  line(fmt::format("This is the mail system at host {}.", host));
  text += "\r\n";
  switch (kind) {
    case Kind::Failure:
      line("I'm sorry to have to inform you that your message could not");
      line("be delivered to one or more recipients. It's attached below.");
      break;
    case Kind::Delay: {
      line("####################################################################");
      line("# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #");
      line("####################################################################");
      text += "\r\n";
      if (report.arrival > 0 && now - report.arrival >= 60) {
        line(fmt::format("Your message could not be delivered for more than {}.",
                         duration(now - report.arrival, false)));
      } else {
        line("Your message could not be delivered yet.");
      }
      std::time_t until = 0;
      for (const DsnRecipient& recipient : report.recipients) {
        if (recipient.action == DsnRecipient::Action::Delayed && recipient.will_retry_until > 0) {
          until = recipient.will_retry_until;
          break;
        }
      }
      if (report.arrival > 0 && until > report.arrival) {
        line(fmt::format("It will be retried until it is {} old.",
                         duration(until - report.arrival, true)));
      }
      break;
    }
    case Kind::Success:
      line("Your message was successfully delivered to the destination(s)");
      line("listed below. If the message was delivered to mailbox you will");
      line("receive no further notifications. Otherwise you may still receive");
      line("notifications of mail delivery errors from other systems.");
      break;
  }
  if (kind != Kind::Success) {
    text += "\r\n";
    line("For further assistance, please send mail to postmaster.");
    text += "\r\n";
    line("If you do so, please include this problem report. You can");
    line("delete your own text from the attached returned message.");
  }
  text += "\r\n";
  line("                   The mail system");

  for (const DsnRecipient& recipient : report.recipients) {
    std::string final_recipient = typed(recipient.final_recipient, "rfc822");
    std::string reason;
    if (!recipient.diagnostic.empty()) {
      std::string diagnostic = typed(recipient.diagnostic, "X-tern");
      std::string remote = typed(recipient.remote_mta, "dns");
      bool smtp = diagnostic.starts_with("smtp; ");
      reason = smtp && !recipient.remote_mta.empty()
                   ? fmt::format("host {} said: {}", address_of(remote), address_of(diagnostic))
                   : std::string(address_of(diagnostic));
    } else {
      reason = fmt::format("{} (status {})", outcome(recipient.action),
                           printable(status_or_default(recipient)));
    }
    text += "\r\n";
    line(fmt::format("<{}>: {}", address_of(final_recipient), reason));
  }
  return text;
}

// Part 2: RFC 3464 §2.2 per-message fields, then §2.3 per-recipient fields, in Postfix's order
// (bounce_header_dsn, bounce_recipient_dsn).
std::string delivery_status(const DsnReport& report) {
  std::string text;
  field(text, "Reporting-MTA", typed(report.reporting_mta, "dns"));
  if (!report.envid.empty()) field(text, "Original-Envelope-Id", printable(report.envid));
  field(text, "X-Postfix-Queue-ID", printable(report.queue_id));
  field(text, "X-Postfix-Sender",
        typed(report.original_sender.empty() ? "MAILER-DAEMON" : report.original_sender, "rfc822"));
  if (report.arrival > 0) field(text, "Arrival-Date", rfc5322_date(report.arrival));
  for (const DsnRecipient& recipient : report.recipients) {
    text += "\r\n";
    field(text, "Final-Recipient", typed(recipient.final_recipient, "rfc822"));
    // RFC 3464 §2.3.1: only when ORCPT was given.
    if (!recipient.original_recipient.empty()) {
      field(text, "Original-Recipient", typed(recipient.original_recipient, "rfc822"));
    }
    field(text, "Action", action_name(recipient.action));
    field(text, "Status", printable(status_or_default(recipient)));
    if (!recipient.remote_mta.empty()) {
      field(text, "Remote-MTA", typed(recipient.remote_mta, "dns"));
    }
    if (!recipient.diagnostic.empty()) {
      field(text, "Diagnostic-Code", typed(recipient.diagnostic, "X-tern"));
    }
    if (recipient.last_attempt > 0) {
      field(text, "Last-Attempt-Date", rfc5322_date(recipient.last_attempt));
    }
    if (recipient.action == DsnRecipient::Action::Delayed && recipient.will_retry_until > 0) {
      field(text, "Will-Retry-Until", rfc5322_date(recipient.will_retry_until));
    }
  }
  return text;
}

// Copies `content` with every line ending made CRLF and lines longer than kMaxLine cut. The first
// `header_length` octets are the header section, read as HeaderScanner reads it: there only LF ends
// a line, a bare CR becomes a space and a cut line continues on a line that starts with a TAB, so
// every field stays one field. In the body a bare LF or CR ends a line.
std::string with_crlf_lines(std::string_view content, std::size_t header_length) {
  std::string out;
  out.reserve(content.size() + content.size() / 32 + 2);
  std::size_t pos = 0;
  while (pos < content.size()) {
    bool in_header = pos < header_length;
    std::size_t end = in_header ? content.find('\n', pos) : content.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    if (in_header && line.ends_with('\r')) line.remove_suffix(1);
    if (!in_header && end + 1 < content.size() && content[end] == '\r' &&
        content[end + 1] == '\n') {
      ++end;
    }
    pos = end + 1;
    bool first = true;
    while (first || !line.empty()) {
      std::string_view lead = !first && in_header ? "\t" : "";
      std::size_t take = std::min(line.size(), kMaxLine - lead.size());
      std::size_t start = out.size();
      out += lead;
      out += line.substr(0, take);
      if (in_header) std::replace(out.begin() + start, out.end(), '\r', ' ');
      out += "\r\n";
      line.remove_prefix(take);
      first = false;
    }
  }
  return out;
}

// A header section without the empty line that ends it: text/rfc822-headers holds the fields only,
// as Postfix returns them.
std::string_view without_empty_line(std::string_view headers) {
  for (std::string_view empty : {"\r\n", "\n"}) {
    bool alone = headers.size() == empty.size();
    bool after_line =
        headers.size() > empty.size() && headers[headers.size() - empty.size() - 1] == '\n';
    if (headers.ends_with(empty) && (alone || after_line)) {
      return headers.substr(0, headers.size() - empty.size());
    }
  }
  return headers;
}

bool has_8bit(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// FNV-1a, to make a replacement boundary depend on the content that defeated the first one.
std::uint64_t fingerprint(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

// RFC 2046 §5.1.1 bchars, without the space.
std::string boundary_safe(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              std::string_view("'()+_,-./:=?").find(c) != std::string_view::npos;
    if (!ok) c = '-';
  }
  return out;
}

bool contains(const std::vector<std::string_view>& parts, std::string_view needle) {
  for (std::string_view part : parts) {
    if (part.find(needle) != std::string_view::npos) return true;
  }
  return false;
}

// Postfix's "QUEUEID.TIME/myhostname", shortened to RFC 2046's 70 characters. Should a part
// contain it, a hash of the parts is appended: content cannot be made to contain a string that
// depends on its own hash, so the loop ends after one step in practice.
std::string choose_boundary(const DsnReport& report, std::time_t now,
                            const std::vector<std::string_view>& parts) {
  std::string base = boundary_safe(
      fmt::format("{}.{}/{}", printable(report.queue_id), now, printable(report.reporting_mta)));
  constexpr std::size_t kSuffix = 17;  // "=" and 16 hex digits
  if (base.size() > kMaxBoundary - kSuffix) base.resize(kMaxBoundary - kSuffix);
  std::string boundary = base;
  std::uint64_t seed = 0;
  for (std::string_view part : parts) seed = seed * 31 + fingerprint(part);
  for (std::uint64_t attempt = 0; contains(parts, boundary); ++attempt) {
    boundary = fmt::format("{}={:016X}", base, seed + attempt * 0x9E3779B97F4A7C15ULL);
  }
  return boundary;
}

}  // namespace

std::string_view header_section(std::string_view message) {
  HeaderScanner scanner({});
  HeaderScanner::Step step = scanner.finish(message);
  if (!step.header_end) return message;  // finish() always reports the end; be safe anyway
  const HeaderEnd& end = *step.header_end;
  switch (end.kind) {
    case HeaderEnd::Kind::EmptyLine: {
      std::size_t empty_line = message[end.offset] == '\r' ? 2 : 1;
      return message.substr(0, end.offset + empty_line);
    }
    case HeaderEnd::Kind::NotAField:
      return message.substr(0, end.offset);
    case HeaderEnd::Kind::EndOfMessage:
      return message;
  }
  return message;
}

std::string build_dsn(const DsnReport& report, std::string_view message_id, std::time_t now) {
  Kind kind = report_kind(report);
  // Postfix names the null sender MAILER-DAEMON; a DSN is never sent to it (RFC 3461 §6.2).
  std::string sender =
      report.original_sender.empty() ? "MAILER-DAEMON" : printable(report.original_sender);
  std::string postmaster = report.postmaster.empty()
                               ? "MAILER-DAEMON@" + printable(report.reporting_mta)
                               : printable(report.postmaster);

  std::string part1 = notification(report, kind, now);
  std::string part2 = delivery_status(report);

  // Part 3. Postfix returns only the headers of a message over bounce_size_limit.
  bool full =
      report.return_full_message &&
      (report.bounce_size_limit == 0 || report.original_message.size() <= report.bounce_size_limit);
  std::string_view headers = header_section(report.original_message);
  std::string part3;
  if (report.original_message.empty()) {
    part3 = "\t--- Undelivered message unavailable ---\r\n";
  } else {
    // Postfix prepends the envelope sender, which its cleanup removed from the stored message.
    part3 = fmt::format("Return-Path: <{}>\r\n", sender);
    part3 += with_crlf_lines(full ? report.original_message : without_empty_line(headers),
                             headers.size());
  }
  bool eight_bit = has_8bit(part3);

  std::string boundary = choose_boundary(report, now, {part1, part2, part3});
  const char* encoding = eight_bit ? "8bit" : "7bit";

  std::string out;
  out.reserve(part1.size() + part2.size() + part3.size() + 2048);
  field(out, "From", fmt::format("{} (Mail Delivery System)", postmaster));
  field(out, "To", sender);
  field(out, "Subject", subject(kind));
  field(out, "Date", rfc5322_date(now));
  std::string id = printable(message_id);
  field(out, "Message-ID", id.starts_with('<') ? id : fmt::format("<{}>", id));
  field(out, "Auto-Submitted", "auto-replied");  // RFC 3834 §5: a reply, never to be answered
  field(out, "MIME-Version", "1.0");
  out += "Content-Type: multipart/report; report-type=delivery-status;\r\n";
  out += fmt::format("\tboundary=\"{}\"\r\n", boundary);
  field(out, "Content-Transfer-Encoding", encoding);
  out += "\r\nThis is a MIME-encapsulated message.\r\n";

  out += fmt::format("\r\n--{}\r\n", boundary);
  out += "Content-Description: Notification\r\n";
  out += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  out += part1;

  out += fmt::format("\r\n--{}\r\n", boundary);
  out += "Content-Description: Delivery report\r\n";
  out += "Content-Type: message/delivery-status\r\n\r\n";
  out += part2;

  out += fmt::format("\r\n--{}\r\n", boundary);
  out += fmt::format("Content-Description: {}{}\r\n", kind == Kind::Success ? "" : "Undelivered ",
                     full ? "Message" : "Message Headers");
  out += fmt::format("Content-Type: {}\r\n", full ? "message/rfc822" : "text/rfc822-headers");
  // RFC 2045 §6.4: 8-bit content is labelled so, here and on the enclosing multipart.
  if (eight_bit) out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  out += part3;
  out += fmt::format("\r\n--{}--\r\n", boundary);
  return out;
}

}  // namespace tern::mime
