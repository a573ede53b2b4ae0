// The load mix (bench/load_mix.h) against two real graph_server processes
// serving Cora's two partitions: 16 client threads (4 trainers' worth of
// clients, 4 threads each) make a fixed number of calls each, sampling,
// pulling features and KV rows and pushing KV gradients at once. Every call
// must succeed with the right answer: the sampled edges and pulled rows of
// the dataset's own files, and after the run each pushed row moved by
// exactly the gradients pushed to it. No timing is asserted.
#include "bench/load_mix.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "client/graph_client.h"
#include "common/partition_config.h"
#include "tests/common/test_util.h"
#include "tests/server/dataset_reference.h"
#include "tests/server/server_cluster.h"

namespace distsage {
namespace {

using ::distsage::testing::TempDir;

TEST(LoadMixTest, SixteenThreadsGetOnlyRightAnswersFromTwoServers) {
  TempDir dir;
  const std::string config_path = testing::PartitionDataset("cora", 2, dir.Join("data"));
  absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(config_path);
  ASSERT_TRUE(config.ok()) << config.status();
  testing::ServerCluster cluster(config_path, 2, dir.path());
  const ConnectLoadClient connect = [&] {
    return GraphClient::Connect(*config, cluster.addresses());
  };

  // The reference as the idle servers answer it must be the dataset's.
  absl::StatusOr<std::unique_ptr<GraphClient>> idle = connect();
  ASSERT_TRUE(idle.ok()) << idle.status();
  absl::StatusOr<LoadReference> reference = ReadLoadReference(**idle);
  ASSERT_TRUE(reference.ok()) << reference.status();
  const testing::DatasetReference dataset = testing::LoadDatasetReference(
      testing::DatasetDir("cora"), config->split_name, config->OrigNodeIdsPath());
  ASSERT_EQ(reference->num_nodes, dataset.num_nodes);
  ASSERT_EQ(reference->feature_dim, dataset.feat_dim);
  EXPECT_TRUE(reference->in_neighbors == dataset.in_neighbors);
  EXPECT_TRUE(reference->features == dataset.features);
  ASSERT_EQ(reference->pulled_rows.size(), static_cast<size_t>(dataset.num_nodes * kLoadTensorDim));

  LoadMixOptions options;
  options.clients = 4;
  options.threads_per_client = 4;
  options.calls_per_thread = 150;
  options.sample_seeds = 256;
  options.pull_rows = 512;
  options.push_rows = 128;
  absl::StatusOr<LoadMixResult> result = RunLoadMix(connect, *reference, options);
  ASSERT_TRUE(result.ok()) << result.status();

  int64_t calls = 0;
  for (int k = 0; k < kNumLoadCalls; ++k) {
    const LoadCallStats& stats = result->calls[k];
    const char* name = LoadCallName(static_cast<LoadCall>(k));
    calls += stats.calls;
    EXPECT_GT(stats.calls, 0) << name;
    EXPECT_EQ(stats.errors, 0) << name << ": " << stats.first_error;
    EXPECT_EQ(stats.wrong_answers, 0) << name << ": " << stats.first_wrong_answer;
    EXPECT_EQ(stats.latencies_ns.size(), static_cast<size_t>(stats.calls)) << name;
    EXPECT_GT(stats.items, 0) << name;
  }
  EXPECT_EQ(calls, 16 * options.calls_per_thread);
  EXPECT_EQ(result->pushed_rows_wrong, 0) << result->first_pushed_row_wrong;
  for (int part = 0; part < 2; ++part) EXPECT_TRUE(cluster.server(part).process().running());
}

}  // namespace
}  // namespace distsage
