// HTTP request lines and what the server's answers mean: a drop (tern, and Postfix with its
// goodbye) is fine, a session that goes on is low, an HTTP answer is high.
#include "audit/http_probe.hpp"

#include <gtest/gtest.h>

namespace tern::audit {
namespace {

TEST(HttpProbeTest, RequestLines) {
  EXPECT_EQ(http_request_line(HttpVerb::Connect, "127.0.0.1", 25),
            "CONNECT 127.0.0.1:25 HTTP/1.0\r\n");
  EXPECT_EQ(http_request_line(HttpVerb::Connect, "::1", 25), "CONNECT [::1]:25 HTTP/1.0\r\n");
  EXPECT_EQ(http_request_line(HttpVerb::Get, "x", 25), "GET / HTTP/1.0\r\n");
  EXPECT_EQ(http_request_line(HttpVerb::Post, "x", 25), "POST / HTTP/1.0\r\n");
}

TEST(HttpProbeTest, Verdicts) {
  HttpProbeRun dropped{HttpVerb::Connect, ProbeReply::closed(), std::nullopt};
  EXPECT_EQ(judge_http_probe(dropped), HttpVerdict::Dropped);
  // Postfix: "221 2.7.0 Error: I can break rules, too. Goodbye." and a close.
  HttpProbeRun postfix{
      HttpVerb::Get, ProbeReply::from_raw("221 2.7.0 Error: I can break rules, too. Goodbye.\r\n"),
      ProbeReply::closed()};
  EXPECT_EQ(judge_http_probe(postfix), HttpVerdict::DroppedWithReply);
  postfix.noop = ProbeReply::not_sent();
  EXPECT_EQ(judge_http_probe(postfix), HttpVerdict::DroppedWithReply);
  HttpProbeRun kept{HttpVerb::Post,
                    ProbeReply::from_raw("502 5.5.2 Error: command not recognized\r\n"),
                    ProbeReply::from_raw("250 2.0.0 Ok\r\n")};
  EXPECT_EQ(judge_http_probe(kept), HttpVerdict::KeptSession);
  HttpProbeRun proxy{HttpVerb::Connect,
                     ProbeReply::from_raw("HTTP/1.0 200 Connection established\r\n"), std::nullopt};
  EXPECT_EQ(judge_http_probe(proxy), HttpVerdict::SpokeHttp);
  HttpProbeRun silent{HttpVerb::Get, ProbeReply::timed_out(), std::nullopt};
  EXPECT_EQ(judge_http_probe(silent), HttpVerdict::Inconclusive);
}

TEST(HttpProbeTest, Section) {
  std::vector<HttpProbeRun> safe{
      {HttpVerb::Connect, ProbeReply::closed(), std::nullopt},
      {HttpVerb::Get, ProbeReply::closed(), std::nullopt},
      {HttpVerb::Post, ProbeReply::closed(), std::nullopt},
  };
  CheckResult check = http_section(safe, "");
  EXPECT_TRUE(check.findings.empty());
  EXPECT_EQ(check.observations[0], "CONNECT: dropped: (connection closed)");

  std::vector<HttpProbeRun> talkative{
      {HttpVerb::Connect, ProbeReply::from_raw("500 5.5.1 unknown\r\n"),
       ProbeReply::from_raw("250 Ok\r\n")},
      {HttpVerb::Get, ProbeReply::from_raw("HTTP/1.1 400 Bad Request\r\n"), std::nullopt},
  };
  CheckResult bad = http_section(talkative, "");
  ASSERT_EQ(bad.findings.size(), 2u);
  EXPECT_EQ(bad.findings[0].severity, Severity::High);
  EXPECT_EQ(bad.findings[1].severity, Severity::Low);
  EXPECT_EQ(bad.findings[1].title, "the session goes on after an HTTP request line (CONNECT)");
  EXPECT_EQ(bad.details["probes"][0]["verdict"], "kept-session");
}

}  // namespace
}  // namespace tern::audit
