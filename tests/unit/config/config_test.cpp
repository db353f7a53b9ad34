// load_config: the seed Postfix main.cf, defaults, typed values, diagnostics and "file:LINE:"
// errors.
#include "config/config.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace tern::config {
namespace {

// The seed's /etc/postfix/main.cf, verbatim (trailing blanks included).
constexpr std::string_view kSeedMainCf = R"(smtpd_banner = ESMTP Server 
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 2
smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache
myhostname = mail1.inlanefreight.htb
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
smtp_generic_maps = hash:/etc/postfix/generic
mydestination = $myhostname, localhost 
masquerade_domains = $myhostname
mynetworks = 127.0.0.0/8 10.129.0.0/16
mailbox_size_limit = 0
recipient_delimiter = +
smtp_bind_address = 0.0.0.0
inet_protocols = ipv4
smtpd_helo_restrictions = reject_invalid_hostname
home_mailbox = /home/postfix
)";

LoadedConfig load_ok(std::string_view text) {
  auto loaded = load_config(text, "main.cf");
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
  return loaded.ok() ? std::move(loaded).value() : LoadedConfig{};
}

bool has_diagnostic(const LoadedConfig& loaded, Diagnostic::Level level, int line,
                    std::string_view text) {
  return std::any_of(loaded.diagnostics.begin(), loaded.diagnostics.end(), [&](const auto& d) {
    return d.level == level && d.line == line && d.file == "main.cf" &&
           d.text.find(text) != std::string::npos;
  });
}

TEST(ConfigTest, SeedMainCfLoads) {
  LoadedConfig loaded = load_ok(kSeedMainCf);
  const Config& config = loaded.config;
  EXPECT_EQ(config.smtpd_banner, "ESMTP Server");
  EXPECT_EQ(config.myhostname, "mail1.inlanefreight.htb");
  EXPECT_EQ(config.mydestination,
            (std::vector<std::string>{"mail1.inlanefreight.htb", "localhost"}));
  ASSERT_EQ(config.mynetworks.size(), 2u);
  EXPECT_EQ(config.mynetworks[0].to_string(), "127.0.0.0/8");
  EXPECT_EQ(config.mynetworks[1].to_string(), "10.129.0.0/16");
  EXPECT_TRUE(config.mynetworks[1].contains(*IpAddress::parse("10.129.14.128")));
  EXPECT_FALSE(config.mynetworks[1].contains(*IpAddress::parse("10.130.0.1")));
  EXPECT_EQ(config.recipient_delimiter, "+");
  EXPECT_TRUE(config.inet_ipv4);
  EXPECT_FALSE(config.inet_ipv6);
  EXPECT_EQ(config.smtpd_helo_restrictions, std::vector<std::string>{"reject_invalid_hostname"});
  EXPECT_FALSE(config.append_dot_mydomain);
  EXPECT_EQ(config.mailbox_size_limit, 0u);
  EXPECT_EQ(config.home_mailbox, "/home/postfix");
  ASSERT_EQ(config.alias_maps.size(), 1u);
  EXPECT_EQ(config.alias_maps[0].type, "hash");
  EXPECT_EQ(config.alias_maps[0].path, "/etc/aliases");
  EXPECT_EQ(config.myorigin, "mail1.inlanefreight.htb");  // default $myhostname
}

TEST(ConfigTest, SeedPostfixOnlyParametersGetNoticesAndAreListed) {
  LoadedConfig loaded = load_ok(kSeedMainCf);
  struct Row {
    std::string_view name;
    int line;
  };
  const Row rows[] = {
      {"biff", 2},
      {"readme_directory", 4},
      {"compatibility_level", 5},
      {"smtp_tls_session_cache_database", 6},
      {"alias_database", 9},
      {"smtp_bind_address", 16},
  };
  std::vector<std::string> expected;
  for (const Row& row : rows) {
    EXPECT_TRUE(has_diagnostic(loaded, Diagnostic::Level::Notice, row.line, row.name)) << row.name;
    expected.emplace_back(row.name);
  }
  EXPECT_EQ(loaded.ignored_postfix_parameters, expected);
  // Nothing in the seed is unknown or wrong: notices only.
  for (const Diagnostic& diagnostic : loaded.diagnostics) {
    EXPECT_EQ(diagnostic.level, Diagnostic::Level::Notice) << diagnostic.to_string();
  }
}

