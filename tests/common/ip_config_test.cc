#include "common/ip_config.h"

#include <fstream>

#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace distsage {
namespace {

TEST(IpConfigTest, ParsesMachinesWithAndWithoutPorts) {
  auto machines = ParseIpConfig("# cluster\n127.0.0.1 40000\n\n  10.0.0.2  \n::1 5000\n", "ip.txt");
  ASSERT_TRUE(machines.ok()) << machines.status();
  ASSERT_EQ(machines->size(), 3u);
  EXPECT_EQ((*machines)[0].host, "127.0.0.1");
  EXPECT_EQ((*machines)[0].base_port, 40000);
  EXPECT_EQ((*machines)[1].host, "10.0.0.2");
  EXPECT_EQ((*machines)[1].base_port, kDefaultServerPort);
  EXPECT_EQ(ServerAddress((*machines)[0], 2), "127.0.0.1:40002");
  EXPECT_EQ(ServerAddress((*machines)[2], 0), "[::1]:5000");
}

TEST(IpConfigTest, RejectsBadLinesNamingFileAndLine) {
  auto bad_port = ParseIpConfig("127.0.0.1 30050\n127.0.0.2 http\n", "ip.txt");
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.status().message().find("ip.txt:2"), std::string::npos) << bad_port.status();
  EXPECT_FALSE(ParseIpConfig("1.2.3.4 1 2\n", "x").ok());
  EXPECT_FALSE(ParseIpConfig("1.2.3.4 70000\n", "x").ok());
  EXPECT_FALSE(ParseIpConfig("# only comments\n", "x").ok());
}

TEST(IpConfigTest, ReadsFileAndReportsMissingOne) {
  testing::TempDir dir;
  std::ofstream(dir.Join("ip_config.txt")) << "127.0.0.1 31000\n";
  auto machines = ReadIpConfig(dir.Join("ip_config.txt"));
  ASSERT_TRUE(machines.ok()) << machines.status();
  EXPECT_EQ(machines->at(0).base_port, 31000);
  auto missing = ReadIpConfig(dir.Join("nope.txt"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(IpConfigTest, RefusesTwoServersOnOneAddressNamingBothLines) {
  struct Case {
    std::string text;
    int num_servers;
    std::string address;
  };
  const std::vector<Case> cases = {
      {"127.0.0.1 30050\n10.0.0.2 30050\n127.0.0.1 30050\n", 1, "127.0.0.1:30050"},
      {"localhost 30050\n10.0.0.2 30050\n127.0.0.1 30050\n", 1, "127.0.0.1:30050"},
      {"LocalHost\n10.0.0.2\n127.0.0.1\n", 1, "127.0.0.1:30050"},
      {"::1 5000\n10.0.0.2 30050\n0:0:0:0:0:0:0:1 5000\n", 1, "[::1]:5000"},
      // Machine 1's second server would take machine 3's port.
      {"127.0.0.1 30050\n10.0.0.2 30050\n127.0.0.1 30051\n", 2, "127.0.0.1:30051"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto machines = ParseIpConfig(c.text, "ip.txt");
    ASSERT_TRUE(machines.ok()) << machines.status();
    auto layout = ServerLayout(*machines, 3, c.num_servers, "ip.txt");
    ASSERT_EQ(layout.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(layout.status().message());
    EXPECT_NE(message.find("ip.txt:1"), std::string::npos) << message;
    EXPECT_NE(message.find("ip.txt:3"), std::string::npos) << message;
    EXPECT_NE(message.find(c.address), std::string::npos) << message;
    EXPECT_NE(message.find("cannot share"), std::string::npos) << message;
  }
  // Distinct addresses (another host, or ports far enough apart) are fine.
  auto machines = ParseIpConfig("127.0.0.1 30050\n127.0.0.2 30050\n127.0.0.1 30052\n", "ip.txt");
  ASSERT_TRUE(machines.ok());
  EXPECT_TRUE(ServerLayout(*machines, 3, 2, "ip.txt").ok());
}

// Found by tests/fuzz/ip_config_fuzzer (corpus/ip_config_fuzzer/high_ports):
// the layout handed out "10.0.0.1:65536", an address nothing can listen on.
TEST(IpConfigTest, RefusesServersPastThePortRange) {
  auto machines = ParseIpConfig("10.0.0.1 65534\n10.0.0.2 30050\n", "ip.txt");
  ASSERT_TRUE(machines.ok()) << machines.status();
  EXPECT_TRUE(ServerLayout(*machines, 2, 2, "ip.txt").ok());  // 65534 and 65535.
  auto layout = ServerLayout(*machines, 2, 3, "ip.txt");
  ASSERT_EQ(layout.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(layout.status().message());
  EXPECT_NE(message.find("ip.txt:1"), std::string::npos) << message;
  EXPECT_NE(message.find("65534..65536"), std::string::npos) << message;
  EXPECT_NE(message.find("at most 65533"), std::string::npos) << message;
}

}  // namespace
}  // namespace distsage
