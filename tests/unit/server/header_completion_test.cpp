// HeaderCompletion: the fields land at the end of the header section, once, whatever the pieces
// the message arrives in; present fields are kept; nothing is held back once the header ended.
#include "server/header_completion.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::server {
namespace {

HeaderCompletion make_completion(int* calls = nullptr) {
  return HeaderCompletion({"Message-ID", "Date"}, [calls](const mime::HeaderScanner& scanner) {
    if (calls) ++*calls;
    std::string fields;
    if (!scanner.has_field("Message-ID")) fields += "Message-ID: <new@test>\r\n";
    if (!scanner.has_field("Date")) fields += "Date: NOW\r\n";
    return fields;
  });
}

std::string complete(const std::vector<std::string>& pieces, int* calls = nullptr) {
  HeaderCompletion completion = make_completion(calls);
  std::string out;
  for (const std::string& piece : pieces) completion.feed(piece, out);
  completion.finish(out);
  return out;
}

TEST(HeaderCompletionTest, AddsMissingFieldsAtTheEndOfTheHeader) {
  EXPECT_EQ(complete({"Subject: x\r\n\r\nbody\r\n"}),
            "Subject: x\r\nMessage-ID: <new@test>\r\nDate: NOW\r\n\r\nbody\r\n");
  EXPECT_EQ(complete({"Date: then\r\nSubject: x\r\n\r\nb\r\n"}),
            "Date: then\r\nSubject: x\r\nMessage-ID: <new@test>\r\n\r\nb\r\n");
  EXPECT_EQ(complete({"Message-ID: <a@b>\r\nDate: then\r\n\r\nb\r\n"}),
            "Message-ID: <a@b>\r\nDate: then\r\n\r\nb\r\n");
  EXPECT_EQ(complete({""}), "Message-ID: <new@test>\r\nDate: NOW\r\n");
  EXPECT_EQ(complete({"Subject: headers only"}),
            "Subject: headers only\r\nMessage-ID: <new@test>\r\nDate: NOW\r\n");
}

TEST(HeaderCompletionTest, SameResultForEverySplit) {
  const std::string message =
      "Subject: x\r\n folded\r\nTo: a@b\r\n\r\nbody\r\nDate: not a field\r\n";
  int calls = 0;
  const std::string expected = complete({message}, &calls);
  EXPECT_EQ(calls, 1);
  for (std::size_t i = 0; i <= message.size(); ++i) {
    for (std::size_t j = i; j <= message.size(); j += 3) {
      calls = 0;
      EXPECT_EQ(
          complete({message.substr(0, i), message.substr(i, j - i), message.substr(j)}, &calls),
          expected)
          << i << "," << j;
      EXPECT_EQ(calls, 1);
    }
  }
}

TEST(HeaderCompletionTest, BodyPassesThroughOnceTheHeaderEnded) {
  HeaderCompletion completion = make_completion();
  std::string out;
  completion.feed("Subject: x\r\n\r\n", out);
  EXPECT_TRUE(completion.header_ended());
  out.clear();
  completion.feed("Message-ID: body text\r\n", out);
  EXPECT_EQ(out, "Message-ID: body text\r\n");
  out.clear();
  completion.finish(out);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace tern::server
