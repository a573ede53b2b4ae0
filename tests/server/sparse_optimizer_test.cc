// The server's sparse optimisers against LibTorch's dense ones on the touched
// rows: a KV table whose rows 3 and 7 are pushed every step (with duplicate
// IDs, which are summed first) must follow torch::optim::SGD / Adagrad / Adam
// on a dense tensor of those two rows fed the summed gradients; rows never
// pushed must not move (lazy state).
#include "server/sparse_optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "server/kv_table.h"

namespace distsage {
namespace {

constexpr int kDim = 4;
constexpr int kRows = 10;

struct Case {
  const char* kind;
  float lr;
};

std::unique_ptr<torch::optim::Optimizer> DenseOptimizer(const Case& c, torch::Tensor weight) {
  std::vector<torch::Tensor> params = {weight};
  if (std::string(c.kind) == "sgd") {
    return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(c.lr));
  }
  if (std::string(c.kind) == "adagrad") {
    return std::make_unique<torch::optim::Adagrad>(params,
                                                   torch::optim::AdagradOptions(c.lr).eps(1e-10));
  }
  return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(c.lr).eps(1e-8));
}

class SparseOptimizerTest : public ::testing::TestWithParam<Case> {};

TEST_P(SparseOptimizerTest, MatchesTheDenseLibTorchOptimizerOnTouchedRows) {
  const Case& c = GetParam();
  KVTensorSpec spec;
  spec.name = "emb";
  spec.dim = kDim;
  spec.init = "uniform";
  spec.init_scale = 0.5f;
  spec.seed = 7;
  absl::StatusOr<OptimizerOptions> optimizer = ParseOptimizer(c.kind, c.lr, 0, 0, 0);
  ASSERT_TRUE(optimizer.ok()) << optimizer.status();
  spec.optimizer = *optimizer;
  KVTable table(spec, 100, 100 + kRows);

  std::vector<float> initial(kRows * kDim);
  std::vector<int64_t> all(kRows);
  for (int r = 0; r < kRows; ++r) all[r] = 100 + r;
  ASSERT_TRUE(table.Pull(all, initial.data()).ok());

  // The dense reference holds rows 3 and 7 only.
  torch::Tensor weight = torch::empty({2, kDim});
  for (int k = 0; k < kDim; ++k) {
    weight[0][k] = initial[3 * kDim + k];
    weight[1][k] = initial[7 * kDim + k];
  }
  weight.requires_grad_(true);
  std::unique_ptr<torch::optim::Optimizer> dense = DenseOptimizer(c, weight);

  torch::manual_seed(1);
  for (int step = 0; step < 20; ++step) {
    // Three gradient rows: node 103 twice, node 107 once.
    const torch::Tensor grads = torch::randn({3, kDim});
    const std::vector<int64_t> ids = {103, 107, 103};
    std::vector<float> flat(grads.data_ptr<float>(), grads.data_ptr<float>() + 3 * kDim);
    absl::StatusOr<int64_t> updated = table.Push(ids, flat);
    ASSERT_TRUE(updated.ok()) << updated.status();
    EXPECT_EQ(*updated, 2);

    dense->zero_grad();
    weight.mutable_grad() = torch::stack({grads[0] + grads[2], grads[1]});
    dense->step();
  }
  std::vector<float> rows(kRows * kDim);
  ASSERT_TRUE(table.Pull(all, rows.data()).ok());
  for (int k = 0; k < kDim; ++k) {
    EXPECT_NEAR(rows[3 * kDim + k], weight[0][k].item<float>(), 1e-5) << "row 3, element " << k;
    EXPECT_NEAR(rows[7 * kDim + k], weight[1][k].item<float>(), 1e-5) << "row 7, element " << k;
  }
  // Lazy: untouched rows and their state did not move.
  for (int r : {0, 1, 2, 4, 5, 6, 8, 9}) {
    for (int k = 0; k < kDim; ++k) EXPECT_EQ(rows[r * kDim + k], initial[r * kDim + k]);
  }
  const KVTableContents contents = table.Snapshot();
  const size_t width = static_cast<size_t>(StateSlots(spec.optimizer.kind)) * kDim;
  for (int r : {0, 5, 9}) {
    for (size_t k = 0; k < width; ++k) EXPECT_EQ(contents.state[r * width + k], 0.0f);
    if (!contents.steps.empty()) {
      EXPECT_EQ(contents.steps[r], 0);
    }
  }
  if (!contents.steps.empty()) {
    EXPECT_EQ(contents.steps[3], 20);
    EXPECT_EQ(contents.steps[7], 20);
  }
}

INSTANTIATE_TEST_SUITE_P(Optimizers, SparseOptimizerTest,
                         ::testing::Values(Case{"sgd", 0.1f}, Case{"adagrad", 0.05f},
                                           Case{"adam", 0.01f}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.kind);
                         });

TEST(SparseOptimizerTest, RefusesUnknownKindsAndBadHyperParameters) {
  EXPECT_FALSE(ParseOptimizer("rmsprop", 0.1f, 0, 0, 0).ok());
  EXPECT_FALSE(ParseOptimizer("sgd", -1.0f, 0, 0, 0).ok());
  EXPECT_FALSE(ParseOptimizer("adam", 0.1f, 0, 1.0f, 0).ok());
  EXPECT_TRUE(ParseOptimizer("adam", 0.1f, 0, 0, 0).ok());
}

}  // namespace
}  // namespace distsage
