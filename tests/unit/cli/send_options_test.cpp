// `tern send` options: parsed by CLI11 as the real command line is, then checked. Each bad
// combination must fail with one line that says what to do; good ones must set what they say.
#include "cli/send_options.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tern::cli {
namespace {

// Parses `tern send <args>`; a CLI11 error comes back as its message.
Result<SendOptions> parse(std::vector<std::string> args) {
  CLI::App app{"tern"};
  SendArguments arguments;
  add_send_subcommand(app, arguments);
  args.insert(args.begin(), "send");
  std::vector<const char*> argv = {"tern"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), const_cast<char**>(argv.data()));
  } catch (const CLI::ParseError& error) {
    return Error{std::string("CLI11: ") + error.what()};
  }
  return make_send_options(arguments);
}

std::string error_of(std::vector<std::string> args) {
  auto options = parse(std::move(args));
  if (options) return "<accepted>";
  EXPECT_EQ(options.error().message.find('\n'), std::string::npos);
  return options.error().message;
}

TEST(SendOptionsTest, Defaults) {
  auto options = parse({"--to", "bob@example.org"});
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->target.host, "localhost");
  EXPECT_EQ(options->target.port, 25);
  EXPECT_EQ(options->tls, TlsMode::None);
  EXPECT_FALSE(options->auth);
  EXPECT_FALSE(options->pipeline);
  EXPECT_FALSE(options->smtputf8);
  EXPECT_FALSE(options->quit_after);
  EXPECT_DOUBLE_EQ(options->timeout_seconds, 30);
  EXPECT_EQ(options->recipients(), std::vector<std::string>{"bob@example.org"});
  EXPECT_TRUE(options->from.address.empty());  // the command fills in login@host
}

TEST(SendOptionsTest, EverythingSet) {
  auto options = parse({"--server",
                        "[::1]:2525",
                        "--from",
                        "Alice <alice@example.org>",
                        "--to",
                        "bob@example.org",
                        "-t",
                        "Carol <carol@example.org>",
                        "--cc",
                        "dave@example.org",
                        "--bcc",
                        "eve@example.org",
                        "--subject",
                        "hi",
                        "--header",
                        "X-A: 1",
                        "--header",
                        "X-B: 2",
                        "--body",
                        "@/tmp/body",
                        "--html",
                        "<p>x</p>",
                        "--attach",
                        "/tmp/a.pdf",
                        "--ehlo",
                        "client.test",
                        "--tls",
                        "--auth",
                        "LOGIN",
                        "--auth-user",
                        "alice",
                        "--auth-password",
                        "secret",
                        "--pipeline",
                        "--dsn-notify",
                        "success,failure",
                        "--dsn-ret",
                        "hdrs",
                        "--envid",
                        "ENV-1",
                        "--8bitmime",
                        "--quit-after",
                        "RCPT",
                        "--timeout",
                        "5.5",
                        "--proxy",
                        "http://127.0.0.1:3128",
                        "-v",
                        "--json"});
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->target.host, "::1");
  EXPECT_EQ(options->target.port, 2525);
  EXPECT_EQ(options->from.display_name, "Alice");
  EXPECT_EQ(options->from.address, "alice@example.org");
  EXPECT_EQ(options->recipients(),
            (std::vector<std::string>{"bob@example.org", "carol@example.org", "dave@example.org",
                                      "eve@example.org"}));
  EXPECT_EQ(options->to[1].display_name, "Carol");
  EXPECT_EQ(*options->subject, "hi");
  ASSERT_EQ(options->headers.size(), 2u);
  EXPECT_EQ(options->headers[1].name, "X-B");
  EXPECT_EQ(options->body->kind, TextSource::Kind::File);
  EXPECT_EQ(options->body->value, "/tmp/body");
  EXPECT_EQ(options->html->kind, TextSource::Kind::Text);
  EXPECT_EQ(options->attachments, std::vector<std::string>{"/tmp/a.pdf"});
  EXPECT_EQ(options->ehlo, "client.test");
  EXPECT_EQ(options->tls, TlsMode::StartTlsRequired);
  EXPECT_TRUE(options->auth);
  EXPECT_EQ(options->auth_mechanism, AuthMechanism::Login);
  EXPECT_EQ(options->auth_user, "alice");
  EXPECT_EQ(*options->auth_password, "secret");
  EXPECT_TRUE(options->pipeline);
  EXPECT_EQ(options->dsn_notify, smtp::NotifySuccess | smtp::NotifyFailure);
  EXPECT_EQ(options->dsn_ret, smtp::Ret::Headers);
  EXPECT_EQ(options->envid, "ENV-1");
  EXPECT_TRUE(options->eight_bit_mime);
  EXPECT_EQ(options->quit_after, smtp::ClientCheckpoint::Rcpt);
  EXPECT_DOUBLE_EQ(options->timeout_seconds, 5.5);
  ASSERT_TRUE(options->proxy);
  EXPECT_EQ(options->proxy->port, 3128);
  EXPECT_TRUE(options->verbose);
  EXPECT_TRUE(options->json);
}

TEST(SendOptionsTest, AuthWithoutMechanismAndUserImpliesAuth) {
  auto any = parse({"--to", "b@example.org", "--tls", "--auth", "--auth-user", "alice"});
  ASSERT_TRUE(any) << any.error().message;
  EXPECT_TRUE(any->auth);
  EXPECT_EQ(any->auth_mechanism, AuthMechanism::Any);
  auto implied = parse({"--to", "b@example.org", "--tls-on-connect", "--auth-user", "alice"});
  ASSERT_TRUE(implied) << implied.error().message;
  EXPECT_TRUE(implied->auth);
  EXPECT_EQ(implied->tls, TlsMode::OnConnect);
}

