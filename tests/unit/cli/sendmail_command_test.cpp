// tern sendmail's pure parts: sendmail's option syntax, RFC 5322 address lists for -t, the header
// recipients and Bcc: removal, the dot rule, the pickup request, the exit codes; and the command
// end to end without ternd (exit 69) and with usage and address errors.
#include "cli/sendmail_command.hpp"

#include <gtest/gtest.h>
#include <sysexits.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tern::cli {
namespace {

using Mode = SendmailOptions::Mode;
using Strings = std::vector<std::string>;

SendmailOptions parse(const Strings& arguments) {
  auto parsed = parse_sendmail_arguments(arguments);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().message);
  return parsed ? parsed.value() : SendmailOptions{};
}

std::string parse_error(const Strings& arguments) {
  auto parsed = parse_sendmail_arguments(arguments);
  return parsed ? "(parsed)" : parsed.error().message;
}

TEST(SendmailArgumentsTest, Defaults) {
  SendmailOptions options = parse({"bob@example.org"});
  EXPECT_EQ(options.mode, Mode::Deliver);
  EXPECT_FALSE(options.recipients_from_headers);
  EXPECT_TRUE(options.dot_ends_message);
  EXPECT_FALSE(options.sender.has_value());
  EXPECT_EQ(options.recipients, Strings{"bob@example.org"});
}

TEST(SendmailArgumentsTest, FlagsClustersAndValues) {
  SendmailOptions options = parse({"-ti", "-fsender@example.org", "-F", "Alice Example", "-v"});
  EXPECT_TRUE(options.recipients_from_headers);
  EXPECT_FALSE(options.dot_ends_message);
  EXPECT_EQ(options.sender, "sender@example.org");
  EXPECT_EQ(options.full_name, "Alice Example");
  EXPECT_TRUE(options.verbose);
  EXPECT_TRUE(options.recipients.empty());
  EXPECT_EQ(parse({"-r", "root"}).sender, "root");
  EXPECT_EQ(parse({"-f", ""}).sender, "");
  EXPECT_EQ(parse({"-f<>"}).sender, "<>");
  EXPECT_FALSE(parse({"-oi"}).dot_ends_message);
  EXPECT_FALSE(parse({"-o", "i"}).dot_ends_message);
  EXPECT_EQ(parse({"-tif", "x@y"}).sender, "x@y");  // a value option ends a cluster
}

TEST(SendmailArgumentsTest, AcceptsAndIgnoresWhatProgramsPass) {
  SendmailOptions options = parse({"-odi",
                                   "-odb",
                                   "-oem",
                                   "-oep",
                                   "-bm",
                                   "-U",
                                   "-G",
                                   "-n",
                                   "-m",
                                   "-x",
                                   "-o7",
                                   "-N",
                                   "success,failure",
                                   "-Nnever",
                                   "-B",
                                   "8BITMIME",
                                   "-R",
                                   "hdrs",
                                   "-V",
                                   "envid",
                                   "-L",
                                   "label",
                                   "-h",
                                   "10",
                                   "-X",
                                   "/tmp/log",
                                   "-OQueueDirectory=/x",
                                   "-Aa",
                                   "-q30m",
                                   "--",
                                   "bob@example.org"});
  EXPECT_EQ(options.mode, Mode::Deliver);
  EXPECT_TRUE(options.dot_ends_message);
  EXPECT_EQ(options.recipients, Strings{"bob@example.org"});
}

TEST(SendmailArgumentsTest, OptionsMayFollowRecipientsUntilDoubleDash) {
  SendmailOptions options = parse({"a@example.org", "-oi", "b@example.org", "--", "-c"});
  EXPECT_FALSE(options.dot_ends_message);
  EXPECT_EQ(options.recipients, (Strings{"a@example.org", "b@example.org", "-c"}));
}

TEST(SendmailArgumentsTest, ModesAndConfig) {
  EXPECT_EQ(parse({"-bp"}).mode, Mode::ListQueue);
  EXPECT_EQ(parse({"-q"}).mode, Mode::FlushQueue);
  EXPECT_EQ(parse({"-bi"}).mode, Mode::Nothing);
  EXPECT_EQ(parse({"-I"}).mode, Mode::Nothing);
  EXPECT_EQ(parse({"--help"}).mode, Mode::Help);
  EXPECT_EQ(parse({"-c", "/etc/x/main.cf"}).config_path, "/etc/x/main.cf");
  EXPECT_EQ(parse({"--config=/a.cf"}).config_path, "/a.cf");
  EXPECT_EQ(parse({"--config", "/b.cf"}).config_path, "/b.cf");
  std::string directory = std::filesystem::temp_directory_path().string();
  EXPECT_EQ(parse({"-C", directory}).config_path, directory + "/main.cf");
  EXPECT_EQ(parse({"-C/etc/tern/other.cf"}).config_path, "/etc/tern/other.cf");
}

