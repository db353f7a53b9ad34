// parse_path: local parts, domains, literals, routes, <>, postmaster, UTF-8, limits, nmap probes.
#include "smtp/address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tern::smtp {
namespace {

Mailbox parse_ok(std::string_view text, bool allow_null = false, bool allow_utf8 = false) {
  auto result = parse_path(text, allow_null, allow_utf8);
  EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error().detail);
  return result.ok() ? result.value() : Mailbox{};
}

// True when parse_path fails with exactly this kind of error.
bool fails_with(std::string_view text, AddressError kind, bool allow_null = false,
                bool allow_utf8 = false) {
  auto result = parse_path(text, allow_null, allow_utf8);
  return !result.ok() && result.error().kind == kind;
}

struct Valid {
  std::string_view text;
  std::string_view local;
  std::string_view domain;
};

TEST(AddressTest, DotAtomLocalParts) {
  const Valid cases[] = {
      {"<alice@example.org>", "alice", "example.org"},
      {"<Alice.Smith@Example.ORG>", "Alice.Smith", "Example.ORG"},
      {"<a.b.c@d>", "a.b.c", "d"},
      {"<user+tag@example.org>", "user+tag", "example.org"},
      {"<!#$%&'*+-/=?^_`{|}~@example.org>", "!#$%&'*+-/=?^_`{|}~", "example.org"},
      {"<0@1.2>", "0", "1.2"},
      {"bare@example.org", "bare", "example.org"},  // without angle brackets
      {"  <spaced@example.org>  ", "spaced", "example.org"},
  };
  for (const Valid& c : cases) {
    Mailbox box = parse_ok(c.text);
    EXPECT_EQ(box.local_part, c.local) << c.text;
    EXPECT_EQ(box.domain, c.domain) << c.text;
    EXPECT_FALSE(box.is_null);
    EXPECT_EQ(box.address(), std::string(c.local) + "@" + std::string(c.domain));
  }
}

TEST(AddressTest, BadDotAtoms) {
  for (std::string_view text :
       {"<.a@example.org>", "<a.@example.org>", "<a..b@example.org>", "<a b@example.org>",
        "<a(b)@example.org>", "<a,b@example.org>", "<a;b@example.org>", "<a:b@example.org>",
        "<a\\b@example.org>", "<a[b@example.org>", "<a\"b@example.org>", "<@example.org>",
        "<a\x01@example.org>", "<a\x7f@example.org>"}) {
    EXPECT_TRUE(fails_with(text, AddressError::Syntax)) << text;
  }
}

TEST(AddressTest, QuotedLocalParts) {
  const Valid cases[] = {
      {R"(<"john doe"@example.org>)", R"("john doe")", "example.org"},
      {R"(<"a\"b"@example.org>)", R"("a\"b")", "example.org"},
      {R"(<"a\\b"@example.org>)", R"("a\\b")", "example.org"},
      {R"(<"a@b"@example.org>)", R"("a@b")", "example.org"},
      {R"(<"a>b"@example.org>)", R"("a>b")", "example.org"},
      {R"(<"..."@example.org>)", R"("...")", "example.org"},
      {R"(<"\a"@example.org>)", R"("\a")", "example.org"},
  };
  for (const Valid& c : cases) {
    Mailbox box = parse_ok(c.text);
    EXPECT_EQ(box.local_part, c.local) << c.text;
    EXPECT_EQ(box.domain, c.domain) << c.text;
  }
}

TEST(AddressTest, BadQuotedLocalParts) {
  for (std::string_view text : {
           R"(<"unterminated@example.org>)",
           R"(<"a"b@example.org>)",      // text after the closing quote
           R"(<"a".b@example.org>)",     // quoted string is the whole local part
           R"(<x"a"@example.org>)",      // quote in a dot-atom
           R"(<"a\"@example.org>)",      // escaped closing quote leaves it unterminated
           "<\"a\tb\"@example.org>",     // tab is not qtextSMTP
           "<\"a\x01\"@example.org>",    // control character
           "<\"a\\\x01\"@example.org>",  // quoted-pair of a control character
       }) {
    EXPECT_TRUE(fails_with(text, AddressError::Syntax)) << text;
  }
}