TEST(SendOptionsTest, Port465MeansTlsOnConnect) {
  auto options = parse({"--server", "mail.example.org:465", "--to", "b@example.org"});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->tls, TlsMode::OnConnect);
  auto explicit_starttls =
      parse({"--server", "mail.example.org:465", "--to", "b@example.org", "--tls"});
  ASSERT_TRUE(explicit_starttls);
  EXPECT_EQ(explicit_starttls->tls, TlsMode::StartTlsRequired);
}

TEST(SendOptionsTest, VerifyImpliesRequiredTls) {
  auto options = parse({"--to", "b@example.org", "--tls-verify"});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->tls, TlsMode::StartTlsRequired);
  EXPECT_TRUE(options->tls_verify);
  auto ca = parse({"--to", "b@example.org", "--tls-on-connect", "--tls-ca-file", "/tmp/ca.pem"});
  ASSERT_TRUE(ca);
  EXPECT_TRUE(ca->tls_verify);
  EXPECT_EQ(ca->tls, TlsMode::OnConnect);
}

TEST(SendOptionsTest, Utf8AddressImpliesSmtputf8) {
  auto options = parse({"--to", "jörg@example.org"});
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_TRUE(options->smtputf8);
  auto asked = parse({"--to", "b@example.org", "--smtputf8"});
  ASSERT_TRUE(asked);
  EXPECT_TRUE(asked->smtputf8);
}

TEST(SendOptionsTest, TextSources) {
  EXPECT_EQ(parse_text_source("-").kind, TextSource::Kind::Stdin);
  TextSource file = parse_text_source("@body.txt");
  EXPECT_EQ(file.kind, TextSource::Kind::File);
  EXPECT_EQ(file.value, "body.txt");
  TextSource text = parse_text_source("hello @ world");
  EXPECT_EQ(text.kind, TextSource::Kind::Text);
  EXPECT_EQ(text.value, "hello @ world");
}

TEST(SendOptionsTest, BadCombinationsAreOneLineErrors) {
  EXPECT_EQ(error_of({}), "no recipients: give --to, --cc or --bcc");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--tls", "--tls-on-connect"}),
            "choose one of --tls, --tls-optional and --tls-on-connect");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--tls-optional", "--tls"}),
            "choose one of --tls, --tls-optional and --tls-on-connect");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--tls-optional", "--tls-verify"}),
            "--tls-verify requires TLS: use it with --tls or --tls-on-connect");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--auth-user", "alice"}),
            "--auth needs --tls, --tls-optional or --tls-on-connect: credentials are never sent "
            "in the clear");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--tls", "--auth"}), "--auth needs --auth-user");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--tls", "--auth", "CRAM-MD5", "--auth-user", "a"}),
            "--auth CRAM-MD5: expected PLAIN or LOGIN");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--auth-password", "x"}),
            "--auth-password needs --auth-user");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--data", "@m.eml", "--subject", "x"}),
            "--data sends a ready message as is: it cannot be combined with --subject, --header, "
            "--body, --html or --attach");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--data", "inline text"}),
            "--data takes @file or - (standard input)");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--body", "-", "--html", "-"}),
            "only one of --body, --html and --data can read standard input");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--quit-after", "data"}),
            "--quit-after data: expected connect, banner, ehlo, tls, auth, mail or rcpt");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--quit-after", "tls"}),
            "--quit-after tls needs --tls, --tls-optional or --tls-on-connect");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--quit-after", "auth"}),
            "--quit-after auth needs --auth");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--dsn-notify", "never,success"}),
            "--dsn-notify never,success: expected NEVER, or SUCCESS,FAILURE,DELAY");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--dsn-notify", "sometimes"}),
            "--dsn-notify sometimes: expected NEVER, or SUCCESS,FAILURE,DELAY");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--dsn-ret", "ALL"}),
            "--dsn-ret ALL: expected FULL or HDRS");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--envid", "naïve"}),
            "--envid: at most 100 printable ASCII characters (RFC 3461 §4.4)");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--timeout", "0"}),
            "--timeout: seconds, more than 0 and at most 3600");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--ehlo", "two words"}),
            "--ehlo \"two words\": one ASCII word expected");
  EXPECT_EQ(error_of({"--to", "b@example.org", "--header", "Content-Type: text/html"}),
            "--header Content-Type: tern writes the MIME structure itself (use --data to send a "
            "message as is)");
}

TEST(SendOptionsTest, BadAddressesServersAndProxies) {
  EXPECT_EQ(error_of({"--to", "not an address"}).rfind("--to \"not an address\": bad address", 0),
            0u);
  EXPECT_EQ(error_of({"--to", "bob"}), "--to \"bob\": bad address: bad address syntax");
  EXPECT_EQ(error_of({"--to", "postmaster"}), "--to \"postmaster\": an address needs a domain");
  EXPECT_EQ(error_of({"--to", "Bob <bob@example.org"}).rfind("--to ", 0), 0u);
  EXPECT_EQ(error_of({"--from", "a@@b", "--to", "b@example.org"}).rfind("--from ", 0), 0u);
  EXPECT_EQ(error_of({"--to", "b@example.org", "--server", "host:99999"}).rfind("--server: ", 0),
            0u);
  EXPECT_EQ(error_of({"--to", "b@example.org", "--proxy", "https://p:1"}).rfind("--proxy: ", 0),
            0u);
}

TEST(SendOptionsTest, UnknownOptionIsAUsageError) {
  EXPECT_EQ(error_of({"--to", "b@example.org", "--bogus"}).rfind("CLI11: ", 0), 0u);
}

}  // namespace
}  // namespace tern::cli