TEST(SendmailArgumentsTest, UsageErrors) {
  EXPECT_EQ(parse_error({"-k"}), "unknown option -k");
  EXPECT_EQ(parse_error({"--frobnicate"}), "unknown option --frobnicate");
  EXPECT_EQ(parse_error({"-f"}), "option -f needs a value");
  EXPECT_EQ(parse_error({"--config"}), "option --config needs a value");
  EXPECT_EQ(parse_error({"-bs"}), "-bs: mode not supported (only -bm, -bp and -bi)");
  EXPECT_EQ(parse_error({"-N", "sometimes"}),
            "-N sometimes: expected never, or success,failure,delay");
}

TEST(AddressListTest, MailboxesNamesCommentsAndQuotes) {
  EXPECT_EQ(parse_address_list(" Name <a@b.example>, c@d.example, \"x, y\" <e@f.example>"),
            (Strings{"a@b.example", "c@d.example", "e@f.example"}));
  EXPECT_EQ(parse_address_list("c@d.example (Carol, \"C\" (nested)), <g@h.example>"),
            (Strings{"c@d.example", "g@h.example"}));
  EXPECT_EQ(parse_address_list("\"quoted local\"@example.org"),
            Strings{"\"quoted local\"@example.org"});
  EXPECT_EQ(parse_address_list("a@[IPv6:::1], <@route.example:b@example.org>"),
            (Strings{"a@[IPv6:::1]", "b@example.org"}));
  EXPECT_EQ(parse_address_list("\r\n folded@example.org,\r\n\tnext@example.org"),
            (Strings{"folded@example.org", "next@example.org"}));
  EXPECT_EQ(parse_address_list(" , ,"), Strings{});
}

TEST(AddressListTest, Groups) {
  EXPECT_EQ(parse_address_list("undisclosed-recipients:;"), Strings{});
  EXPECT_EQ(parse_address_list("Team: a@example.org, B <b@example.org>;, c@example.org"),
            (Strings{"a@example.org", "b@example.org", "c@example.org"}));
}

TEST(HeaderRecipientsTest, ToCcBccAndBccRemoved) {
  HeaderRecipients taken = take_header_recipients(
      "From: me@example.org\nTo: A <a@example.org>,\n b@example.org\nBcc: hidden@example.org,\n"
      "\tmore@example.org\nCc: c@example.org\nSubject: hi\n\nTo: body@example.org\n");
  EXPECT_EQ(taken.addresses, (Strings{"a@example.org", "b@example.org", "hidden@example.org",
                                      "more@example.org", "c@example.org"}));
  EXPECT_EQ(taken.message,
            "From: me@example.org\nTo: A <a@example.org>,\n b@example.org\nCc: c@example.org\n"
            "Subject: hi\n\nTo: body@example.org\n");
}

TEST(HeaderRecipientsTest, ResentFieldsWinAndCrlfIsKept) {
  HeaderRecipients taken = take_header_recipients(
      "To: old@example.org\r\nResent-To: new@example.org\r\nResent-Bcc: secret@example.org\r\n"
      "BCC: also@example.org\r\n\r\nbody\r\n");
  EXPECT_EQ(taken.addresses, (Strings{"new@example.org", "secret@example.org"}));
  EXPECT_EQ(taken.message, "To: old@example.org\r\nResent-To: new@example.org\r\n\r\nbody\r\n");
}

TEST(HeaderRecipientsTest, NoHeader) {
  EXPECT_EQ(take_header_recipients("just a body\n").addresses, Strings{});
  EXPECT_EQ(take_header_recipients("just a body\n").message, "just a body\n");
  EXPECT_EQ(take_header_recipients("").message, "");
}

std::string read(const std::string& input, bool dot_ends, std::uint64_t limit = 1000) {
  std::istringstream in(input);
  auto message = read_message(in, dot_ends, limit);
  return message ? message.value() : "error: " + message.error().message;
}

