// Address fields rewritten in place: only addr-specs change; names, comments, quoting and folding
// stay byte for byte; other fields are not touched.
#include "mime/address_fields.hpp"

#include <gtest/gtest.h>

namespace tern::mime {
namespace {

std::string upper_domain(std::string_view address) {
  std::string out(address);
  for (std::size_t i = out.rfind('@'); i < out.size(); ++i) {
    if (out[i] >= 'a' && out[i] <= 'z') out[i] = static_cast<char>(out[i] - 'a' + 'A');
  }
  return out;
}

TEST(AddressFieldsTest, KnowsTheAddressFields) {
  for (const char* name : {"From", "sender", "Reply-To", "TO", "Cc", "Bcc", "Resent-From",
                           "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Bcc"}) {
    EXPECT_TRUE(is_address_field(name)) << name;
  }
  for (const char* name : {"Subject", "Message-ID", "Received", "Return-Path", "X-From"}) {
    EXPECT_FALSE(is_address_field(name)) << name;
  }
}

TEST(AddressFieldsTest, RewritesBareAndAngleAddressesKeepingEverythingElse) {
  std::string header =
      "From: \"Joe @ Home\" <joe@host.example>\r\n"
      "To: ann@a.example, (comment bob@not.an.address) Bob <bob@b.example>,\r\n"
      "\tcarol@c.example (Carol)\r\n"
      "Subject: mail for joe@host.example\r\n"
      "Message-ID: <id@host.example>\r\n"
      "Cc: undisclosed-recipients:;\r\n"
      "Reply-To: team: x@t.example, y@t.example;\r\n"
      "\r\n";
  std::string expected =
      "From: \"Joe @ Home\" <joe@HOST.EXAMPLE>\r\n"
      "To: ann@A.EXAMPLE, (comment bob@not.an.address) Bob <bob@B.EXAMPLE>,\r\n"
      "\tcarol@C.EXAMPLE (Carol)\r\n"
      "Subject: mail for joe@host.example\r\n"
      "Message-ID: <id@host.example>\r\n"
      "Cc: undisclosed-recipients:;\r\n"
      "Reply-To: team: x@T.EXAMPLE, y@T.EXAMPLE;\r\n"
      "\r\n";
  EXPECT_EQ(rewrite_address_fields(header, upper_domain), expected);
}

TEST(AddressFieldsTest, LeavesRoutesQuotedLocalPartsAndBrokenFieldsAlone) {
  std::string header =
      "To: <@relay.example:joe@host.example>, \"odd user\"@host.example\n"
      "From: <unterminated@host.example\n"
      "Sender: nobody\n";
  EXPECT_EQ(rewrite_address_fields(header, upper_domain), header);
}

TEST(AddressFieldsTest, UnchangedWhenTheRewriteIsTheIdentity) {
  std::string header = "From: Joe <joe@host.example>\r\nTo: a@b.example\r\n\r\n";
  EXPECT_EQ(rewrite_address_fields(header, [](std::string_view a) { return std::string(a); }),
            header);
  EXPECT_EQ(rewrite_address_fields("", upper_domain), "");
}

}  // namespace
}  // namespace tern::mime