TEST(ConfigTest, SeedExplicitValuesInFileOrderExpanded) {
  LoadedConfig loaded = load_ok(kSeedMainCf);
  ASSERT_EQ(loaded.explicit_values.size(), 19u);
  EXPECT_EQ(loaded.explicit_values[0],
            (std::pair<std::string, std::string>{"smtpd_banner", "ESMTP Server"}));
  EXPECT_EQ(loaded.explicit_values[1].first, "biff");
  EXPECT_EQ(loaded.explicit_values[6],
            (std::pair<std::string, std::string>{"myhostname", "mail1.inlanefreight.htb"}));
  EXPECT_EQ(
      loaded.explicit_values[10],
      (std::pair<std::string, std::string>{"mydestination", "mail1.inlanefreight.htb, localhost"}));
  EXPECT_EQ(loaded.explicit_values[11],
            (std::pair<std::string, std::string>{"masquerade_domains", "mail1.inlanefreight.htb"}));
  EXPECT_EQ(loaded.explicit_values[18].first, "home_mailbox");
}

TEST(ConfigTest, DiagnosticToString) {
  EXPECT_EQ(
      (Diagnostic{Diagnostic::Level::Warning, "main.cf", 12, "unknown parameter foo"}).to_string(),
      "main.cf:12: warning: unknown parameter foo");
  EXPECT_EQ((Diagnostic{Diagnostic::Level::Notice, "main.cf", 0, "x"}).to_string(),
            "main.cf: notice: x");
  EXPECT_EQ((Diagnostic{Diagnostic::Level::Error, "", 0, "x"}).to_string(), "error: x");
}

TEST(ConfigTest, UnknownParameterIsAWarningWithFileAndLine) {
  LoadedConfig loaded = load_ok("myhostname = a.example\n\nno_such_thing = 1\n");
  EXPECT_TRUE(
      has_diagnostic(loaded, Diagnostic::Level::Warning, 3, "unknown parameter no_such_thing"));
  // Unknown parameters are not "effective values".
  for (const auto& [name, value] : loaded.explicit_values) EXPECT_NE(name, "no_such_thing");
}

TEST(ConfigTest, LaterValueWinsWithAWarning) {
  LoadedConfig loaded = load_ok("message_size_limit = 100\nmessage_size_limit = 200\n");
  EXPECT_EQ(loaded.config.message_size_limit, 200u);
  EXPECT_TRUE(has_diagnostic(loaded, Diagnostic::Level::Warning, 2, "message_size_limit"));
  ASSERT_EQ(loaded.explicit_values.size(), 1u);
  EXPECT_EQ(loaded.explicit_values[0].second, "200");
}

