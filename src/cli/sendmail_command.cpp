// tern sendmail: sendmail's option syntax (a getopt string like Postfix's), the message from
// standard input, -t's header recipients, and one request over ternd's pickup socket. Addresses
// are checked here with the same rule ternd applies, so a typo fails at once with EX_DATAERR.
#include "cli/sendmail_command.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/strings.hpp"
#include "cli/config_choice.hpp"
#include "cli/queue_command.hpp"
#include "server/pickup.hpp"

namespace tern::cli {
namespace {

// Options that take a value, attached ("-fsender") or as the next argument ("-f sender"), as in
// Postfix's getopt string "A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx" (tern's -c names
// main.cf, as in its other subcommands, where Postfix ignores a flag -c).
constexpr std::string_view kWithValue = "ABCFLNORVXbcefhopr";
// Flags accepted and ignored: -G (gateway), -U (initial user submission), -m (me too), -n (no
// aliasing), -x. -I is newaliases; -i, -t and -v mean something; -q is handled on its own.
constexpr std::string_view kFlags = "GIUimntvx";

std::string_view bare_address(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '<' && text.back() == '>') {
    text = text.substr(1, text.size() - 2);
  }
  return text;
}

// Command lines of the pickup protocol are single lines: control characters never reach them.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? ' ' : c;
  return out;
}

Status apply_value_option(SendmailOptions& options, char option, const std::string& value) {
  if (option == 'f' || option == 'r') {
    options.sender = value;
  } else if (option == 'F') {
    options.full_name = value;
  } else if (option == 'c') {
    options.config_path = value;
  } else if (option == 'C') {
    // Postfix's -C names a configuration directory or its main.cf.
    struct stat status {};
    bool directory = ::stat(value.c_str(), &status) == 0 && S_ISDIR(status.st_mode);
    options.config_path = directory ? value + "/main.cf" : value;
  } else if (option == 'o') {
    if (value == "i") options.dot_ends_message = false;  // others: -oem, -odi, -o7 ... ignored
  } else if (option == 'b') {
    if (value == "m") {
      options.mode = SendmailOptions::Mode::Deliver;
    } else if (value == "p") {
      options.mode = SendmailOptions::Mode::ListQueue;
    } else if (value == "i") {
      options.mode = SendmailOptions::Mode::Nothing;
    } else {
      return Error{fmt::format("-b{}: mode not supported (only -bm, -bp and -bi)", value)};
    }
  } else if (option == 'N') {
    // RFC 3461 NOTIFY values, accepted as sendmail accepts them; ternd uses its defaults.
    for (const std::string& word : split_list(value)) {
      std::string lower = to_lower_ascii(word);
      if (lower != "never" && lower != "success" && lower != "failure" && lower != "delay") {
        return Error{fmt::format("-N {}: expected never, or success,failure,delay", value)};
      }
    }
  }
  return ok_status();  // -A -B -L -O -R -V -X -e -h -p: accepted, no effect
}

// One argument that starts with '-': a cluster of flags, possibly ending in an option that takes
// a value. `next` is the following argument, consumed when the value is not attached.
Status apply_short_options(SendmailOptions& options, std::string_view cluster,
                           const std::string* next, bool& consumed_next) {
  for (std::size_t i = 1; i < cluster.size(); ++i) {
    char option = cluster[i];
    if (option == 'q') {
      // -q flushes; -q<interval> (a daemon's run interval) is accepted and ignored.
      std::string_view rest = cluster.substr(i + 1);
      if (rest.empty() || !(rest[0] >= '0' && rest[0] <= '9')) {
        options.mode = SendmailOptions::Mode::FlushQueue;
      }
      return ok_status();
    }
    if (kWithValue.find(option) != std::string_view::npos) {
      std::string value(cluster.substr(i + 1));
      if (value.empty()) {
        if (next == nullptr) return Error{fmt::format("option -{} needs a value", option)};
        value = *next;
        consumed_next = true;
      }
      return apply_value_option(options, option, value);
    }
    if (kFlags.find(option) == std::string_view::npos) {
      return Error{fmt::format("unknown option -{}", option)};
    }
    if (option == 't') options.recipients_from_headers = true;
    if (option == 'i') options.dot_ends_message = false;
    if (option == 'v') options.verbose = true;
    if (option == 'I') options.mode = SendmailOptions::Mode::Nothing;
  }
  return ok_status();
}

