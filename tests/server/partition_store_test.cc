// Opening a partition store checks the partition against its config.
#include "server/partition_store.h"

#include <gtest/gtest.h>

#include "tests/common/test_util.h"
#include "tests/server/tiny_partition.h"

namespace distsage {
namespace {

using ::distsage::testing::TempDir;
using ::distsage::testing::TinyGraph;
using ::distsage::testing::WriteTinyPartitions;

TEST(PartitionStoreTest, RefusesAPartitionWhoseMetaDoesNotMatchTheConfig) {
  TempDir dir;
  const PartitionConfig config = WriteTinyPartitions(dir.path(), TinyGraph(), 1);
  absl::StatusOr<std::unique_ptr<PartitionStore>> store =
      PartitionStore::Open(config, 1, PartitionStoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("graph_name"), std::string::npos) << store.status();
}

}  // namespace
}  // namespace distsage