TEST(ConfigTest, BadValuesAreErrorsAtTheirLine) {
  struct Row {
    std::string_view text;  // the bad line is always line 3
    std::string_view detail;
  };
  const Row rows[] = {
      {"message_size_limit = abc", "message_size_limit"},
      {"message_size_limit = -1", "message_size_limit"},
      {"smtpd_helo_required = maybe", "smtpd_helo_required"},
      {"append_dot_mydomain = 2", "append_dot_mydomain"},
      {"mynetworks = 10.0.0.0/33", ""},
      {"mynetworks = 127.0.0.0/8 not-a-network", ""},
      {"smtpd_timeout = 5x", "smtpd_timeout"},
      {"smtpd_timeout = 0", "smtpd_timeout"},
      {"smtpd_timeout = s", "smtpd_timeout"},
      // Caught by fuzz/main_cf's positive-timeout property: seconds that do not fit an int wrapped
      // to negative values.
      {"smtpd_timeout = 100000000w", "smtpd_timeout"},
      {"maximal_queue_lifetime = 30000", "maximal_queue_lifetime"},
      {"smtpd_listen = nonsense", "nonsense"},
      {"smtpd_listen = 127.0.0.1:99999", "127.0.0.1:99999"},
      {"smtpd_listen = mail.example.org:25", "mail.example.org:25"},
      {"smtpd_helo_restrictions = reject_everyone", "reject_everyone"},
      {"smtpd_relay_restrictions = permit_all", "permit_all"},
      {"smtpd_recipient_restrictions = check_policy_service", "check_policy_service"},
      {"disable_vrfy_command = perhaps", "disable_vrfy_command"},
      {"smtpd_forbid_bare_newline = sometimes", "smtpd_forbid_bare_newline"},
      {"alias_maps = unix:passwd.byname", "unix"},
      {"alias_maps = proxy:unix:passwd.byname", "proxy"},
      {"alias_maps = ldap:/etc/ldap.cf", "ldap"},
      {"local_recipient_maps = /etc/users", "/etc/users"},
      {"inet_protocols = ipv5", "ipv5"},
      {"inet_interfaces = eth0", "eth0"},
      {"line_length_limit = 100", "line_length_limit"},
      {"smtpd_hard_error_limit = 99999999999", "smtpd_hard_error_limit"},
      {"myhostname = $myhostname", "myhostname"},
  };
  for (const Row& row : rows) {
    std::string text = "# test\nmyorigin = example.org\n" + std::string(row.text) + "\n";
    auto loaded = load_config(text, "main.cf");
    ASSERT_FALSE(loaded.ok()) << row.text;
    const std::string& message = loaded.error().message;
    EXPECT_EQ(message.rfind("main.cf:3: ", 0), 0u) << row.text << " -> " << message;
    EXPECT_NE(message.find(row.detail), std::string::npos) << row.text << " -> " << message;
  }
}

TEST(ConfigTest, SyntaxErrorsComeFromTheParser) {
  auto loaded = load_config("a = b\nbroken line\n", "main.cf");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message.rfind("main.cf:2: ", 0), 0u) << loaded.error().message;
}

TEST(ConfigTest, LoopInAParameterWithoutEffectIsStillAnError) {
  auto loaded =
      load_config("myorigin = example.org\nmasquerade_domains = $masquerade_domains\n", "main.cf");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message.rfind("main.cf:2: ", 0), 0u) << loaded.error().message;
}