TEST(ReadMessageTest, DotRule) {
  EXPECT_EQ(read("a\n.\nnot read\n", true), "a\n");
  EXPECT_EQ(read("a\r\n.\r\nnot read\r\n", true), "a\r\n");
  EXPECT_EQ(read("a\n..\n. \n.", true), "a\n..\n. \n");
  EXPECT_EQ(read("a\n.\nread\n", false), "a\n.\nread\n");
  EXPECT_EQ(read("no final newline", false), "no final newline");
  EXPECT_EQ(read("", true), "");
}

TEST(ReadMessageTest, MboxFromLineAndSizeLimit) {
  EXPECT_EQ(read("From alice Mon Jan  1 00:00:00 2024\nSubject: x\n\nFrom here\n", true),
            "Subject: x\n\nFrom here\n");
  EXPECT_EQ(read(std::string(20, 'x') + "\n", false, 10),
            "error: message file too big (message_size_limit is 10 octets)");
}

TEST(PickupRequestTest, Lines) {
  EXPECT_EQ(format_pickup_request(std::nullopt, "", {"a@example.org", "<b@example.org>"}, 12),
            "RCPT <a@example.org>\nRCPT <b@example.org>\nDATA 12\n");
  EXPECT_EQ(format_pickup_request(std::string("<>"), " Al\nice ", {"a"}, 0),
            "MAIL <>\nNAME Al ice\nRCPT <a>\nDATA 0\n");
  EXPECT_EQ(format_pickup_request(std::string("x@y\nRCPT <evil@z>"), "", {"a"}, 0),
            "MAIL <x@y RCPT <evil@z>>\nRCPT <a>\nDATA 0\n");
}

TEST(ExitStatusTest, ByStatusClass) {
  EXPECT_EQ(exit_status_for_refusal("error: 4.3.0 queue file write error"), EX_TEMPFAIL);
  EXPECT_EQ(exit_status_for_refusal("error: 5.1.3 recipient bad address syntax"), EX_DATAERR);
  EXPECT_EQ(exit_status_for_refusal("error: 5.3.4 message file too big"), EX_DATAERR);
  EXPECT_EQ(exit_status_for_refusal("error: 5.5.2 unknown command"), EX_SOFTWARE);
  EXPECT_EQ(exit_status_for_refusal("error: what"), EX_SOFTWARE);
}

class SendmailRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tern-sendmail-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_ = dir_ + "/main.cf";
    std::ofstream(config_) << "myorigin = example.org\nqueue_directory = " << dir_ << "/spool\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int run(Strings arguments, const std::string& input = "Subject: x\n\nbody\n") {
    arguments.insert(arguments.begin(), {"-c", config_});
    std::istringstream in(input);
    out_.str("");
    errors_.str("");
    return run_sendmail_command(arguments, in, out_, errors_);
  }

  std::string dir_;
  std::string config_;
  std::ostringstream out_;
  std::ostringstream errors_;
};

TEST_F(SendmailRunTest, TernNotRunning) {
  EXPECT_EQ(run({"bob@example.org"}), EX_UNAVAILABLE);
  EXPECT_EQ(errors_.str(), "tern: cannot submit: ternd is not running (no pickup socket at " +
                               dir_ + "/spool/public/pickup)\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(SendmailRunTest, UsageAndAddressErrors) {
  EXPECT_EQ(run({"-k"}), EX_USAGE);
  EXPECT_EQ(errors_.str(), "tern: unknown option -k (see tern sendmail --help)\n");
  EXPECT_EQ(run({}), EX_USAGE);
  EXPECT_EQ(errors_.str(), "tern: no recipients specified (give them as arguments, or use -t)\n");
  EXPECT_EQ(run({"bob@"}), EX_DATAERR);
  EXPECT_EQ(errors_.str(), "tern: recipient bad address syntax: <bob@>\n");
  EXPECT_EQ(run({"-t"}, "To: a@\n\nx\n"), EX_DATAERR);
  EXPECT_EQ(run({"-t"}, "Subject: none\n\nx\n"), EX_USAGE);
  EXPECT_EQ(errors_.str(), "tern: no recipient addresses found in the message header\n");
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_NE(out_.str().find("usage: tern sendmail"), std::string::npos);
}

}  // namespace
}  // namespace tern::cli