// A field line of a header section: a name of printable ASCII without ':' (RFC 5322 §3.6.8), an
// optional run of WSP (§4.5.3 obsolete syntax), then ':'. Returns the name, or nullopt.
std::optional<std::string_view> field_name(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && line[i] > 0x20 && line[i] < 0x7F && line[i] != ':') ++i;
  std::size_t name_end = i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (name_end == 0 || i >= line.size() || line[i] != ':') return std::nullopt;
  return line.substr(0, name_end);
}

// Copies (when `out` is set) the quoted-string "...", domain literal [...] or comment (...), which
// may nest, that starts at text[i]; returns the index after its end (text.size() if unterminated).
std::size_t skip_delimited(std::string_view text, std::size_t i, std::string* out) {
  char open = text[i];
  char close = open == '"' ? '"' : open == '(' ? ')' : ']';
  int depth = 1;
  if (out) *out += open;
  for (std::size_t j = i + 1; j < text.size(); ++j) {
    char c = text[j];
    if (out) *out += c;
    if (c == '\\' && j + 1 < text.size()) {  // quoted-pair
      if (out) *out += text[j + 1];
      ++j;
    } else if (open == '(' && c == '(') {
      ++depth;
    } else if (c == close && --depth == 0) {
      return j + 1;
    }
  }
  return text.size();
}

}  // namespace

std::string sendmail_usage() {
  return "usage: tern sendmail [-t] [-i] [-oi] [-f sender] [-r sender] [-F full name] [-v]\n"
         "                     [-c main.cf] [--] [recipient...]  < message\n"
         "       tern sendmail -bp    (the queue, as mailq)\n"
         "       tern sendmail -q     (retry deferred mail now)\n"
         "  -t     recipients from To:, Cc: and Bcc: (Bcc: removed); arguments are added\n"
         "  -i     a line with a single \".\" does not end the message (also -oi)\n"
         "  -f -r  envelope sender (default: your login name @ myorigin)\n"
         "  -F     full name for the From: header ternd adds when the message has none\n"
         "  also accepted and ignored: -odi -odb -oem -oep -o<x> -bm -U -G -n -m -N dsn -B type\n"
         "         -R ret -V envid -L label -h hops -X file -A -O\n";
}

Result<SendmailOptions> parse_sendmail_arguments(const std::vector<std::string>& arguments) {
  SendmailOptions options;
  bool only_recipients = false;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (only_recipients || argument.size() < 2 || argument[0] != '-') {
      options.recipients.push_back(argument);
      continue;
    }
    if (argument == "--") {
      only_recipients = true;
      continue;
    }
    if (argument.starts_with("--")) {
      if (argument == "--help") {
        options.mode = SendmailOptions::Mode::Help;
      } else if (argument == "--config" || argument.starts_with("--config=")) {
        if (argument.size() > 8) {
          options.config_path = argument.substr(9);
        } else if (i + 1 < arguments.size()) {
          options.config_path = arguments[++i];
        } else {
          return Error{"option --config needs a value"};
        }
      } else {
        return Error{fmt::format("unknown option {}", argument)};
      }
      continue;
    }
    bool consumed_next = false;
    const std::string* next = i + 1 < arguments.size() ? &arguments[i + 1] : nullptr;
    Status applied = apply_short_options(options, argument, next, consumed_next);
    if (!applied) return applied.error();
    if (consumed_next) ++i;
  }
  return options;
}

std::vector<std::string> parse_address_list(std::string_view text) {
  std::vector<std::string> addresses;
  std::string plain;                 // the text outside comments and angle brackets
  std::optional<std::string> angle;  // the last <...> seen in this address
  bool in_group = false;
  auto end_address = [&] {
    std::string address(angle ? trim(*angle) : trim(plain));
    // An obsolete source route (RFC 5322 §4.4 obs-route) before the mailbox is dropped.
    if (angle && address.starts_with('@') && address.find(':') != std::string::npos) {
      address.erase(0, address.find(':') + 1);
    }
    if (!address.empty()) addresses.push_back(std::move(address));
    plain.clear();
    angle.reset();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"' || c == '[') {
      i = skip_delimited(text, i, &plain);
    } else if (c == '(') {
      i = skip_delimited(text, i, nullptr);
      plain += ' ';
    } else if (c == '<') {
      std::size_t close = i + 1;
      std::string inside;
      while (close < text.size() && text[close] != '>') {
        if (text[close] == '"') {
          close = skip_delimited(text, close, &inside);
        } else {
          inside += text[close++];
        }
      }
      angle = std::move(inside);
      i = close + 1;
    } else if (c == ':' && !in_group) {
      plain.clear();  // a group's display name
      angle.reset();
      in_group = true;
      ++i;
    } else if (c == ';' && in_group) {
      end_address();
      in_group = false;
      ++i;
    } else if (c == ',') {
      end_address();
      ++i;
    } else {
      plain += c == '\r' || c == '\n' || c == '\t' ? ' ' : c;
      ++i;
    }
  }
  end_address();
  return addresses;
}