TEST(AddressTest, DomainValidity) {
  for (std::string_view text :
       {"<a@example>", "<a@mx-1.example.org>", "<a@x1.example>", "<a@123.example>", "<a@a-b-c.d-e>",
        "<a@EXAMPLE.ORG>", "<a@xn--bcher-kva.example>"}) {
    parse_ok(text);
  }
  const std::string label63(63, 'l');
  parse_ok("<a@" + label63 + ".example>");
  for (std::string_view text :
       {"<a@>", "<a@.example.org>", "<a@example.org.>", "<a@example..org>", "<a@-example.org>",
        "<a@example-.org>", "<a@ex_ample.org>", "<a@exa mple.org>", "<a@example.org:25>",
        "<a@example.org/x>", "<a@b@example.org>", "<a>"}) {
    EXPECT_TRUE(fails_with(text, AddressError::Syntax)) << text;
  }
  const std::string label64(64, 'l');
  EXPECT_TRUE(fails_with("<a@" + label64 + ".example>", AddressError::Syntax));
}

TEST(AddressTest, AddressLiterals) {
  const Valid cases[] = {
      {"<a@[1.2.3.4]>", "a", "[1.2.3.4]"},
      {"<a@[127.0.0.1]>", "a", "[127.0.0.1]"},
      {"<a@[IPv6:::1]>", "a", "[IPv6:::1]"},
      {"<a@[IPv6:2001:db8::1]>", "a", "[IPv6:2001:db8::1]"},
      {"<a@[ipv6:::ffff:1.2.3.4]>", "a", "[ipv6:::ffff:1.2.3.4]"},
      {"<a@[x-tag:content]>", "a", "[x-tag:content]"},  // General-address-literal
  };
  for (const Valid& c : cases) {
    Mailbox box = parse_ok(c.text);
    EXPECT_EQ(box.local_part, c.local) << c.text;
    EXPECT_EQ(box.domain, c.domain) << c.text;
  }
}

TEST(AddressTest, BadAddressLiterals) {
  for (std::string_view text :
       {"<a@[]>", "<a@[1.2.3]>", "<a@[1.2.3.256]>", "<a@[1.2.3.4.5]>", "<a@[::1]>",
        "<a@[IPv6:1.2.3.4]>", "<a@[IPv6:]>", "<a@[IPv6:::1::2]>", "<a@[1.2.3.4>", "<a@1.2.3.4]>",
        "<a@[[1.2.3.4]]>", "<a@[IPv6:[::1]]>", "<a@[:x]>", "<a@[tag:]>", "<a@[tag:a b]>",
        "<a@[tag:a\\b]>", "<a@[ta_g:x]>", "<a@[hostname]>", "<a@x[1.2.3.4]>"}) {
    EXPECT_TRUE(fails_with(text, AddressError::Syntax)) << text;
  }
}

TEST(AddressTest, SourceRoutesAreAcceptedAndIgnored) {
  const Valid cases[] = {
      {"<@relay.example:user@example.org>", "user", "example.org"},
      {"<@a.example,@b.example:user@example.org>", "user", "example.org"},
      {"<@[10.1.1.1]:user@example.org>", "user", "example.org"},
      {"<@a.example,@[IPv6:::1]:\"q u\"@example.org>", "\"q u\"", "example.org"},
  };
  for (const Valid& c : cases) {
    Mailbox box = parse_ok(c.text);
    EXPECT_EQ(box.local_part, c.local) << c.text;
    EXPECT_EQ(box.domain, c.domain) << c.text;
    EXPECT_EQ(box.address(), std::string(c.local) + "@" + std::string(c.domain));
  }
  for (std::string_view text :
       {"<@:user@example.org>", "<@relay.example user@example.org>", "<@relay.example>",
        "<@-bad.example:user@example.org>", "<@a.example,b.example:user@example.org>",
        "<@a.example,:user@example.org>", "<@a.example:>", "<@a.example:@b.example:u@c.example>"}) {
    EXPECT_TRUE(fails_with(text, AddressError::Syntax)) << text;
  }
}

// Found by fuzz/address: once the route is gone, "@domain" is left with no local part at all (it
// was read with front() of an empty view).
TEST(AddressTest, RouteFollowedByAnEmptyLocalPartIsRefused) {
  for (std::string_view text : {"<@a.example:@b.example>", "<@2:@2A2>", "@a.example:@b.example"}) {
    EXPECT_TRUE(fails_with(text, AddressError::Syntax, true, true)) << text;
  }
}

