// The graph client with every partition in this process (standalone mode)
// over a small hand-written partitioning, in both cache modes: exact answers,
// DGL sampling semantics, and the input checks.
#include <gtest/gtest.h>

#include <algorithm>

#include "client/graph_client.h"
#include "tests/common/test_util.h"
#include "tests/server/tiny_partition.h"

namespace distsage {
namespace {

using ::distsage::testing::TempDir;
using ::distsage::testing::TinyGraph;
using ::distsage::testing::WriteTinyPartitions;

class InProcessGraphClientTest : public ::testing::TestWithParam<CacheMode> {
 protected:
  void SetUp() override {
    config_ = WriteTinyPartitions(dir_.path(), graph_);
    PartitionStoreOptions options;
    options.cache = GetParam();
    absl::StatusOr<std::unique_ptr<GraphClient>> client =
        GraphClient::OpenInProcess(config_, options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  TempDir dir_;
  TinyGraph graph_;
  PartitionConfig config_;
  std::unique_ptr<GraphClient> client_;
};

TEST_P(InProcessGraphClientTest, PullsAcrossPartitionsInRequestOrder) {
  const std::vector<int64_t> ids = {5, 0, 3, 3, 2};
  std::vector<float> features(ids.size() * 2);
  ASSERT_TRUE(client_->PullFeatures("feat", ids, features.data()).ok());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(features[2 * i], ids[i]);
    EXPECT_EQ(features[2 * i + 1], 10 * ids[i]);
  }
  std::vector<int64_t> labels(ids.size()), degrees(ids.size());
  std::vector<uint8_t> masks(ids.size());
  ASSERT_TRUE(client_->PullLabels(ids, labels.data()).ok());
  ASSERT_TRUE(client_->InDegrees(ids, degrees.data()).ok());
  ASSERT_TRUE(client_->PullSplitMasks(ids, masks.data()).ok());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(labels[i], ids[i] == 5 ? -1 : ids[i] % 3);
    EXPECT_EQ(degrees[i], static_cast<int64_t>(graph_.in_neighbors[ids[i]].size()));
    EXPECT_EQ(masks[i], 1 << (ids[i] % 3));
  }
  absl::StatusOr<std::vector<int64_t>> valid = client_->SplitNodes(1, Split::kValid);
  ASSERT_TRUE(valid.ok());
  EXPECT_EQ(*valid, std::vector<int64_t>({4}));
}

TEST_P(InProcessGraphClientTest, SamplesWithDglSemantics) {
  const std::vector<int64_t> seeds = {3, 1, 2, 0};
  SampledNeighbors all;
  ASSERT_TRUE(client_->SampleNeighbors(seeds, {-1, false, 7}, &all).ok());
  ASSERT_EQ(all.offsets.size(), seeds.size() + 1);
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::vector<int64_t> got(all.src.begin() + all.offsets[i],
                                   all.src.begin() + all.offsets[i + 1]);
    EXPECT_EQ(got, graph_.in_neighbors[seeds[i]]);
  }

  SampledNeighbors sampled;
  ASSERT_TRUE(client_->SampleNeighbors(seeds, {2, false, 7}, &sampled).ok());
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::vector<int64_t>& in = graph_.in_neighbors[seeds[i]];
    EXPECT_EQ(sampled.offsets[i + 1] - sampled.offsets[i], std::min<int64_t>(2, in.size()));
  }

  SampledNeighbors replaced;
  ASSERT_TRUE(client_->SampleNeighbors(seeds, {4, true, 7}, &replaced).ok());
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::vector<int64_t>& in = graph_.in_neighbors[seeds[i]];
    EXPECT_EQ(replaced.offsets[i + 1] - replaced.offsets[i], in.empty() ? 0 : 4);
    for (int64_t e = replaced.offsets[i]; e < replaced.offsets[i + 1]; ++e) {
      EXPECT_NE(std::find(in.begin(), in.end(), replaced.src[e]), in.end());
    }
  }
}

TEST_P(InProcessGraphClientTest, RejectsBadInput) {
  std::vector<float> rows(4);
  const std::vector<int64_t> outside = {1, 6};
  absl::Status status = client_->PullFeatures("feat", outside, rows.data());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("node 6"), std::string::npos) << status;
  const std::vector<int64_t> ids = {1};
  status = client_->PullFeatures("nope", ids, rows.data());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  SampledNeighbors sampled;
  EXPECT_EQ(client_->SampleNeighbors(ids, {-2, false, 0}, &sampled).code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(CacheModes, InProcessGraphClientTest,
                         ::testing::Values(CacheMode::kMemory, CacheMode::kNone),
                         [](const ::testing::TestParamInfo<CacheMode>& info) {
                           return std::string(CacheModeName(info.param));
                         });

}  // namespace
}  // namespace distsage