HeaderRecipients take_header_recipients(std::string_view message) {
  struct Field {
    std::string name;  // lower case
    std::string value;
  };
  std::vector<Field> fields;
  HeaderRecipients result;
  std::size_t position = 0;
  bool dropping = false;  // inside a (Resent-)Bcc: field, continuation lines included
  while (position < message.size()) {
    std::size_t newline = message.find('\n', position);
    std::size_t next = newline == std::string_view::npos ? message.size() : newline + 1;
    std::string_view line = message.substr(position, next - position);
    std::string_view content = line.substr(0, line.find_first_of("\r\n"));
    bool continuation =
        !fields.empty() && !content.empty() && (content[0] == ' ' || content[0] == '\t');
    std::optional<std::string_view> name = continuation ? std::nullopt : field_name(content);
    if (!continuation && !name) break;  // the empty line, or the body began without it
    if (continuation) {
      fields.back().value += ' ';
      fields.back().value += content;
    } else {
      std::string lower = to_lower_ascii(*name);
      dropping = lower == "bcc" || lower == "resent-bcc";
      fields.push_back({lower, std::string(content.substr(content.find(':') + 1))});
    }
    if (!dropping) result.message += line;
    position = next;
  }
  result.message += message.substr(position);
  bool resent = false;
  for (const Field& field : fields) {
    resent = resent || field.name == "resent-to" || field.name == "resent-cc" ||
             field.name == "resent-bcc";
  }
  for (const Field& field : fields) {
    std::string_view name = field.name;
    if (resent) {
      if (!name.starts_with("resent-")) continue;
      name.remove_prefix(7);
    }
    if (name == "to" || name == "cc" || name == "bcc") {
      for (std::string& address : parse_address_list(field.value)) {
        result.addresses.push_back(std::move(address));
      }
    }
  }
  return result;
}

Result<std::string> read_message(std::istream& in, bool dot_ends, std::uint64_t size_limit) {
  std::string message;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    bool ended = !in.eof();  // getline stopped at a newline, not at the end of input
    if (dot_ends && (line == "." || line == ".\r")) break;
    if (first && line.starts_with("From ")) {
      first = false;
      continue;  // an mbox separator, not a header field
    }
    first = false;
    message += line;
    if (ended) message += '\n';
    if (message.size() > size_limit) {
      return Error{
          fmt::format("message file too big (message_size_limit is {} octets)", size_limit)};
    }
  }
  if (in.bad()) return Error{"cannot read the message from standard input"};
  return message;
}

std::string format_pickup_request(const std::optional<std::string>& sender,
                                  std::string_view full_name,
                                  const std::vector<std::string>& recipients,
                                  std::uint64_t data_length) {
  std::string request;
  if (sender) request += fmt::format("MAIL <{}>\n", one_line(bare_address(*sender)));
  std::string name = one_line(full_name);
  if (!trim(name).empty()) request += fmt::format("NAME {}\n", trim(name));
  for (const std::string& recipient : recipients) {
    request += fmt::format("RCPT <{}>\n", one_line(bare_address(recipient)));
  }
  request += fmt::format("DATA {}\n", data_length);
  return request;
}

int exit_status_for_refusal(std::string_view answer) {
  if (answer.starts_with("error: ")) answer.remove_prefix(7);
  std::string_view status = answer.substr(0, answer.find(' '));
  if (status.starts_with('4')) return EX_TEMPFAIL;
  if (status.starts_with("5.1.") || status == "5.3.4" || status.starts_with("5.6.")) {
    return EX_DATAERR;
  }
  return EX_SOFTWARE;
}