// Found by fuzz/address: an address literal read as a C string stopped at a NUL, so
// "[1.2.3.4<NUL>junk]" passed for [1.2.3.4] and control characters reached the envelope.
TEST(AddressTest, AddressLiteralWithANulIsRefused) {
  using namespace std::string_view_literals;
  EXPECT_TRUE(fails_with("<a@[17.0.0.1\0\0`0\x01'F\x02]>"sv, AddressError::Syntax));
  EXPECT_TRUE(fails_with("<a@[IPv6:::1\0x]>"sv, AddressError::Syntax));
}

TEST(AddressTest, NullPathOnlyWhenAllowed) {
  Mailbox null = parse_ok("<>", /*allow_null=*/true);
  EXPECT_TRUE(null.is_null);
  EXPECT_EQ(null.address(), "");
  EXPECT_TRUE(null.local_part.empty());
  EXPECT_TRUE(null.domain.empty());
  EXPECT_FALSE(null.is_postmaster());
  EXPECT_TRUE(parse_ok(" <> ", true).is_null);
  EXPECT_TRUE(fails_with("<>", AddressError::Syntax, /*allow_null=*/false));
  EXPECT_TRUE(fails_with("", AddressError::Syntax, false));
  EXPECT_TRUE(fails_with("<", AddressError::Syntax, true));
  EXPECT_TRUE(fails_with("< >", AddressError::Syntax, true));
  EXPECT_TRUE(fails_with("<<>>", AddressError::Syntax, true));
}

TEST(AddressTest, PostmasterWithoutDomain) {
  for (std::string_view text : {"<postmaster>", "<Postmaster>", "<POSTMASTER>", "postmaster"}) {
    Mailbox box = parse_ok(text);
    EXPECT_TRUE(box.is_postmaster()) << text;
    EXPECT_TRUE(box.domain.empty());
    EXPECT_EQ(box.address(), box.local_part);
  }
  EXPECT_FALSE(parse_ok("<postmaster@example.org>").is_postmaster());
  EXPECT_EQ(parse_ok("<postmaster@example.org>").address(), "postmaster@example.org");
  // Any other bare local part needs a domain.
  for (std::string_view text :
       {"<root>", "<postmaste>", "<postmasters>", "<postmaster@>", "<\"postmaster\">"}) {
    EXPECT_TRUE(fails_with(text, AddressError::Syntax)) << text;
  }
}

TEST(AddressTest, Utf8OnlyWithSmtputf8) {
  const std::string_view local_utf8 = "<j\xc3\xb8rn@example.org>";
  const std::string_view domain_utf8 = "<a@b\xc3\xbc\x63her.example>";
  const std::string_view quoted_utf8 = "<\"j\xc3\xb8 rn\"@example.org>";
  for (std::string_view text : {local_utf8, domain_utf8, quoted_utf8}) {
    EXPECT_TRUE(fails_with(text, AddressError::Utf8Needs8, false, /*allow_utf8=*/false)) << text;
    Mailbox box = parse_ok(text, false, /*allow_utf8=*/true);
    EXPECT_TRUE(box.has_utf8()) << text;
  }
  EXPECT_EQ(parse_ok(local_utf8, false, true).local_part, "j\xc3\xb8rn");
  EXPECT_EQ(parse_ok(domain_utf8, false, true).domain, "b\xc3\xbc\x63her.example");
  EXPECT_FALSE(parse_ok("<plain@example.org>", false, true).has_utf8());
  // 4-byte sequences are fine.
  parse_ok("<\xf0\x9f\x98\x80@example.org>", false, true);
}

TEST(AddressTest, MalformedUtf8IsRefusedEvenWithSmtputf8) {
  for (std::string_view text : {
           "<\xc3@example.org>",              // truncated 2-byte sequence
           "<\xc3\x28@example.org>",          // bad continuation
           "<\x80@example.org>",              // lone continuation byte
           "<\xc0\xaf@example.org>",          // overlong '/'
           "<\xe0\x80\xaf@example.org>",      // overlong 3-byte
           "<\xed\xa0\x80@example.org>",      // UTF-16 surrogate
           "<\xf4\x90\x80\x80@example.org>",  // above U+10FFFF
           "<\xff@example.org>",              // never valid
           "<a@\xe2\x82.example>",            // truncated inside the domain
       }) {
    EXPECT_TRUE(fails_with(text, AddressError::Syntax, false, true)) << text;
  }
}

