// The sampler, loader and layer-wise inference over a real in-process graph
// client (tests/server's tiny two-partition graph, whose every edge, feature
// and label is known).
#include "trainer/minibatch_loader.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/graph_client.h"
#include "common/thread_priority.h"
#include "tests/common/test_util.h"
#include "tests/server/tiny_partition.h"
#include "trainer/block_sampler.h"
#include "trainer/layerwise_inference.h"
#include "trainer/sage_model.h"

namespace distsage {
namespace {

// The tiny graph's 2-dim feature "feat" as model input.
InputRows FeatureInput(GraphClient* client, FeatureNorm norm = FeatureNorm::kNone) {
  InputRows input;
  input.graph = client;
  input.feature_name = "feat";
  input.feature_dim = 2;
  input.feature_norm = norm;
  return input;
}

class TinyGraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const PartitionConfig config = testing::WriteTinyPartitions(dir_.path(), graph_);
    auto client = GraphClient::OpenInProcess(config);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  // A loader of 2-seed batches of the feature that aggregates the first
  // layer, summing in place or from a copy.
  LoaderOptions AggregatingOptions(FeatureNorm norm, bool in_place) {
    LoaderOptions options;
    options.batch_size = 2;
    options.num_workers = 2;
    options.input = FeatureInput(client_.get(), norm);
    options.num_classes = 3;
    options.aggregate_first_layer = true;
    options.sum_rows_in_place = in_place;
    options.feature_buffers = std::make_shared<BufferPool>(4);
    options.gather_buffers = std::make_shared<BufferPool>(2);
    return options;
  }

  // The next batch of both loaders; each must have one.
  static void NextOfBoth(MiniBatchLoader* reference, MiniBatch* expected, MiniBatchLoader* loader,
                         MiniBatch* batch) {
    ASSERT_TRUE(*reference->Next(expected));
    auto more = loader->Next(batch);
    ASSERT_TRUE(more.ok()) << more.status();
    ASSERT_TRUE(*more);
  }

  // `block` has `expected`'s destinations and edges, each edge from the same
  // node, however each lists its sources (InputSources).
  static void ExpectSameEdges(const Block& block, const Block& expected) {
    EXPECT_EQ(block.num_dst, expected.num_dst);
    EXPECT_EQ(block.indptr, expected.indptr);
    ASSERT_EQ(block.num_edges(), expected.num_edges());
    for (int64_t e = 0; e < block.num_edges(); ++e) {
      EXPECT_EQ(block.src_nodes[block.indices[e]], expected.src_nodes[expected.indices[e]])
          << "edge " << e;
    }
  }

  // Whether `block` lists a source per edge (InputSources::kPerEdge): its
  // destinations, then every edge's source in edge order.
  static bool ListsASourcePerEdge(const Block& block) {
    if (block.num_src() != block.num_dst + block.num_edges()) return false;
    for (int64_t e = 0; e < block.num_edges(); ++e) {
      if (block.indices[e] != block.num_dst + e) return false;
    }
    return true;
  }

  // Whether every edge of `block` is a real in-edge and, per destination,
  // sampled edge positions are distinct (no replacement).
  void ExpectRealEdges(const Block& block, int fanout) {
    for (int64_t i = 0; i < block.num_dst; ++i) {
      const std::vector<int64_t>& real = graph_.in_neighbors[block.src_nodes[i]];
      const int64_t degree = static_cast<int64_t>(real.size());
      const int64_t count = block.indptr[i + 1] - block.indptr[i];
      EXPECT_EQ(count, fanout < 0 ? degree : std::min<int64_t>(degree, fanout));
      std::multiset<int64_t> remaining(real.begin(), real.end());
      for (int64_t e = block.indptr[i]; e < block.indptr[i + 1]; ++e) {
        auto it = remaining.find(block.src_nodes[block.indices[e]]);
        ASSERT_NE(it, remaining.end()) << "not an in-edge of " << block.src_nodes[i];
        remaining.erase(it);
      }
    }
  }

