// Command-line mailboxes into header fields: the address split from its display name, and the
// name written as an atom phrase, a quoted-string or encoded-words as its characters need.
#include "mime/mailbox_field.hpp"

#include <gtest/gtest.h>

namespace tern::mime {
namespace {

TEST(MailboxFieldTest, ParsesTheCommonForms) {
  auto bare = parse_mailbox_argument("alice@example.org");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->address, "alice@example.org");
  EXPECT_EQ(bare->display_name, "");
  auto angle = parse_mailbox_argument(" <alice@example.org> ");
  ASSERT_TRUE(angle);
  EXPECT_EQ(angle->address, "alice@example.org");
  auto named = parse_mailbox_argument("Alice Liddell <alice@example.org>");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->display_name, "Alice Liddell");
  auto quoted = parse_mailbox_argument("\"Doe, \\\"JD\\\" John\" <jd@example.org>");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->display_name, "Doe, \"JD\" John");
  EXPECT_EQ(quoted->address, "jd@example.org");
}

TEST(MailboxFieldTest, RejectsBrokenForms) {
  EXPECT_FALSE(parse_mailbox_argument("Alice <alice@example.org"));
  EXPECT_FALSE(parse_mailbox_argument("alice@example.org>"));
  EXPECT_FALSE(parse_mailbox_argument("Alice <>"));
  EXPECT_FALSE(parse_mailbox_argument("   "));
}

TEST(MailboxFieldTest, FormatsNamesAsTheirCharactersNeed) {
  EXPECT_EQ(format_mailbox({"", "a@example.org"}, false), "a@example.org");
  EXPECT_EQ(format_mailbox({"Alice Liddell", "a@example.org"}, false),
            "Alice Liddell <a@example.org>");
  EXPECT_EQ(format_mailbox({"Doe, John", "jd@example.org"}, false),
            "\"Doe, John\" <jd@example.org>");
  EXPECT_EQ(format_mailbox({"say \"hi\"", "x@example.org"}, false),
            "\"say \\\"hi\\\"\" <x@example.org>");
  EXPECT_EQ(format_mailbox({"Jörg Müller", "jm@example.org"}, false),
            "=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <jm@example.org>");
  EXPECT_EQ(format_mailbox({"Jörg Müller", "jm@example.org"}, true),
            "Jörg Müller <jm@example.org>");
  EXPECT_EQ(format_mailbox({"Müller, Jörg", "jm@example.org"}, true),
            "\"Müller, Jörg\" <jm@example.org>");
}

}  // namespace
}  // namespace tern::mime
