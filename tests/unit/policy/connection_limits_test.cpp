// Per-client and global connection limits.
#include "policy/connection_limits.hpp"

#include <gtest/gtest.h>

namespace tern::policy {
namespace {

TEST(ConnectionLimitsTest, PerClientLimitAppliesToOneAddressOnly) {
  ConnectionLimits limits(2, 10);
  EXPECT_EQ(limits.admit("192.0.2.1", false), Admission::Admitted);
  EXPECT_EQ(limits.admit("192.0.2.1", false), Admission::Admitted);
  EXPECT_EQ(limits.admit("192.0.2.1", false), Admission::ClientLimit);
  EXPECT_EQ(limits.admit("192.0.2.2", false), Admission::Admitted);
  limits.release("192.0.2.1");
  EXPECT_EQ(limits.admit("192.0.2.1", false), Admission::Admitted);
  EXPECT_EQ(limits.active(), 3);
}

TEST(ConnectionLimitsTest, ExemptClientsSkipThePerClientLimitButNotTheGlobalOne) {
  ConnectionLimits limits(1, 3);
  EXPECT_EQ(limits.admit("127.0.0.1", true), Admission::Admitted);
  EXPECT_EQ(limits.admit("127.0.0.1", true), Admission::Admitted);
  EXPECT_EQ(limits.admit("127.0.0.1", true), Admission::Admitted);
  EXPECT_EQ(limits.admit("127.0.0.1", true), Admission::GlobalLimit);
}

TEST(ConnectionLimitsTest, ZeroMeansUnlimited) {
  ConnectionLimits limits(0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limits.admit("192.0.2.1", false), Admission::Admitted);
}

}  // namespace
}  // namespace tern::policy