TEST(ConfigTest, Defaults) {
  LoadedConfig loaded = load_ok("myhostname = mx.example.org\n");
  const Config& config = loaded.config;
  EXPECT_EQ(config.mydomain, "example.org");
  EXPECT_EQ(config.myorigin, "mx.example.org");
  EXPECT_EQ(config.smtpd_banner, "mx.example.org ESMTP tern");
  EXPECT_EQ(config.mydestination,
            (std::vector<std::string>{"mx.example.org", "localhost.example.org", "localhost"}));
  ASSERT_EQ(config.mynetworks.size(), 2u);
  EXPECT_TRUE(config.mynetworks[0].contains(*IpAddress::parse("127.0.0.1")));
  EXPECT_TRUE(config.mynetworks[1].contains(*IpAddress::parse("::1")));
  EXPECT_EQ(config.vrfy_mode, VrfyMode::Ambiguous);
  EXPECT_EQ(config.smtpd_forbid_bare_newline, BareNewline::Normalize);
  EXPECT_EQ(config.smtpd_relay_restrictions,
            (std::vector<std::string>{"permit_mynetworks", "reject_unauth_destination"}));
  EXPECT_TRUE(config.smtpd_recipient_restrictions.empty());
  EXPECT_TRUE(config.smtpd_helo_restrictions.empty());
  EXPECT_FALSE(config.smtpd_helo_required);
  EXPECT_EQ(config.message_size_limit, 10240000u);
  EXPECT_EQ(config.line_length_limit, 2048u);
  EXPECT_EQ(config.smtpd_recipient_limit, 1000u);
  EXPECT_EQ(config.smtpd_timeout_seconds, 300);
  EXPECT_EQ(config.smtpd_hard_error_limit, 20);
  EXPECT_EQ(config.smtpd_client_connection_count_limit, 50);
  EXPECT_EQ(config.smtpd_connection_limit, 5000);
  EXPECT_EQ(config.mailbox_size_limit, 0u);
  EXPECT_EQ(config.recipient_delimiter, "");
  EXPECT_EQ(config.home_mailbox, "Maildir/");
  EXPECT_EQ(config.smtpd_forbidden_commands, (std::vector<std::string>{"CONNECT", "GET", "POST"}));
  EXPECT_TRUE(config.inet_ipv4);
  EXPECT_TRUE(config.inet_ipv6);
  ASSERT_EQ(config.listeners.size(), 1u);  // ":25" on every address (inet_interfaces = all)
  EXPECT_EQ(config.listeners[0].host, "");
  EXPECT_EQ(config.listeners[0].port, 25);
  ASSERT_EQ(config.alias_maps.size(), 1u);
  EXPECT_EQ(config.alias_maps[0].path, "/etc/aliases");
  // passwd-file:${config_directory}/users, $alias_maps
  ASSERT_EQ(config.local_recipient_maps.size(), 2u);
  EXPECT_EQ(config.local_recipient_maps[0].type, "passwd-file");
  EXPECT_EQ(config.local_recipient_maps[0].path, "/etc/tern/users");
  EXPECT_EQ(config.local_recipient_maps[1].type, "hash");
  EXPECT_TRUE(loaded.diagnostics.empty());
  EXPECT_TRUE(loaded.ignored_postfix_parameters.empty());
}

TEST(ConfigTest, EmptyFileLoadsWithTheMachineHostname) {
  LoadedConfig loaded = load_ok("");
  EXPECT_FALSE(loaded.config.myhostname.empty());
  EXPECT_TRUE(loaded.explicit_values.empty());
}

TEST(ConfigTest, DisableVrfyCommand) {
  struct Row {
    std::string_view value;
    VrfyMode mode;
  };
  const Row rows[] = {{"yes", VrfyMode::Disabled},
                      {"YES", VrfyMode::Disabled},
                      {"no", VrfyMode::Reveal},
                      {"ambiguous", VrfyMode::Ambiguous}};
  for (const Row& row : rows) {
    LoadedConfig loaded = load_ok("disable_vrfy_command = " + std::string(row.value) + "\n");
    EXPECT_EQ(loaded.config.vrfy_mode, row.mode) << row.value;
  }
}

TEST(ConfigTest, TypedValues) {
  LoadedConfig loaded = load_ok(
      "smtpd_helo_required = yes\n"
      "smtpd_forbid_bare_newline = reject\n"
      "smtpd_timeout = 5m\n"
      "message_size_limit = 1000\n"
      "smtpd_recipient_restrictions = permit_mynetworks,\n"
      "    reject_unauth_destination, permit\n"
      "mydestination = Example.ORG\n");
  const Config& config = loaded.config;
  EXPECT_TRUE(config.smtpd_helo_required);
  EXPECT_EQ(config.smtpd_forbid_bare_newline, BareNewline::Reject);
  EXPECT_EQ(config.smtpd_timeout_seconds, 300);
  EXPECT_EQ(config.message_size_limit, 1000u);
  EXPECT_EQ(config.smtpd_recipient_restrictions,
            (std::vector<std::string>{"permit_mynetworks", "reject_unauth_destination", "permit"}));
  EXPECT_EQ(config.mydestination, std::vector<std::string>{"example.org"});
}

TEST(ConfigTest, TimeUnits) {
  struct Row {
    std::string_view value;
    int seconds;
  };
  const Row rows[] = {{"45", 45},   {"45s", 45},   {"2m", 120},
                      {"1h", 3600}, {"1d", 86400}, {"1w", 604800}};
  for (const Row& row : rows) {
    LoadedConfig loaded = load_ok("smtpd_timeout = " + std::string(row.value) + "\n");
    EXPECT_EQ(loaded.config.smtpd_timeout_seconds, row.seconds) << row.value;
  }
}

