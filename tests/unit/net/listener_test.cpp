// Listeners: SO_REUSEPORT lets every event-loop thread bind the same address; bad addresses are
// refused.
#include "net/listener.hpp"

#include <gtest/gtest.h>

namespace tern::net {
namespace {

TEST(ListenerTest, TwoListenersShareOnePortWithReuseport) {
  asio::io_context context;
  auto first = open_listener(context, {asio::ip::make_address("127.0.0.1"), 0});
  ASSERT_TRUE(first) << first.error().message;
  unsigned short port = first->local_endpoint().port();
  auto second = open_listener(context, {asio::ip::make_address("127.0.0.1"), port});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->local_endpoint().port(), port);
}

TEST(ListenerTest, BindFailureIsAClearError) {
  asio::io_context context;
  // 192.0.2.1 (TEST-NET-1) is not an address of this machine: bind must fail, nothing is sent
  // anywhere.
  auto listener = open_listener(context, {asio::ip::make_address("192.0.2.1"), 0});
  ASSERT_FALSE(listener);
  EXPECT_NE(listener.error().message.find("cannot listen on 192.0.2.1"), std::string::npos);
  EXPECT_NE(listener.error().message.find("bind"), std::string::npos);
}

TEST(ListenerTest, EndpointsForAllAndNumericHosts) {
  auto all = listen_endpoints("", 25, true, true);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_TRUE(all->at(0).address().is_v4());
  EXPECT_TRUE(all->at(1).address().is_v6());
  auto v4_only = listen_endpoints("", 25, true, false);
  ASSERT_TRUE(v4_only);
  EXPECT_EQ(v4_only->size(), 1u);
  auto bracketed = listen_endpoints("[::1]", 2525, true, true);
  ASSERT_TRUE(bracketed);
  EXPECT_EQ(bracketed->at(0).address().to_string(), "::1");
  EXPECT_EQ(bracketed->at(0).port(), 2525);
  auto bad = listen_endpoints("mail.example", 25, true, true);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a numeric IP address"), std::string::npos);
}

}  // namespace
}  // namespace tern::net