TEST(AddressTest, LengthLimits) {
  const std::string local64(64, 'a');
  const std::string local65(65, 'a');
  EXPECT_EQ(parse_ok("<" + local64 + "@example.org>").local_part, local64);
  EXPECT_TRUE(fails_with("<" + local65 + "@example.org>", AddressError::TooLong));
  // Quoted: the quotes count as part of the 64 octets.
  EXPECT_EQ(parse_ok("<\"" + std::string(62, 'q') + "\"@example.org>").local_part.size(), 64u);
  EXPECT_TRUE(fails_with("<\"" + std::string(63, 'q') + "\"@example.org>", AddressError::TooLong));

  // A path of exactly 256 octets including "<" and ">", then one more.
  auto path_of = [](std::size_t total) {
    std::string domain;
    std::size_t domain_length = total - 2 - 2;  // "<", "a@", ">"
    while (domain.size() < domain_length) {
      if (!domain.empty()) domain += '.';
      domain += std::string(std::min<std::size_t>(60, domain_length - domain.size()), 'd');
    }
    if (domain.back() == '.') domain.back() = 'd';
    return "<a@" + domain + ">";
  };
  std::string path256 = path_of(256);
  ASSERT_EQ(path256.size(), 256u);
  parse_ok(path256);
  std::string path257 = path_of(257);
  ASSERT_EQ(path257.size(), 257u);
  EXPECT_TRUE(fails_with(path257, AddressError::TooLong));
  EXPECT_TRUE(fails_with("<" + std::string(300, 'a') + "@example.org>", AddressError::TooLong));
}

TEST(AddressTest, NmapOpenRelayProbes) {
  // Every RCPT form nmap's smtp-open-relay script tries.
  const Valid valid[] = {
      {"<relaytest@nmap.scanme.org>", "relaytest", "nmap.scanme.org"},
      {"<relaytest%nmap.scanme.org@[10.1.1.1]>", "relaytest%nmap.scanme.org", "[10.1.1.1]"},
      {"<\"relaytest@nmap.scanme.org\"@[10.1.1.1]>", "\"relaytest@nmap.scanme.org\"", "[10.1.1.1]"},
      {"<@[10.1.1.1]:relaytest@nmap.scanme.org>", "relaytest", "nmap.scanme.org"},
      {"<nmap.scanme.org!relaytest@[10.1.1.1]>", "nmap.scanme.org!relaytest", "[10.1.1.1]"},
  };
  for (const Valid& c : valid) {
    Mailbox box = parse_ok(c.text);
    EXPECT_EQ(box.local_part, c.local) << c.text;
    EXPECT_EQ(box.domain, c.domain) << c.text;
  }
  for (std::string_view text :
       {"<\"relaytest@nmap.scanme.org\">", "<\"relaytest%nmap.scanme.org\">",
        "<relaytest@nmap.scanme.org@[10.1.1.1]>", "<nmap.scanme.org!relaytest>"}) {
    EXPECT_TRUE(fails_with(text, AddressError::Syntax)) << text;
  }
}

TEST(AddressTest, FailureDetailIsFilled) {
  auto result = parse_path("<a b@c>", false, false);
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(result.error().detail.empty());
}

TEST(AddressTest, UnquotedLocalPart) {
  struct Case {
    std::string_view in, out;
  };
  const Case cases[] = {
      {"alice", "alice"},
      {"Alice.Smith", "Alice.Smith"},
      {R"("john doe")", "john doe"},
      {R"("a\"b")", R"(a"b)"},
      {R"("a\\b")", R"(a\b)"},
      {R"("\a\b")", "ab"},
      {R"("relaytest@nmap.scanme.org")", "relaytest@nmap.scanme.org"},
      {R"("")", ""},
      {R"(")", R"(")"},  // a lone quote is not a quoted string
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(unquoted_local_part(c.in), c.out) << c.in;
  // Round trip from the parser.
  EXPECT_EQ(unquoted_local_part(parse_ok(R"(<"x\"y z"@example.org>)").local_part), "x\"y z");
}

}  // namespace
}  // namespace tern::smtp
