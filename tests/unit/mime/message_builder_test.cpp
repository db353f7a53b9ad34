// The message tern send builds, taken apart again by a small MIME reader written from RFC 2045/2046
// in this file: header fields present and in order, Bcc nowhere, CRLF and line limits everywhere,
// the multipart structure, text encodings chosen as documented, and attachments that decode back to
// their exact bytes.
#include "mime/message_builder.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "base/base64.hpp"
#include "base/strings.hpp"

namespace tern::mime {
namespace {

struct Entity {
  std::vector<std::pair<std::string, std::string>> fields;  // unfolded
  std::string body;

  std::string field(std::string_view name) const {
    for (const auto& [n, v] : fields) {
      if (iequals(n, name)) return v;
    }
    return "<none>";
  }
  bool has(std::string_view name) const { return field(name) != "<none>"; }
};

Entity parse_entity(const std::string& text) {
  Entity entity;
  std::size_t end = text.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << text.substr(0, 300);
  std::string header = text.substr(0, end + 2);
  entity.body = text.substr(end + 4);
  std::size_t start = 0;
  while (start < header.size()) {
    std::size_t line_end = header.find("\r\n", start);
    std::string line = header.substr(start, line_end - start);
    if (line[0] == ' ' || line[0] == '\t') {
      entity.fields.back().second += line;  // unfold: the CRLF goes, the white space stays
    } else {
      std::size_t colon = line.find(':');
      entity.fields.push_back({line.substr(0, colon), line.substr(colon + 1)});
    }
    start = line_end + 2;
  }
  for (auto& [name, value] : entity.fields) value = std::string(trim(value));
  return entity;
}

std::string parameter(const std::string& field, const std::string& name) {
  std::smatch match;
  std::regex pattern(name + R"(=(\"([^\"]*)\"|([^;\s]+)))");
  if (!std::regex_search(field, match, pattern)) return "<none>";
  return match[2].matched ? match[2].str() : match[3].str();
}

// RFC 2046 §5.1.1: the body parts between "--boundary" lines (the CRLF before each delimiter
// belongs to it).
std::vector<std::string> split_parts(const Entity& entity) {
  std::string boundary = parameter(entity.field("Content-Type"), "boundary");
  std::string delimiter = "\r\n--" + boundary;
  std::string body = "\r\n" + entity.body;
  std::vector<std::string> parts;
  std::size_t pos = body.find(delimiter);
  EXPECT_NE(pos, std::string::npos);
  while (pos != std::string::npos) {
    std::size_t after = pos + delimiter.size();
    if (body.compare(after, 2, "--") == 0) break;
    after += 2;  // CRLF after the delimiter
    std::size_t next = body.find(delimiter, after);
    EXPECT_NE(next, std::string::npos) << "no close delimiter";
    parts.push_back(body.substr(after, next - after));
    pos = next;
  }
  return parts;
}

std::string base64_body(const std::string& body) {
  std::string joined;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find("\r\n", start);
    EXPECT_LE(end - start, 76u);
    joined += body.substr(start, end - start);
    start = end + 2;
  }
  auto decoded = base64_decode(joined);
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or("<bad base64>");
}

void expect_wire_safe(const std::string& message, std::size_t header_limit = 78) {
  std::size_t start = 0;
  bool in_header = true;
  while (start < message.size()) {
    std::size_t end = message.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "message does not end with CRLF";
    std::string line = message.substr(start, end - start);
    EXPECT_EQ(line.find('\n'), std::string::npos) << "bare LF in " << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << "bare CR in " << line;
    EXPECT_LE(line.size(), 998u);
    if (in_header) {
      EXPECT_LE(line.size(), header_limit) << line;
    }
    if (line.empty()) in_header = false;
    start = end + 2;
  }
}

MessageSpec base_spec() {
  MessageSpec spec;
  spec.from = {"Alice", "alice@example.org"};
  spec.to = {{"", "bob@example.org"}, {"Carol C", "carol@example.org"}};
  spec.cc = {{"", "dave@example.org"}};
  spec.subject = "hello";
  spec.text = "line one\nline two\n";
  spec.date = "Mon, 1 Jan 2024 12:00:00 +0000 (UTC)";
  spec.message_id = "<20240101120000.ABCDEF@example.org>";
  spec.user_agent = "tern/0.1.0";
  spec.boundary_seed = "SEED1234";
  return spec;
}

TEST(MessageBuilderTest, TextMessageHasTheFieldsInOrder) {
  BuiltMessage built = build_message(base_spec(), {});
  expect_wire_safe(built.data);
  Entity message = parse_entity(built.data);
  std::vector<std::string> names;
  for (const auto& [name, value] : message.fields) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"Date", "From", "To", "Cc", "Subject", "Message-ID",
                                             "User-Agent", "MIME-Version", "Content-Type",
                                             "Content-Transfer-Encoding"}));
  EXPECT_EQ(message.field("From"), "Alice <alice@example.org>");
  EXPECT_EQ(message.field("To"), "bob@example.org, Carol C <carol@example.org>");
  EXPECT_EQ(message.field("Content-Type"), "text/plain; charset=us-ascii");
  EXPECT_EQ(message.field("Content-Transfer-Encoding"), "7bit");
  EXPECT_EQ(message.body, "line one\r\nline two\r\n");
  EXPECT_FALSE(built.eight_bit);
  EXPECT_FALSE(built.utf8_header);
}

