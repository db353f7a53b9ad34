// smtp_generic_maps and masquerade_domains as Postfix's generic(5) and cleanup(8) describe them.
#include "delivery/address_rewriting.hpp"

#include <gtest/gtest.h>

namespace tern::delivery {
namespace {

OutboundRewriting masquerading(std::vector<std::string> domains) {
  OutboundRewriting rules;
  rules.masquerade_domains = std::move(domains);
  rules.masquerade_exceptions = {"root"};
  return rules;
}

TEST(AddressRewritingTest, MasqueradeHidesHostsBelowTheDomain) {
  OutboundRewriting rules = masquerading({"example.com"});
  EXPECT_EQ(masquerade_address("joe@host.example.com", rules), "joe@example.com");
  EXPECT_EQ(masquerade_address("joe@a.b.EXAMPLE.com", rules), "joe@example.com");
  EXPECT_EQ(masquerade_address("joe@example.com", rules), "joe@example.com");
  EXPECT_EQ(masquerade_address("joe@badexample.com", rules), "joe@badexample.com");
  EXPECT_EQ(masquerade_address("joe@other.org", rules), "joe@other.org");
  EXPECT_EQ(masquerade_address("root@host.example.com", rules), "root@host.example.com");
  EXPECT_EQ(masquerade_address("joe", rules), "joe");
}

TEST(AddressRewritingTest, MasqueradeExclusionsAndOrder) {
  // Postfix's own example: hosts below sub.example.com stay as they are... unless listed first.
  OutboundRewriting rules = masquerading({"!sub.example.com", "example.com"});
  EXPECT_EQ(masquerade_address("joe@host.sub.example.com", rules), "joe@host.sub.example.com");
  EXPECT_EQ(masquerade_address("joe@sub.example.com", rules), "joe@sub.example.com");
  EXPECT_EQ(masquerade_address("joe@other.example.com", rules), "joe@example.com");
  OutboundRewriting nested = masquerading({"sub.example.com", "example.com"});
  EXPECT_EQ(masquerade_address("joe@host.sub.example.com", nested), "joe@sub.example.com");
}

OutboundRewriting generic(std::map<std::string, std::string, std::less<>> entries) {
  OutboundRewriting rules;
  rules.generic.emplace();
  rules.generic->entries = std::move(entries);
  rules.local_domains = {"localdomain.local", "mail.localdomain.local"};
  rules.recipient_delimiter = "+";
  return rules;
}

TEST(AddressRewritingTest, GenericLooksUpAddressThenUserThenDomain) {
  OutboundRewriting rules = generic({{"his@localdomain.local", "hisaccount@hisisp.example"},
                                     {"her", "heraccount@herisp.example"},
                                     {"@localdomain.local", "@isp.example"},
                                     {"@other.local", "catchall@isp.example"}});
  EXPECT_EQ(generic_address("his@localdomain.local", rules), "hisaccount@hisisp.example");
  EXPECT_EQ(generic_address("His@LocalDomain.local", rules), "hisaccount@hisisp.example");
  EXPECT_EQ(generic_address("his+list@localdomain.local", rules), "hisaccount@hisisp.example");
  EXPECT_EQ(generic_address("her@mail.localdomain.local", rules), "heraccount@herisp.example");
  EXPECT_EQ(generic_address("her", rules), "heraccount@herisp.example");
  // "user" keys only apply to local domains.
  EXPECT_EQ(generic_address("her@elsewhere.example", rules), std::nullopt);
  // "@domain" results keep the local part.
  EXPECT_EQ(generic_address("joe@localdomain.local", rules), "joe@isp.example");
  EXPECT_EQ(generic_address("joe@other.local", rules), "catchall@isp.example");
  EXPECT_EQ(generic_address("joe@unrelated.example", rules), std::nullopt);
  EXPECT_EQ(generic_address("", rules), std::nullopt);
  EXPECT_EQ(generic_address("his@localdomain.local", OutboundRewriting{}), std::nullopt);
}

TEST(AddressRewritingTest, OutboundRolesAsPostfixDefaultClasses) {
  OutboundRewriting rules = generic({{"joe@example.com", "joseph@public.example"}});
  rules.masquerade_domains = {"example.com"};
  // Sender and header addresses: masqueraded, then mapped.
  EXPECT_EQ(rewrite_outbound("joe@host.example.com", AddressRole::Sender, rules),
            "joseph@public.example");
  EXPECT_EQ(rewrite_outbound("joe@host.example.com", AddressRole::HeaderAddress, rules),
            "joseph@public.example");
  // Envelope recipients: mapped only (masquerade_classes leaves them alone).
  EXPECT_EQ(rewrite_outbound("joe@host.example.com", AddressRole::EnvelopeRecipient, rules),
            "joe@host.example.com");
  EXPECT_EQ(rewrite_outbound("joe@example.com", AddressRole::EnvelopeRecipient, rules),
            "joseph@public.example");
  EXPECT_EQ(rewrite_outbound("", AddressRole::Sender, rules), "");  // the null sender stays <>
  EXPECT_TRUE(OutboundRewriting{}.empty());
  EXPECT_FALSE(rules.empty());
}

}  // namespace
}  // namespace tern::delivery