namespace {

struct Submission {
  int exit_status = 0;
  std::string text;  // the queue id, or what went wrong
};

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

// Sends the request and the message and reads ternd's one-line answer. A refusal may come before
// the message was sent in full (ternd stops reading): the answer is still read and reported.
Submission submit(const std::string& socket_path, const std::string& request,
                  const std::string& message) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    return {EX_SOFTWARE, fmt::format("pickup socket path too long: {}", socket_path)};
  }
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {EX_OSERR, fmt::format("socket: {}", std::strerror(errno))};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    int error = errno;
    ::close(fd);
    if (error == ENOENT || error == ECONNREFUSED) {
      return {EX_UNAVAILABLE, fmt::format("cannot submit: ternd is not running (no pickup socket "
                                          "at {})",
                                          socket_path)};
    }
    return {EX_UNAVAILABLE,
            fmt::format("cannot submit: {}: {}", socket_path, std::strerror(error))};
  }
  timeval timeout{300, 0};  // ternd's own deadline is 60 s for our I/O, then the commit
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (send_all(fd, request)) send_all(fd, message);
  std::string answer;
  char buffer[512];
  while (answer.find('\n') == std::string::npos && answer.size() < 4096) {
    ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  std::size_t newline = answer.find('\n');
  if (newline == std::string::npos) {
    return {EX_TEMPFAIL, "cannot submit: ternd closed the connection without an answer"};
  }
  answer.resize(newline);
  if (answer.starts_with("ok ")) return {0, answer.substr(3)};
  int status = exit_status_for_refusal(answer);
  std::string_view why = answer;
  if (why.starts_with("error: ")) why.remove_prefix(7);
  std::size_t space = why.find(' ');
  if (space != std::string_view::npos) why.remove_prefix(space + 1);  // the RFC 3463 status
  return {status, fmt::format("message refused: {}", why)};
}

// The addresses as ternd will take them, so a typo fails here: exit 65 with the address named.
Status check_addresses(const SendmailOptions& options, const std::vector<std::string>& recipients,
                       const std::string& myorigin) {
  if (options.sender) {
    auto sender = server::local_submission_address(*options.sender, true, myorigin);
    if (!sender) return Error{"sender " + sender.error().message};
  }
  for (const std::string& recipient : recipients) {
    auto checked = server::local_submission_address(recipient, false, myorigin);
    if (!checked) return Error{"recipient " + checked.error().message};
  }
  return ok_status();
}

}  // namespace

int run_sendmail_command(const std::vector<std::string>& arguments, std::istream& in,
                         std::ostream& out, std::ostream& errors) {
  auto parsed = parse_sendmail_arguments(arguments);
  if (!parsed) {
    errors << "tern: " << parsed.error().message << " (see tern sendmail --help)\n";
    return EX_USAGE;
  }
  SendmailOptions& options = parsed.value();
  if (options.mode == SendmailOptions::Mode::Help) {
    out << sendmail_usage();
    return 0;
  }
  if (options.mode == SendmailOptions::Mode::Nothing) return 0;
  if (options.mode == SendmailOptions::Mode::ListQueue ||
      options.mode == SendmailOptions::Mode::FlushQueue) {
    QueueCommand queue;
    queue.action =
        options.mode == SendmailOptions::Mode::ListQueue ? QueueAction::List : QueueAction::Flush;
    queue.config_path = options.config_path;
    return run_queue_command(queue, out, errors);
  }
  auto chosen = load_chosen_config(options.config_path);
  if (!chosen) {
    errors << "tern: " << chosen.error().message << "\n";
    return EX_CONFIG;
  }
  const config::Config& config = chosen->loaded.config;
  if (Status checked = check_addresses(options, options.recipients, config.myorigin); !checked) {
    errors << "tern: " << checked.error().message << "\n";
    return EX_DATAERR;
  }
  if (!options.recipients_from_headers && options.recipients.empty()) {
    errors << "tern: no recipients specified (give them as arguments, or use -t)\n";
    return EX_USAGE;
  }
  auto message = read_message(in, options.dot_ends_message, config.message_size_limit);
  if (!message) {
    errors << "tern: " << message.error().message << "\n";
    return message.error().message.starts_with("message file too big") ? EX_DATAERR : EX_NOINPUT;
  }
  std::vector<std::string> recipients;
  if (options.recipients_from_headers) {
    HeaderRecipients taken = take_header_recipients(*message);
    *message = std::move(taken.message);
    recipients = std::move(taken.addresses);
    if (Status checked = check_addresses(options, recipients, config.myorigin); !checked) {
      errors << "tern: " << checked.error().message << " in the message header\n";
      return EX_DATAERR;
    }
  }
  // Postfix: with -t, the command line's recipients are added to the header's.
  recipients.insert(recipients.end(), options.recipients.begin(), options.recipients.end());
  if (recipients.empty()) {
    errors << "tern: no recipient addresses found in the message header\n";
    return EX_USAGE;
  }
  std::string request =
      format_pickup_request(options.sender, options.full_name, recipients, message->size());
  Submission done = submit(server::pickup_socket_path(config.queue_directory), request, *message);
  if (done.exit_status != 0) {
    errors << "tern: " << done.text << "\n";
    return done.exit_status;
  }
  if (options.verbose) errors << "tern: queued as " << done.text << "\n";
  return 0;
}

}  // namespace tern::cli