TEST(ConfigTest, LoopbackOnlyResolvesListenersByProtocol) {
  LoadedConfig v4 =
      load_ok("inet_interfaces = loopback-only\ninet_protocols = ipv4\nsmtpd_listen = :2525\n");
  ASSERT_EQ(v4.config.listeners.size(), 1u);
  EXPECT_EQ(v4.config.listeners[0].host, "127.0.0.1");
  EXPECT_EQ(v4.config.listeners[0].port, 2525);

  LoadedConfig both =
      load_ok("inet_interfaces = loopback-only\ninet_protocols = all\nsmtpd_listen = :2525\n");
  ASSERT_EQ(both.config.listeners.size(), 2u);
  EXPECT_EQ(both.config.listeners[0].host, "127.0.0.1");
  EXPECT_EQ(both.config.listeners[1].host, "::1");
  EXPECT_EQ(both.config.listeners[1].port, 2525);
}

TEST(ConfigTest, ListenAddresses) {
  LoadedConfig loaded = load_ok(
      "inet_interfaces = 192.0.2.1\n"
      "smtpd_listen = 127.0.0.1:2525, [::1]:2526, :25\n");
  const auto& listen = loaded.config.listeners;
  ASSERT_EQ(listen.size(), 3u);
  EXPECT_EQ(listen[0].host, "127.0.0.1");
  EXPECT_EQ(listen[0].port, 2525);
  EXPECT_TRUE(IpAddress::parse(listen[1].host).has_value()) << listen[1].host;
  EXPECT_EQ(listen[1].port, 2526);
  EXPECT_EQ(listen[2].host, "192.0.2.1");  // ":25" binds to inet_interfaces
  EXPECT_EQ(listen[2].port, 25);
}

TEST(ConfigTest, EmbeddedDefaultLoadsAndListensOnLoopback) {
  auto loaded = load_config(embedded_default_config(), "(embedded default)");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Config& config = loaded->config;
  ASSERT_EQ(config.listeners.size(), 3u);
  EXPECT_EQ(config.listeners[0].host, "127.0.0.1");
  EXPECT_EQ(config.listeners[0].port, 2525);
  EXPECT_EQ(config.listeners[0].role, ListenerRole::Smtp);
  EXPECT_EQ(config.listeners[1].port, 2587);
  EXPECT_EQ(config.listeners[1].role, ListenerRole::Submission);
  EXPECT_EQ(config.listeners[2].port, 2465);
  EXPECT_EQ(config.listeners[2].role, ListenerRole::Smtps);
  EXPECT_EQ(config.data_directory, "run/data");
  EXPECT_EQ(config.recipient_delimiter, "+");
  EXPECT_EQ(config.mail_root, "run/mail");
  ASSERT_EQ(config.alias_maps.size(), 1u);
  EXPECT_EQ(config.alias_maps[0].path, "run/etc/aliases");
  for (const Diagnostic& diagnostic : loaded->diagnostics) {
    EXPECT_EQ(diagnostic.level, Diagnostic::Level::Notice) << diagnostic.to_string();
  }
}

TEST(ConfigTest, LoadConfigFileReportsAMissingFile) {
  auto loaded = load_config_file("/nonexistent/tern-test/main.cf");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("/nonexistent/tern-test/main.cf"), std::string::npos);
  EXPECT_NE(loaded.error().message.find("cannot open"), std::string::npos)
      << loaded.error().message;
}