  testing::TempDir dir_;
  testing::TinyGraph graph_;
  std::unique_ptr<GraphClient> client_;
};

TEST_F(TinyGraphTest, FullFanoutBlocksFollowDglConventions) {
  const BlockSampler sampler(client_.get(), {-1, -1}, /*reverse_from_layer=*/0);
  std::vector<Block> blocks;
  const std::vector<int64_t> seeds = {0, 4};
  ASSERT_TRUE(sampler.Sample(seeds, 7, &blocks).ok());
  ASSERT_EQ(blocks.size(), 2u);
  // Output layer: seeds first, then new sources in order of appearance.
  EXPECT_EQ(blocks[1].num_dst, 2);
  EXPECT_EQ(blocks[1].src_nodes, (std::vector<int64_t>{0, 4, 1, 2, 3, 5}));
  EXPECT_EQ(blocks[1].indptr, (std::vector<int64_t>{0, 5, 6}));
  EXPECT_EQ(blocks[1].indices, (std::vector<int64_t>{2, 3, 4, 1, 5, 4}));
  // Input layer: its destinations are the output layer's sources.
  EXPECT_EQ(blocks[0].num_dst, 6);
  EXPECT_EQ(std::vector<int64_t>(blocks[0].src_nodes.begin(), blocks[0].src_nodes.begin() + 6),
            blocks[1].src_nodes);
  ExpectRealEdges(blocks[0], -1);
  ExpectRealEdges(blocks[1], -1);
  EXPECT_EQ(blocks[0].rev_indptr.size(), blocks[0].src_nodes.size() + 1);
}

TEST_F(TinyGraphTest, SampledBlocksAreDeduplicatedRealAndReproducible) {
  const BlockSampler sampler(client_.get(), {2, 3}, /*reverse_from_layer=*/2);
  const std::vector<int64_t> seeds = {3, 5, 0};
  std::vector<Block> blocks;
  ASSERT_TRUE(sampler.Sample(seeds, 11, &blocks).ok());
  ExpectRealEdges(blocks[0], 2);
  ExpectRealEdges(blocks[1], 3);
  for (const Block& block : blocks) {
    const std::set<int64_t> unique(block.src_nodes.begin(), block.src_nodes.end());
    EXPECT_EQ(unique.size(), block.src_nodes.size());
    EXPECT_TRUE(block.rev_indptr.empty());
    // DGL's numbering: the destinations, then each new source in the order
    // the edges first name it.
    std::vector<int64_t> first_seen(block.src_nodes.begin(),
                                    block.src_nodes.begin() + block.num_dst);
    for (const int64_t local : block.indices) {
      const int64_t node = block.src_nodes[local];
      if (std::find(first_seen.begin(), first_seen.end(), node) == first_seen.end()) {
        first_seen.push_back(node);
      }
    }
    EXPECT_EQ(first_seen, block.src_nodes);
  }
  std::vector<Block> again;
  ASSERT_TRUE(sampler.Sample(seeds, 11, &again).ok());
  for (int layer = 0; layer < 2; ++layer) {
    EXPECT_EQ(again[layer].src_nodes, blocks[layer].src_nodes);
    EXPECT_EQ(again[layer].indices, blocks[layer].indices);
  }
}

// A source per edge in the input layer: the same edges from the same nodes,
// in the same order, as the deduplicated blocks; every other layer as those.
TEST_F(TinyGraphTest, PerEdgeInputSourcesKeepEveryEdgeInOrder) {
  const BlockSampler sampler(client_.get(), {2, 3}, /*reverse_from_layer=*/0);
  const std::vector<int64_t> seeds = {3, 5, 0};
  std::vector<Block> distinct;
  std::vector<Block> per_edge;
  ASSERT_TRUE(sampler.Sample(seeds, 11, &distinct).ok());
  ASSERT_TRUE(sampler.Sample(seeds, 11, &per_edge, nullptr, InputSources::kPerEdge).ok());
  ASSERT_EQ(per_edge.size(), 2u);
  const Block& first = per_edge[0];
  ASSERT_GT(first.num_edges(), 0);
  ExpectSameEdges(first, distinct[0]);
  EXPECT_TRUE(ListsASourcePerEdge(first));
  EXPECT_FALSE(ListsASourcePerEdge(distinct[0]));
  EXPECT_EQ(std::vector<int64_t>(first.src_nodes.begin(), first.src_nodes.begin() + first.num_dst),
            distinct[1].src_nodes);
  ExpectRealEdges(first, 2);
  EXPECT_EQ(first.rev_indptr.size(), first.src_nodes.size() + 1);
  EXPECT_EQ(per_edge[1].src_nodes, distinct[1].src_nodes);
  EXPECT_EQ(per_edge[1].indices, distinct[1].indices);
}

TEST_F(TinyGraphTest, ZeroFanoutSamplesNothing) {
  const BlockSampler sampler(client_.get(), {0, 0}, /*reverse_from_layer=*/0);
  std::vector<Block> blocks;
  ASSERT_TRUE(sampler.Sample(std::vector<int64_t>{1, 3}, 0, &blocks).ok());
  for (const Block& block : blocks) {
    EXPECT_EQ(block.src_nodes, (std::vector<int64_t>{1, 3}));
    EXPECT_EQ(block.num_edges(), 0);
  }
}

TEST_F(TinyGraphTest, LoaderDeliversBatchesInOrderWithFeaturesAndLabels) {
  const BlockSampler sampler(client_.get(), {-1, 2}, /*reverse_from_layer=*/0);
  LoaderOptions options;
  options.batch_size = 2;
  options.num_workers = 3;
  options.prefetch = 1;
  options.input = FeatureInput(client_.get(), FeatureNorm::kRow);
  options.num_classes = 3;
  options.feature_buffers = std::make_shared<BufferPool>(2);
  MiniBatchLoader loader(client_.get(), &sampler, {4, 0, 1, 2, 3}, options, 3);
  ASSERT_EQ(loader.num_batches(), 3);
  const std::vector<std::vector<int64_t>> expected_seeds = {{4, 0}, {1, 2}, {3}};
  MiniBatch batch;
  for (int64_t i = 0; i < 3; ++i) {
    auto more = loader.Next(&batch);
    ASSERT_TRUE(more.ok()) << more.status();
    ASSERT_TRUE(*more);
    EXPECT_EQ(batch.index, i);
    EXPECT_EQ(batch.seeds, expected_seeds[i]);
    const std::vector<int64_t>& inputs = batch.blocks.front().src_nodes;
    ASSERT_EQ(batch.features.sizes(),
              (std::vector<int64_t>{static_cast<int64_t>(inputs.size()), 2}));
    for (size_t r = 0; r < inputs.size(); ++r) {
      // Feature (v, 10 v), row-normalised; node 0's zero row stays zero.
      const float v = static_cast<float>(inputs[r]);
      const float sum = v + 10 * v;
      EXPECT_FLOAT_EQ(batch.features[r][0].item<float>(), v == 0 ? 0.0f : v / sum);
      EXPECT_FLOAT_EQ(batch.features[r][1].item<float>(), v == 0 ? 0.0f : 10 * v / sum);
    }
    for (size_t s = 0; s < batch.seeds.size(); ++s) {
      EXPECT_EQ(batch.labels[s].item<int64_t>(), batch.seeds[s] % 3);
    }
  }
  auto more = loader.Next(&batch);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

// The workers build at the priority they are given (a nice level, and
// SCHED_IDLE with it here), below the thread that made the loader, and
// build the same batches as at its priority.
TEST_F(TinyGraphTest, LoaderWorkersRunAtTheirLowerPriorityAndBuildTheSameBatches) {
  const BlockSampler sampler(client_.get(), {2, 2}, /*reverse_from_layer=*/0);
  const std::vector<int64_t> seeds = {4, 0, 1, 2, 3};
  const long consumer = CallingThreadId();
  const int base = testing::NiceOfEachThread().at(consumer);
  ASSERT_LE(base, kMaxNice - 6) << "the test process already runs at nice " << base;
  std::vector<std::vector<float>> features[2];
  for (const int nice : {0, 6}) {
    LoaderOptions options;
    options.batch_size = 1;
    options.num_workers = 2;
    options.prefetch = 2;
    options.worker_nice = nice;
    options.worker_sched_idle = nice > 0;
    options.input = FeatureInput(client_.get());
    options.num_classes = 3;
    const std::map<long, int> before = testing::NiceOfEachThread();
    MiniBatchLoader loader(client_.get(), &sampler, seeds, options, 7);
    // The constructor returns once both workers run at their priority; they
    // stay alive until the last batch is built (5 batches, 2 ahead).
    int workers = 0;
    const std::map<long, int> policies = testing::PolicyOfEachThread();
    for (const auto& [tid, thread_nice] : testing::NiceOfEachThread()) {
      if (before.count(tid) > 0) {
        EXPECT_EQ(thread_nice, before.at(tid)) << "thread " << tid << " was there before";
        EXPECT_EQ(policies.at(tid), SCHED_OTHER) << "thread " << tid << " was there before";
      } else {
        ++workers;
        EXPECT_EQ(thread_nice, base + nice) << "worker thread " << tid;
        EXPECT_EQ(policies.at(tid), nice > 0 ? SCHED_IDLE : SCHED_OTHER) << "worker " << tid;
      }
    }
    EXPECT_EQ(workers, 2);
    MiniBatch batch;
    for (int64_t i = 0; i < loader.num_batches(); ++i) {
      auto more = loader.Next(&batch);
      ASSERT_TRUE(more.ok()) << more.status();
      ASSERT_TRUE(*more);
      const at::Tensor rows = batch.features.contiguous();
      features[nice > 0].emplace_back(rows.data_ptr<float>(),
                                      rows.data_ptr<float>() + rows.numel());
    }
    EXPECT_EQ(testing::NiceOfEachThread().at(consumer), base) << "the consumer keeps its own";
  }
  EXPECT_EQ(features[1], features[0]);
}

// Idle workers serve a consumer that does nothing but wait for them (the
// loader, not the consumer, is the bound): after kIdleCheckBatches batches
// workers at the nice level alone take over, and the batches stay the same.
TEST_F(TinyGraphTest, LoaderLeavesSchedIdleWhereTheConsumerWaitsMoreThanItWorks) {
  const BlockSampler sampler(client_.get(), {2, 2}, /*reverse_from_layer=*/0);
  std::vector<int64_t> seeds;
  for (int i = 0; i < 6; ++i) seeds.insert(seeds.end(), {4, 0, 1, 2, 3});
  std::vector<std::vector<float>> features[2];
  for (const bool sched_idle : {false, true}) {
    LoaderOptions options;
    options.batch_size = 1;
    options.num_workers = 1;
    options.prefetch = 1;  // Each batch is built while the consumer waits.
    options.worker_nice = 3;
    options.worker_sched_idle = sched_idle;
    options.input = FeatureInput(client_.get());
    options.num_classes = 3;
    const std::map<long, int> before = testing::NiceOfEachThread();
    const int base = before.at(CallingThreadId());
    MiniBatchLoader loader(client_.get(), &sampler, seeds, options, 5);
    MiniBatch batch;
    bool checked_replacements = false;
    for (int64_t i = 0; i < loader.num_batches(); ++i) {
      auto more = loader.Next(&batch);
      ASSERT_TRUE(more.ok()) << more.status();
      ASSERT_TRUE(*more);
      const at::Tensor rows = batch.features.contiguous();
      features[sched_idle].emplace_back(rows.data_ptr<float>(),
                                        rows.data_ptr<float>() + rows.numel());
      if (sched_idle && loader.left_sched_idle() && !checked_replacements) {
        // Just after the switch (batches are left to build), the workers
        // started since run at the nice level, not idle.
        checked_replacements = true;
        const std::map<long, int> policies = testing::PolicyOfEachThread();
        int replacements = 0;
        for (const auto& [tid, thread_nice] : testing::NiceOfEachThread()) {
          if (before.count(tid) > 0 || policies.at(tid) == SCHED_IDLE) continue;
          ++replacements;
          EXPECT_EQ(thread_nice, base + 3) << "worker " << tid;
        }
        EXPECT_GE(replacements, 1);
      }
    }
    EXPECT_EQ(loader.left_sched_idle(), sched_idle);
    EXPECT_EQ(checked_replacements, sched_idle);
  }
  EXPECT_EQ(features[1], features[0]);
}

// A loader started at a later batch (a resumed run) skips the earlier ones
// and builds the rest exactly as a loader from the start does.
TEST_F(TinyGraphTest, LoaderStartedAtALaterBatchBuildsTheSameBatches) {
  const BlockSampler sampler(client_.get(), {2, 2}, /*reverse_from_layer=*/0);
  LoaderOptions options;
  options.batch_size = 2;
  options.num_workers = 2;
  options.input = FeatureInput(client_.get());
  options.num_classes = 3;
  const std::vector<int64_t> seeds = {4, 0, 1, 2, 3};
  MiniBatchLoader whole(client_.get(), &sampler, seeds, options, 11);
  options.first_batch = 1;
  MiniBatchLoader resumed(client_.get(), &sampler, seeds, options, 11);
  EXPECT_EQ(resumed.num_batches(), 3);
  MiniBatch expected;
  MiniBatch batch;
  ASSERT_TRUE(*whole.Next(&expected));  // Batch 0, which `resumed` skips.
  for (int64_t i = 1; i < 3; ++i) {
    ASSERT_TRUE(*whole.Next(&expected));
    auto more = resumed.Next(&batch);
    ASSERT_TRUE(more.ok()) << more.status();
    ASSERT_TRUE(*more);
    EXPECT_EQ(batch.index, i);
    EXPECT_EQ(batch.seeds, expected.seeds);
    for (size_t layer = 0; layer < batch.blocks.size(); ++layer) {
      EXPECT_EQ(batch.blocks[layer].src_nodes, expected.blocks[layer].src_nodes);
      EXPECT_EQ(batch.blocks[layer].indices, expected.blocks[layer].indices);
    }
    EXPECT_TRUE(batch.features.equal(expected.features));
  }
  EXPECT_FALSE(*resumed.Next(&batch));
  // Past the end: nothing.
  options.first_batch = 3;
  MiniBatchLoader finished(client_.get(), &sampler, seeds, options, 11);
  EXPECT_FALSE(*finished.Next(&batch));
}

// With aggregate_first_layer a loader hands over, for the batches a plain
// loader builds, the first layer's destinations' rows and the mean of each
// one's sampled in-neighbours' rows, instead of every input row: summed
// where the store holds them (sum_rows_in_place) or from a copy of every
// input row (always for normalised rows), the same bits either way.
TEST_F(TinyGraphTest, LoaderAggregatingTheFirstLayerHandsOverDestinationsAndMeans) {
  struct Case {
    FeatureNorm norm;
    bool in_place;  // LoaderOptions::sum_rows_in_place.
  };
  std::vector<at::Tensor> means_in_place;  // Of the first case, by batch.
  bool sources_repeat = false;  // Some first layer's distinct sources are fewer than its edges.
  for (const Case& c : {Case{FeatureNorm::kNone, true}, Case{FeatureNorm::kNone, false},
                        Case{FeatureNorm::kRow, true}}) {
    const FeatureNorm norm = c.norm;
    SCOPED_TRACE(absl::StrCat(FeatureNormName(norm), c.in_place ? " in place" : " copied"));
    const BlockSampler sampler(client_.get(), {2, 3}, /*reverse_from_layer=*/1);
    LoaderOptions options = AggregatingOptions(norm, c.in_place);
    const std::vector<int64_t> seeds = {4, 0, 1, 2, 3};
    MiniBatchLoader aggregating(client_.get(), &sampler, seeds, options, 5);
    options.aggregate_first_layer = false;
    MiniBatchLoader plain(client_.get(), &sampler, seeds, options, 5);
    MiniBatch expected;
    MiniBatch batch;
    for (int64_t i = 0; i < 3; ++i) {
      ASSERT_NO_FATAL_FAILURE(NextOfBoth(&plain, &expected, &aggregating, &batch));
      EXPECT_FALSE(expected.neighbor_mean.defined());
      EXPECT_EQ(batch.summed_in_place, norm == FeatureNorm::kNone && c.in_place);
      ASSERT_EQ(batch.blocks.size(), expected.blocks.size());
      ExpectSameEdges(batch.blocks[1], expected.blocks[1]);
      EXPECT_EQ(batch.blocks[1].src_nodes, expected.blocks[1].src_nodes);
      // Of the aggregated first layer the model gets the destinations and
      // their degrees only.
      const Block& first = expected.blocks.front();
      const Block& kept = batch.blocks.front();
      EXPECT_EQ(kept.num_dst, first.num_dst);
      EXPECT_EQ(kept.indptr, first.indptr);
      EXPECT_EQ(kept.num_edges(), first.num_edges());
      EXPECT_EQ(kept.src_nodes, std::vector<int64_t>(first.src_nodes.begin(),
                                                     first.src_nodes.begin() + first.num_dst));
      EXPECT_TRUE(kept.indices.empty());
      // Every row is in this process: summed in place, the means read a
      // source per edge, which then needs no deduplication.
      const int64_t per_edge = first.num_dst + first.num_edges();
      EXPECT_EQ(batch.num_input_nodes, batch.summed_in_place ? per_edge : first.num_src());
      sources_repeat |= per_edge != first.num_src();
      EXPECT_TRUE(batch.labels.equal(expected.labels));
      ASSERT_EQ(batch.features.sizes(), (std::vector<int64_t>{first.num_dst, 2}));
      ASSERT_EQ(batch.neighbor_mean.sizes(), (std::vector<int64_t>{first.num_dst, 2}));
      EXPECT_TRUE(batch.features.equal(expected.features.narrow(0, 0, first.num_dst)));
      for (int64_t d = 0; d < first.num_dst; ++d) {
        // Feature (v, 10 v); row-normalised (1/11, 10/11), and node 0's is 0.
        float sum[2] = {0.0f, 0.0f};
        for (int64_t e = first.indptr[d]; e < first.indptr[d + 1]; ++e) {
          const int64_t v = first.src_nodes[first.indices[e]];
          if (v == 0) continue;
          sum[0] += norm == FeatureNorm::kRow ? 1.0f / 11 : v;
          sum[1] += norm == FeatureNorm::kRow ? 10.0f / 11 : 10.0f * v;
        }
        const float degree = std::max<float>(1.0f, first.indptr[d + 1] - first.indptr[d]);
        EXPECT_NEAR(batch.neighbor_mean[d][0].item<float>(), sum[0] / degree, 1e-5) << d;
        EXPECT_NEAR(batch.neighbor_mean[d][1].item<float>(), sum[1] / degree, 1e-5) << d;
      }
      if (c.in_place && norm == FeatureNorm::kNone) {
        means_in_place.push_back(batch.neighbor_mean.clone());
      } else if (norm == FeatureNorm::kNone) {
        EXPECT_TRUE(batch.neighbor_mean.equal(means_in_place.at(i))) << "batch " << i;
      }
    }
    EXPECT_FALSE(*aggregating.Next(&batch));
  }
  EXPECT_TRUE(sources_repeat) << "a source per edge is not told apart from each node once";
}

// With aggregated_rows_bfloat16 (a model computing in bf16) the loader hands
// over exactly the float32 loader's destinations' rows and means rounded to
// bfloat16, in place, from a copy and normalised; and a bf16 layer computes
// the same outputs from either.
TEST_F(TinyGraphTest, LoaderHandsOverAggregatedRowsAsTheModelWouldRoundThem) {
  for (const auto& [norm, in_place] :
       {std::pair{FeatureNorm::kNone, true}, std::pair{FeatureNorm::kNone, false},
        std::pair{FeatureNorm::kRow, true}}) {
    SCOPED_TRACE(absl::StrCat(FeatureNormName(norm), in_place ? " in place" : " copied"));
    const BlockSampler sampler(client_.get(), {2, 3}, /*reverse_from_layer=*/1);
    LoaderOptions options = AggregatingOptions(norm, in_place);
    const std::vector<int64_t> seeds = {4, 0, 1, 2, 3};
    MiniBatchLoader float32(client_.get(), &sampler, seeds, options, 5);
    options.aggregated_rows_bfloat16 = true;
    MiniBatchLoader bfloat16(client_.get(), &sampler, seeds, options, 5);
    torch::manual_seed(7);
    SageConv conv(2, 4, Precision::kBFloat16);
    MiniBatch expected;
    MiniBatch batch;
    for (int64_t i = 0; i < 3; ++i) {
      ASSERT_NO_FATAL_FAILURE(NextOfBoth(&float32, &expected, &bfloat16, &batch));
      ASSERT_EQ(batch.features.scalar_type(), at::kBFloat16);
      ASSERT_EQ(batch.neighbor_mean.scalar_type(), at::kBFloat16);
      EXPECT_TRUE(batch.features.equal(expected.features.to(at::kBFloat16))) << "batch " << i;
      EXPECT_TRUE(batch.neighbor_mean.equal(expected.neighbor_mean.to(at::kBFloat16)))
          << "batch " << i;
      const Block& first = batch.blocks.front();
      EXPECT_TRUE(conv->ForwardAggregated(batch.features, batch.neighbor_mean, first)
                      .equal(conv->ForwardAggregated(expected.features, expected.neighbor_mean,
                                                     expected.blocks.front())));
    }
  }
}

// The loader's means cost kMeanAddCost per edge and input value; the model's
// projecting first, the projected width per input row and value.
TEST(LoaderMeansAreCheaperTest, WeighsEdgesAgainstProjectedInputRows) {
  Block block;
  block.num_dst = 4;
  block.src_nodes.resize(20);
  block.indptr = {0, 3, 6, 8, 10};
  block.indices.assign(10, 0);
  EXPECT_TRUE(LoaderMeansAreCheaper(block, 0));   // No projection first: the same work.
  EXPECT_TRUE(LoaderMeansAreCheaper(block, 3));   // 10 * 5 < 20 * 3.
  EXPECT_FALSE(LoaderMeansAreCheaper(block, 2));  // 10 * 5 >= 20 * 2.
}

// Where the model's projecting first is cheaper, the loader hands over every
// input row and the first block's reverse CSR, which the model's backward
// pass walks; the sampler (reverse CSRs from layer 1) left it out.
TEST_F(TinyGraphTest, LoaderLeavesTheMeansToTheModelWhereProjectingFirstIsCheaper) {
  const BlockSampler sampler(client_.get(), {2, 3}, /*reverse_from_layer=*/1);
  for (const bool in_place : {false, true}) {
    SCOPED_TRACE(in_place ? "in place" : "copied");
    LoaderOptions options;
    options.batch_size = 2;
    options.input = FeatureInput(client_.get());
    options.num_classes = 3;
    options.aggregate_first_layer = true;
    options.sum_rows_in_place = in_place;
    options.first_layer_projected_width = 1;
    MiniBatchLoader loader(client_.get(), &sampler, {4, 0, 1, 2, 3}, options, 5);
    MiniBatch batch;
    for (int64_t i = 0; i < 3; ++i) {
      ASSERT_TRUE(*loader.Next(&batch));
      const Block& first = batch.blocks.front();
      ASSERT_FALSE(LoaderMeansAreCheaper(first, 1)) << "batch " << i;
      EXPECT_FALSE(batch.neighbor_mean.defined());
      EXPECT_FALSE(ListsASourcePerEdge(first));
      EXPECT_EQ(batch.features.size(0), first.num_src());
      EXPECT_EQ(first.rev_indptr.size(), first.src_nodes.size() + 1);
      EXPECT_EQ(first.rev_indices.size(), first.indices.size());
    }
  }
}

// With a projected first layer the epoch's batch 0 decides for the whole
// epoch whether the loader takes the means, however the loader reads the
// rows (in place, then sampling the first layer per edge, or from a copy),
// so both build the same batches.
TEST_F(TinyGraphTest, LoaderFollowsBatchZerosVerdictForTheWholeEpoch) {
  const BlockSampler sampler(client_.get(), {2, 3}, /*reverse_from_layer=*/1);
  const std::vector<int64_t> seeds = {4, 0, 1, 2, 3};
  constexpr uint64_t kLoaderSeed = 9;  // One whose batches differ.
  std::vector<Block> firsts;           // Each batch's first block, deduplicated.
  for (uint64_t i = 0; i < 3; ++i) {
    std::vector<Block> blocks;
    const std::vector<int64_t> batch_seeds(seeds.begin() + 2 * i,
                                           seeds.begin() + std::min<size_t>(2 * i + 2, 5));
    ASSERT_TRUE(sampler.Sample(batch_seeds, MixSeed(kLoaderSeed, {i}), &blocks).ok());
    firsts.push_back(std::move(blocks[0]));
  }
  // kMeanAddCost * edges / distinct sources: the means are cheaper below a
  // projected width above it.
  const auto weight = [](const Block& first) {
    return static_cast<double>(first.num_edges() * kMeanAddCost) /
           static_cast<double>(first.num_src());
  };
  double most = 0.0;
  bool sources_repeat = false;  // Per edge, some batch lists more sources.
  for (const Block& first : firsts) {
    most = std::max(most, weight(first));
    sources_repeat |= first.num_src() != first.num_dst + first.num_edges();
  }
  ASSERT_TRUE(sources_repeat);
  // Widths at which batch 0's verdict is yes and another batch's no, and
  // the other way round.
  const int64_t widths[2] = {static_cast<int64_t>(std::floor(most)),
                             static_cast<int64_t>(std::floor(weight(firsts[0])))};
  for (const int64_t width : widths) {
    const bool verdict = LoaderMeansAreCheaper(firsts[0], width);
    bool others_differ = false;
    for (const Block& first : firsts)
      others_differ |= LoaderMeansAreCheaper(first, width) != verdict;
    ASSERT_TRUE(others_differ) << "width " << width << ": the tiny graph's batches are alike";
    for (const bool in_place : {true, false}) {
      SCOPED_TRACE(absl::StrCat("width ", width, in_place ? ", in place" : ", copied"));
      LoaderOptions options = AggregatingOptions(FeatureNorm::kNone, in_place);
      options.first_layer_projected_width = width;
      MiniBatchLoader loader(client_.get(), &sampler, seeds, options, kLoaderSeed);
      MiniBatch batch;
      for (int64_t i = 0; i < 3; ++i) {
        ASSERT_TRUE(*loader.Next(&batch));
        EXPECT_EQ(batch.neighbor_mean.defined(), verdict) << "batch " << i;
        const Block& first = firsts[i];
        EXPECT_EQ(batch.num_input_nodes,
                  verdict && in_place ? first.num_dst + first.num_edges() : first.num_src())
            << "batch " << i;
      }
    }
  }
  EXPECT_TRUE(LoaderMeansAreCheaper(firsts[0], widths[0]));
  EXPECT_FALSE(LoaderMeansAreCheaper(firsts[0], widths[1]));
}

TEST_F(TinyGraphTest, LoaderReportsAnUnlabelledSeed) {
  const BlockSampler sampler(client_.get(), {2}, /*reverse_from_layer=*/0);
  LoaderOptions options;
  options.batch_size = 4;
  options.input = FeatureInput(client_.get());
  options.num_classes = 3;
  MiniBatchLoader loader(client_.get(), &sampler, {0, 1, 5}, options, 3);
  MiniBatch batch;
  const auto more = loader.Next(&batch);
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.status().message().find("training node 5 has label -1"), std::string::npos)
      << more.status();
}

// Layer-wise inference over all in-edges computes what the mini-batch
// forward pass computes on blocks sampled with fan-out -1.
TEST_F(TinyGraphTest, LayerwiseInferenceEqualsFullFanoutMiniBatchForward) {
  torch::manual_seed(3);
  for (bool layer_norm : {false, true}) {
    ModelOptions options;
    options.in_dim = 2;
    options.num_hidden = 5;
    options.num_classes = 3;
    options.num_layers = 2;
    options.fanouts = {4, 7};
    options.layer_norm = layer_norm;
    GraphSage model(options);
    const std::vector<int64_t> targets = {5, 1, 2, 5};
    auto logits =
        InferLogits(model, client_.get(), FeatureInput(client_.get()), targets, /*batch_size=*/2);
    ASSERT_TRUE(logits.ok()) << logits.status();

    const BlockSampler sampler(client_.get(), {-1, -1}, /*reverse_from_layer=*/2);
    std::vector<Block> blocks;
    ASSERT_TRUE(sampler.Sample(targets, 0, &blocks).ok());
    torch::Tensor features = torch::empty({blocks.front().num_src(), 2});
    ASSERT_TRUE(
        client_->PullFeatures("feat", blocks.front().src_nodes, features.data_ptr<float>()).ok());
    torch::NoGradGuard no_grad;
    model->eval();
    const torch::Tensor expected = model->Forward(features, blocks);
    EXPECT_TRUE(torch::allclose(*logits, expected, 1e-4, 1e-5)) << *logits << "\nvs\n" << expected;
  }
}

TEST_F(TinyGraphTest, LayerwiseInferenceHonoursZeroFanoutLayers) {
  torch::manual_seed(4);
  ModelOptions options;
  options.in_dim = 2;
  options.num_hidden = 4;
  options.num_classes = 3;
  options.num_layers = 2;
  options.fanouts = {0, 0};
  GraphSage model(options);
  const std::vector<int64_t> targets = {0, 3};
  auto logits = InferLogits(model, client_.get(), FeatureInput(client_.get()), targets, 100);
  ASSERT_TRUE(logits.ok()) << logits.status();
  const BlockSampler sampler(client_.get(), {0, 0}, /*reverse_from_layer=*/2);
  std::vector<Block> blocks;
  ASSERT_TRUE(sampler.Sample(targets, 0, &blocks).ok());
  const torch::Tensor features = torch::tensor({0.0f, 0.0f, 3.0f, 30.0f}).view({2, 2});
  torch::NoGradGuard no_grad;
  model->eval();
  EXPECT_TRUE(torch::allclose(*logits, model->Forward(features, blocks), 1e-5, 1e-6));
}

}  // namespace
}  // namespace distsage
