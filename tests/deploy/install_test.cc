// `cmake --install` into a fresh prefix puts every tool a cluster machine
// runs into PREFIX/bin, and the installed scripts find their shared functions.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/common/test_util.h"

namespace distsage {
namespace {

using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

TEST(InstallTest, InstallPutsEveryToolInPrefixBin) {
  TempDir prefix;
  const CommandResult install = RunCommand(
      {DISTSAGE_CMAKE_COMMAND, "--install", DISTSAGE_BUILD_DIR, "--prefix", prefix.path()});
  ASSERT_EQ(install.exit_code, 0) << install.output;
  for (const char* tool : {"partition_graph", "graph_server", "trainer", "copy_partitions",
                           "launch", "make_certs", "distsage_health", "distsage_partition_files"}) {
    const std::filesystem::path path = prefix.Join(std::string("bin/") + tool);
    EXPECT_TRUE(std::filesystem::is_regular_file(path)) << path;
    EXPECT_NE(std::filesystem::status(path).permissions() & std::filesystem::perms::owner_exec,
              std::filesystem::perms::none)
        << path;
  }
  // The installed scripts run (their shared functions are in share/distsage).
  for (const char* script : {"copy_partitions", "launch", "make_certs"}) {
    const CommandResult help = RunCommand({prefix.Join(std::string("bin/") + script), "--help"});
    EXPECT_EQ(help.exit_code, 0) << help.output;
    EXPECT_NE(help.output.find(std::string("usage: ") + script), std::string::npos) << help.output;
  }
  const CommandResult probe =
      RunCommand({prefix.Join("bin/distsage_health"), "127.0.0.1:1", "--timeout_s", "0"});
  EXPECT_EQ(probe.exit_code, 1) << probe.output;
  EXPECT_NE(probe.output.find("is not SERVING"), std::string::npos) << probe.output;
}

}  // namespace
}  // namespace distsage