TEST(ConfigTest, TlsAndAuthDefaults) {
  const Config config = load_ok("").config;
  EXPECT_EQ(config.smtpd_tls_security_level, TlsLevel::May);
  EXPECT_TRUE(config.smtpd_tls_auth_only);
  EXPECT_EQ(config.smtpd_tls_protocols.minimum, 0x0303);
  EXPECT_EQ(config.smtpd_tls_protocols.maximum, 0x0304);
  EXPECT_NE(config.smtpd_tls_cipherlist.find("ECDHE"), std::string::npos);
  EXPECT_TRUE(config.smtpd_tls_cert_file.empty());
  EXPECT_FALSE(config.smtpd_sasl_auth_enable);
  EXPECT_EQ(config.smtpd_auth_failure_limit, 5);
  EXPECT_EQ(config.mua_relay_restrictions,
            (std::vector<std::string>{"permit_sasl_authenticated", "reject"}));
  EXPECT_EQ(config.mua_sender_restrictions,
            (std::vector<std::string>{"reject_sender_login_mismatch"}));
}

TEST(ConfigTest, KeyFileDefaultsToTheCertificateFile) {
  const Config config = load_ok("smtpd_tls_cert_file = /etc/tern/mail.pem\n").config;
  EXPECT_EQ(config.smtpd_tls_key_file, "/etc/tern/mail.pem");
}

TEST(ConfigTest, TlsProtocolSyntaxes) {
  struct Row {
    const char* value;
    int minimum;
    int maximum;
  };
  for (const Row& row :
       {Row{">=TLSv1.2", 0x0303, 0x0304}, Row{">=TLSv1.3", 0x0304, 0x0304},
        Row{"!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", 0x0303, 0x0304}, Row{"TLSv1.2", 0x0303, 0x0303},
        Row{"!TLSv1.2", 0x0304, 0x0304}, Row{"<=TLSv1.2", 0x0303, 0x0303}}) {
    auto loaded = load_config(fmt::format("smtpd_tls_protocols = {}\n", row.value), "main.cf");
    ASSERT_TRUE(loaded.ok()) << row.value << ": " << loaded.error().message;
    EXPECT_EQ(loaded->config.smtpd_tls_protocols.minimum, row.minimum) << row.value;
    EXPECT_EQ(loaded->config.smtpd_tls_protocols.maximum, row.maximum) << row.value;
  }
}

TEST(ConfigTest, BadTlsAndAuthValuesAreErrorsAtTheirLine) {
  struct Row {
    const char* text;
    const char* detail;
  };
  for (const Row& row : {
           Row{"smtpd_tls_protocols = >=TLSv1", "TLS 1.2 and 1.3 only"},
           Row{"smtpd_tls_protocols = TLSv1.1 TLSv1.2", "TLS 1.2 and 1.3 only"},
           Row{"smtpd_tls_protocols = !TLSv1.2 !TLSv1.3", "no TLS version is left enabled"},
           Row{"smtpd_tls_protocols = TLSv9", "bad value for smtpd_tls_protocols"},
           Row{"smtpd_tls_security_level = dane", "none, may or encrypt"},
           Row{"smtpd_tls_mandatory_ciphers = export", "high or medium"},
           Row{"smtpd_auth_failure_limit = 0", "at least 1"},
           Row{"mua_sender_restrictions = reject_spammers", "unknown restriction"},
           Row{"submission_listen = 127.0.0.1:99999", "bad listen address"},
       }) {
    auto loaded =
        load_config(fmt::format("a = b\nmyhostname = x.example\n{}\n", row.text), "main.cf");
    ASSERT_FALSE(loaded.ok()) << row.text;
    EXPECT_EQ(loaded.error().message.rfind("main.cf:3: ", 0), 0u) << loaded.error().message;
    EXPECT_NE(loaded.error().message.find(row.detail), std::string::npos)
        << row.text << " -> " << loaded.error().message;
  }
}

TEST(ConfigTest, ListenerRoles) {
  const Config config = load_ok(
                            "smtpd_listen = 127.0.0.1:25\n"
                            "submission_listen = 127.0.0.1:587, [::1]:587\n"
                            "smtps_listen = 127.0.0.1:465\n")
                            .config;
  ASSERT_EQ(config.listeners.size(), 4u);
  EXPECT_EQ(config.listeners[0].role, ListenerRole::Smtp);
  EXPECT_EQ(config.listeners[1].role, ListenerRole::Submission);
  EXPECT_EQ(config.listeners[2].role, ListenerRole::Submission);
  EXPECT_EQ(config.listeners[2].host, "::1");
  EXPECT_EQ(config.listeners[3].role, ListenerRole::Smtps);
  EXPECT_EQ(role_name(ListenerRole::Submission), "submission");
}