TEST(MessageBuilderTest, NoCcFieldWithoutCcAndBccIsNeverInTheHeader) {
  MessageSpec spec = base_spec();
  spec.cc.clear();
  Entity message = parse_entity(build_message(spec, {}).data);
  EXPECT_FALSE(message.has("Cc"));
  EXPECT_FALSE(message.has("Bcc"));
}

TEST(MessageBuilderTest, EightBitTextIsEightBitOnlyWhenAllowed) {
  MessageSpec spec = base_spec();
  spec.text = "Grüße\n";
  BuiltMessage eight = build_message(spec, {false, true});
  Entity message = parse_entity(eight.data);
  EXPECT_TRUE(eight.eight_bit);
  EXPECT_EQ(message.field("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(message.field("Content-Transfer-Encoding"), "8bit");
  EXPECT_EQ(message.body, "Grüße\r\n");

  BuiltMessage seven = build_message(spec, {false, false});
  message = parse_entity(seven.data);
  EXPECT_FALSE(seven.eight_bit);
  EXPECT_EQ(message.field("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(message.body, "Gr=C3=BC=C3=9Fe\r\n");
  for (char c : seven.data) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
}

TEST(MessageBuilderTest, LineOver998OctetsGoesQuotedPrintable) {
  MessageSpec spec = base_spec();
  spec.text = std::string(1500, 'a') + "\n";
  BuiltMessage built = build_message(spec, {false, true});
  expect_wire_safe(built.data);
  Entity message = parse_entity(built.data);
  EXPECT_EQ(message.field("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(message.field("Content-Type"), "text/plain; charset=us-ascii");
}

TEST(MessageBuilderTest, HtmlMakesAnAlternative) {
  MessageSpec spec = base_spec();
  spec.html = "<p>hello</p>\n";
  BuiltMessage built = build_message(spec, {});
  expect_wire_safe(built.data);
  Entity message = parse_entity(built.data);
  EXPECT_EQ(message.field("Content-Type").rfind("multipart/alternative; boundary=", 0), 0u);
  EXPECT_FALSE(message.has("Content-Transfer-Encoding"));
  std::vector<std::string> parts = split_parts(message);
  ASSERT_EQ(parts.size(), 2u);
  Entity text = parse_entity(parts[0]);
  Entity html = parse_entity(parts[1]);
  EXPECT_EQ(text.field("Content-Type"), "text/plain; charset=us-ascii");
  EXPECT_EQ(text.body, "line one\r\nline two\r\n");
  EXPECT_EQ(html.field("Content-Type"), "text/html; charset=us-ascii");
  EXPECT_EQ(html.body, "<p>hello</p>\r\n");
}

TEST(MessageBuilderTest, HtmlAloneIsASinglePart) {
  MessageSpec spec = base_spec();
  spec.text.clear();
  spec.html = "<p>only</p>";
  Entity message = parse_entity(build_message(spec, {}).data);
  EXPECT_EQ(message.field("Content-Type"), "text/html; charset=us-ascii");
  EXPECT_EQ(message.body, "<p>only</p>\r\n");
}

TEST(MessageBuilderTest, AttachmentsDecodeToTheExactBytes) {
  MessageSpec spec = base_spec();
  spec.html = "<b>hi</b>";
  std::string binary;
  for (int round = 0; round < 40; ++round) {
    for (int octet = 0; octet < 256; ++octet) binary += static_cast<char>(octet);
  }
  spec.attachments = {{"data.bin", binary, ""},
                      {"report.pdf", "%PDF-1.4\n", ""},
                      {"empty.txt", "", ""},
                      {"Übersicht €.csv", "a,b\r\n1,2\n", ""}};
  BuiltMessage built = build_message(spec, {});
  expect_wire_safe(built.data);
  Entity message = parse_entity(built.data);
  EXPECT_EQ(message.field("Content-Type").rfind("multipart/mixed; boundary=", 0), 0u);
  std::vector<std::string> parts = split_parts(message);
  ASSERT_EQ(parts.size(), 5u);
  Entity alternative = parse_entity(parts[0]);
  EXPECT_EQ(alternative.field("Content-Type").rfind("multipart/alternative;", 0), 0u);
  EXPECT_EQ(split_parts(alternative).size(), 2u);

  Entity data = parse_entity(parts[1]);
  EXPECT_EQ(data.field("Content-Type"), "application/octet-stream; name=data.bin");
  EXPECT_EQ(data.field("Content-Disposition"), "attachment; filename=data.bin");
  EXPECT_EQ(data.field("Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(base64_body(data.body), binary);

  Entity pdf = parse_entity(parts[2]);
  EXPECT_EQ(pdf.field("Content-Type"), "application/pdf; name=report.pdf");
  EXPECT_EQ(base64_body(pdf.body), "%PDF-1.4\n");

  Entity empty = parse_entity(parts[3]);
  EXPECT_EQ(empty.field("Content-Type"), "text/plain; name=empty.txt");
  EXPECT_EQ(empty.body, "");

  Entity csv = parse_entity(parts[4]);
  EXPECT_EQ(csv.field("Content-Type"), "text/csv; name*=utf-8''%C3%9Cbersicht%20%E2%82%AC.csv");
  EXPECT_EQ(csv.field("Content-Disposition"),
            "attachment; filename*=utf-8''%C3%9Cbersicht%20%E2%82%AC.csv");
  EXPECT_EQ(base64_body(csv.body), "a,b\r\n1,2\n");  // bytes as they were, line ends included
}

TEST(MessageBuilderTest, BoundaryAvoidsTextThatHoldsIt) {
  MessageSpec spec = base_spec();
  spec.text = "--=_tern_SEED1234_alt\n";
  spec.html = "<p>x</p>";
  Entity message = parse_entity(build_message(spec, {}).data);
  std::string boundary = parameter(message.field("Content-Type"), "boundary");
  EXPECT_NE(boundary, "=_tern_SEED1234_alt");
  std::vector<std::string> parts = split_parts(message);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parse_entity(parts[0]).body, "--=_tern_SEED1234_alt\r\n");
}

TEST(MessageBuilderTest, Utf8HeaderIsEncodedUnlessSmtputf8) {
  MessageSpec spec = base_spec();
  spec.subject = "Gruß aus Köln";
  spec.from = {"Jörg", "joerg@example.org"};
  spec.headers = {{"X-Note", "naïve"}};
  BuiltMessage encoded = build_message(spec, {false, false});
  EXPECT_FALSE(encoded.utf8_header);
  Entity message = parse_entity(encoded.data);
  EXPECT_EQ(message.field("Subject"), "=?utf-8?q?Gru=C3=9F?= aus =?utf-8?q?K=C3=B6ln?=");
  EXPECT_EQ(message.field("From"), "=?utf-8?q?J=C3=B6rg?= <joerg@example.org>");
  EXPECT_EQ(message.field("X-Note"), "=?utf-8?q?na=C3=AFve?=");

  BuiltMessage raw = build_message(spec, {true, false});
  EXPECT_TRUE(raw.utf8_header);
  message = parse_entity(raw.data);
  EXPECT_EQ(message.field("Subject"), "Gruß aus Köln");
  EXPECT_EQ(message.field("From"), "Jörg <joerg@example.org>");
}

TEST(MessageBuilderTest, LongSubjectIsFolded) {
  MessageSpec spec = base_spec();
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "word ";
  subject += "end";
  spec.subject = subject;
  spec.headers = {{"X-Unbreakable", std::string(2000, 'q')}};
  BuiltMessage built = build_message(spec, {});
  expect_wire_safe(built.data);
  Entity message = parse_entity(built.data);
  EXPECT_EQ(message.field("Subject"), subject);
  EXPECT_NE(built.data.find("Subject: word"), std::string::npos);
  EXPECT_NE(built.data.find("\r\n word"), std::string::npos);
}

TEST(MessageBuilderTest, ExtraHeaderReplacesAWrittenField) {
  MessageSpec spec = base_spec();
  spec.headers = {{"subject", "mine"}, {"X-Test", "1"}, {"X-Test", "2"}};
  Entity message = parse_entity(build_message(spec, {}).data);
  int subjects = 0;
  for (const auto& [name, value] : message.fields) subjects += iequals(name, "Subject");
  EXPECT_EQ(subjects, 1);
  EXPECT_EQ(message.field("Subject"), "mine");
  std::vector<std::string> tests;
  for (const auto& [name, value] : message.fields) {
    if (name == "X-Test") tests.push_back(value);
  }
  EXPECT_EQ(tests, (std::vector<std::string>{"1", "2"}));
}

TEST(MessageBuilderTest, HeaderArgumentIsChecked) {
  auto field = parse_header_argument("X-Priority:  1 (Highest)");
  ASSERT_TRUE(field);
  EXPECT_EQ(field->name, "X-Priority");
  EXPECT_EQ(field->value, "1 (Highest)");
  EXPECT_FALSE(parse_header_argument("no colon here"));
  EXPECT_FALSE(parse_header_argument(": empty name"));
  EXPECT_FALSE(parse_header_argument("Bad Name: x"));
  EXPECT_FALSE(parse_header_argument("X-A: one\r\nBcc: injected@example.org"));
  auto reserved = parse_header_argument("Content-Type: text/html");
  ASSERT_FALSE(reserved);
  EXPECT_NE(reserved.error().message.find("--data"), std::string::npos);
}

TEST(MessageBuilderTest, LineEndingsAreNormalised) {
  EXPECT_EQ(normalize_line_endings("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd\r\n");
  EXPECT_EQ(normalize_line_endings("x\r\n"), "x\r\n");
  EXPECT_EQ(normalize_line_endings("\r\r\n"), "\r\n\r\n");
  EXPECT_EQ(normalize_line_endings(""), "");
}

}  // namespace
}  // namespace tern::mime
