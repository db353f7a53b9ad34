// Encoding and decoding of spool headers and results logs. Records are "key value..." lines with
// %XX escapes for '%', space, control and non-ASCII bytes, so a hostile address cannot forge a
// record.
#include "queue/spool_format.hpp"

#include <fmt/format.h>

#include <charconv>

#include "base/strings.hpp"

namespace tern::queue {
namespace {

constexpr std::string_view kMagic = "TERN-QUEUE 1 ";
constexpr std::size_t kLengthDigits = 10;
constexpr std::size_t kFirstLineSize = 13 + kLengthDigits + 1;

bool needs_escape(unsigned char c) {
  return c <= 0x20 || c >= 0x7F || c == '%';
}

template <class Number>
bool parse_number(std::string_view text, Number& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size() && !text.empty();
}

char state_letter(RecipientState state) {
  switch (state) {
    case RecipientState::Pending:
      return 'P';
    case RecipientState::Delivered:
      return 'D';
    case RecipientState::Deferred:
      return 'F';
    case RecipientState::Bounced:
      return 'B';
  }
  return 'P';
}

bool parse_state(std::string_view text, RecipientState& state) {
  if (text.size() != 1) return false;
  switch (text[0]) {
    case 'P':
      state = RecipientState::Pending;
      return true;
    case 'D':
      state = RecipientState::Delivered;
      return true;
    case 'F':
      state = RecipientState::Deferred;
      return true;
    case 'B':
      state = RecipientState::Bounced;
      return true;
  }
  return false;
}

Status parse_record(std::string_view line, Envelope& envelope) {
  std::vector<std::string_view> fields = split_fields(line, ' ');
  std::string_view key = fields[0];
  auto value = [&](std::size_t index) {
    return index < fields.size() ? unescape_value(fields[index]) : std::string();
  };
  auto bad = [&] { return Status(Error{fmt::format("bad spool record: {}", line.substr(0, 80))}); };
  if (key == "id") {
    envelope.queue_id = value(1);
  } else if (key == "sender") {
    envelope.sender = value(1);
  } else if (key == "rcpt") {
    if (fields.size() != 5) return bad();
    Recipient recipient;
    recipient.address = value(1);
    if (recipient.address.empty()) return bad();  // every recipient has an address (envelope.hpp)
    unsigned notify = 0;
    if (!parse_number(fields[2], notify) || notify > 15) return bad();
    recipient.notify = static_cast<std::uint8_t>(notify);
    recipient.orcpt_type = value(3);
    recipient.orcpt_address = value(4);
    envelope.recipients.push_back(std::move(recipient));
  } else if (key == "ret") {
    envelope.ret = value(1);
  } else if (key == "envid") {
    envelope.envid = value(1);
  } else if (key == "body") {
    envelope.body = value(1);
  } else if (key == "smtputf8") {
    envelope.smtputf8 = value(1) == "1";
  } else if (key == "arrival") {
    if (!parse_number(fields.size() > 1 ? fields[1] : "", envelope.arrival_time)) return bad();
  } else if (key == "client") {
    envelope.client_name = value(1);
    envelope.client_address = value(2);
  } else if (key == "helo") {
    envelope.helo = value(1);
  } else if (key == "protocol") {
    envelope.protocol = value(1);
  } else {
    return bad();
  }
  return ok_status();
}

}  // namespace

std::string escape_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (needs_escape(u)) {
      out += fmt::format("%{:02X}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    unsigned number = 0;
    if (value[i] == '%' && i + 2 < value.size() &&
        std::from_chars(value.data() + i + 1, value.data() + i + 3, number, 16).ec == std::errc{}) {
      out += static_cast<char>(number);
      i += 2;
    } else {
      out += value[i];
    }
  }
  return out;
}

std::string encode_envelope(const Envelope& envelope) {
  std::string body;
  auto record = [&body](std::string_view key, std::initializer_list<std::string_view> values) {
    body += key;
    for (std::string_view value : values) {
      body += ' ';
      body += escape_value(value);
    }
    body += '\n';
  };
  record("id", {envelope.queue_id});
  record("sender", {envelope.sender});
  for (const Recipient& recipient : envelope.recipients) {
    std::string notify = std::to_string(recipient.notify);
    body += fmt::format("rcpt {} {} {} {}\n", escape_value(recipient.address), notify,
                        escape_value(recipient.orcpt_type), escape_value(recipient.orcpt_address));
  }
  record("ret", {envelope.ret});
  record("envid", {envelope.envid});
  record("body", {envelope.body});
  record("smtputf8", {envelope.smtputf8 ? "1" : "0"});
  body += fmt::format("arrival {}\n", envelope.arrival_time);
  record("client", {envelope.client_name, envelope.client_address});
  record("helo", {envelope.helo});
  record("protocol", {envelope.protocol});
  body += "end\n";
  std::uint64_t total = kFirstLineSize + body.size();
  return fmt::format("{}{:0{}}\n", kMagic, total, kLengthDigits) + body;
}

std::uint64_t announced_header_length(std::string_view head) {
  if (head.size() < kFirstLineSize || head.substr(0, kMagic.size()) != kMagic) return 0;
  if (head[kFirstLineSize - 1] != '\n') return 0;
  std::uint64_t length = 0;
  if (!parse_number(head.substr(kMagic.size(), kLengthDigits), length)) return 0;
  return length > kFirstLineSize ? length : 0;
}

Result<SpoolHeader> decode_spool_header(std::string_view head) {
  std::uint64_t length = announced_header_length(head);
  if (length == 0) return Error{"not a tern spool file"};
  if (head.size() < length) return Error{"spool file shorter than its header"};
  std::string_view records = head.substr(kFirstLineSize, length - kFirstLineSize);
  if (records.size() < 4 || records.substr(records.size() - 4) != "end\n") {
    return Error{"spool header is not terminated"};
  }
  records.remove_suffix(4);
  SpoolHeader header;
  header.data_offset = length;
  while (!records.empty()) {
    std::size_t newline = records.find('\n');
    if (newline == std::string_view::npos) return Error{"spool header record without newline"};
    if (auto parsed = parse_record(records.substr(0, newline), header.envelope); !parsed) {
      return parsed.error();
    }
    records.remove_prefix(newline + 1);
  }
  if (header.envelope.recipients.empty()) return Error{"spool header without recipients"};
  return header;
}

std::string encode_result(std::size_t recipient_index, RecipientState state, std::int64_t time,
                          std::string_view text, std::string_view dsn, std::string_view diagnostic,
                          std::string_view remote_mta) {
  std::string line =
      fmt::format("{} {} {} {}", recipient_index, state_letter(state), time, escape_value(text));
  if (!dsn.empty() || !diagnostic.empty() || !remote_mta.empty()) {
    line += fmt::format(" {}", escape_value(dsn));
  }
  if (!diagnostic.empty() || !remote_mta.empty()) {
    line += fmt::format(" {} {}", escape_value(diagnostic), escape_value(remote_mta));
  }
  return line + "\n";
}

std::string encode_notified(std::size_t recipient_index) {
  return fmt::format("notified {}\n", recipient_index);
}

std::string encode_warned(std::size_t recipient_index) {
  return fmt::format("warned {}\n", recipient_index);
}

std::string encode_handoff(std::size_t recipient_index, Handoff handoff) {
  return fmt::format("handoff {} {}\n", recipient_index,
                     handoff == Handoff::RelayedWithDsn      ? "dsn"
                     : handoff == Handoff::RelayedWithoutDsn ? "relayed"
                                                             : "mailbox");
}

std::string encode_schedule(int attempts, std::int64_t next_attempt_time) {
  return fmt::format("schedule {} {}\n", attempts, next_attempt_time);
}

Status apply_results(std::string_view log, Envelope& envelope) {
  while (!log.empty()) {
    std::size_t newline = log.find('\n');
    if (newline == std::string_view::npos) break;  // torn by a crash: the append never completed
    std::string_view line = log.substr(0, newline);
    log.remove_prefix(newline + 1);
    std::vector<std::string_view> fields = split_fields(line, ' ');
    auto bad = [&] {
      return Status(Error{fmt::format("bad results record: {}", line.substr(0, 80))});
    };
    if (fields.size() == 3 && fields[0] == "schedule") {
      if (!parse_number(fields[1], envelope.attempts) ||
          !parse_number(fields[2], envelope.next_attempt_time)) {
        return bad();
      }
      continue;
    }
    std::size_t index = 0;
    if (fields.size() == 2 && (fields[0] == "notified" || fields[0] == "warned")) {
      if (!parse_number(fields[1], index) || index >= envelope.recipients.size()) return bad();
      (fields[0] == "notified" ? envelope.recipients[index].notified
                               : envelope.recipients[index].warned) = true;
      continue;
    }
    if (fields.size() == 3 && fields[0] == "handoff") {
      if (!parse_number(fields[1], index) || index >= envelope.recipients.size()) return bad();
      if (fields[2] == "dsn") {
        envelope.recipients[index].handoff = Handoff::RelayedWithDsn;
      } else if (fields[2] == "relayed") {
        envelope.recipients[index].handoff = Handoff::RelayedWithoutDsn;
      } else if (fields[2] == "mailbox") {
        envelope.recipients[index].handoff = Handoff::Mailbox;
      } else {
        return bad();
      }
      continue;
    }
    RecipientState state{};
    std::int64_t time = 0;
    if ((fields.size() < 4 || fields.size() > 7 || fields.size() == 6) ||
        !parse_number(fields[0], index) || !parse_state(fields[1], state) ||
        !parse_number(fields[2], time) || index >= envelope.recipients.size()) {
      return bad();
    }
    envelope.recipients[index].state = state;
    envelope.recipients[index].status_text = unescape_value(fields[3]);
    envelope.recipients[index].dsn_status = fields.size() >= 5 ? unescape_value(fields[4]) : "";
    envelope.recipients[index].diagnostic = fields.size() == 7 ? unescape_value(fields[5]) : "";
    envelope.recipients[index].remote_mta = fields.size() == 7 ? unescape_value(fields[6]) : "";
    envelope.recipients[index].last_attempt = time;
  }
  return ok_status();
}

}  // namespace tern::queue