TEST(ConfigTest, QueueTimesAndOutboundDefaults) {
  const Config config = load_ok("").config;
  EXPECT_EQ(config.minimal_backoff_seconds, 300);
  EXPECT_EQ(config.maximal_backoff_seconds, 4000);
  EXPECT_EQ(config.maximal_queue_lifetime_seconds, 5 * 86400);
  EXPECT_EQ(config.smtp_connect_timeout_seconds, 30);
  EXPECT_EQ(config.smtp_data_done_timeout_seconds, 600);
  EXPECT_EQ(config.smtp_tls_security_level, SmtpTlsLevel::May);
  EXPECT_EQ(config.smtp_helo_name, config.myhostname);
  EXPECT_TRUE(config.relayhost.empty());
  EXPECT_TRUE(config.resolver.empty());
}

TEST(ConfigTest, QueueLifetimesDefaultToDays) {
  const Config config = load_ok(
                            "maximal_queue_lifetime = 2\nbounce_queue_lifetime = 12h\n"
                            "resolver = 127.0.0.1@5353\nrelayhost = [smarthost.example]:587\n")
                            .config;
  EXPECT_EQ(config.maximal_queue_lifetime_seconds, 2 * 86400);
  EXPECT_EQ(config.bounce_queue_lifetime_seconds, 12 * 3600);
  EXPECT_EQ(config.resolver, (std::vector<std::string>{"127.0.0.1@5353"}));
  EXPECT_EQ(config.relayhost, "[smarthost.example]:587");
  auto bad = load_config("minimal_backoff_time = 1h\nmaximal_backoff_time = 10m\n", "main.cf");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("main.cf:2: ", 0), 0u) << bad.error().message;
}

TEST(ConfigTest, DelayWarningTimeIsHoursAndZeroTurnsItOff) {
  EXPECT_EQ(load_ok("").config.delay_warning_seconds, 0);
  EXPECT_EQ(load_ok("delay_warning_time = 4\n").config.delay_warning_seconds, 4 * 3600);
  EXPECT_EQ(load_ok("delay_warning_time = 30m\n").config.delay_warning_seconds, 30 * 60);
  EXPECT_EQ(load_ok("delay_warning_time = 0\n").config.delay_warning_seconds, 0);
  auto negative = load_config("delay_warning_time = -1h\n", "main.cf");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().message.rfind("main.cf:1: ", 0), 0u) << negative.error().message;
  EXPECT_FALSE(load_config("queue_run_delay = 0\n", "main.cf").ok());  // 0 is no delay to wait
}

TEST(ConfigTest, OutboundRewritingParameters) {
  const Config config = load_ok(
                            "smtp_generic_maps = hash:/etc/postfix/generic\n"
                            "masquerade_domains = !Sub.Example.com, $mydomain\n"
                            "mydomain = example.com\nmasquerade_exceptions = root, mailer-daemon\n")
                            .config;
  ASSERT_EQ(config.smtp_generic_maps.size(), 1u);
  EXPECT_EQ(config.smtp_generic_maps[0].type, "hash");
  EXPECT_EQ(config.smtp_generic_maps[0].path, "/etc/postfix/generic");
  EXPECT_EQ(config.masquerade_domains,
            (std::vector<std::string>{"!sub.example.com", "example.com"}));
  EXPECT_EQ(config.masquerade_exceptions, (std::vector<std::string>{"root", "mailer-daemon"}));
  EXPECT_FALSE(load_config("smtp_generic_maps = ldap:/etc/x\n", "main.cf").ok());
}

}  // namespace
}  // namespace tern::config
