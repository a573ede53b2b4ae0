#include "trainer/sage_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <utility>
#include <vector>

#include "trainer/neighbor_mean.h"

namespace distsage {
namespace {

// Destinations 0..2 are the first sources; node 2 has no in-edges.
Block SmallBlock() {
  Block block;
  block.num_dst = 3;
  block.src_nodes = {5, 6, 7, 8, 9};
  block.indptr = {0, 3, 4, 4};
  block.indices = {1, 3, 4, 0};
  block.BuildReverse();
  return block;
}

torch::Tensor Param(torch::nn::Module& module, const std::string& name) {
  return module.named_parameters()[name];
}

// DGL's SAGEConv('mean') written out densely.
torch::Tensor DenseSage(torch::nn::Module& conv, const torch::Tensor& x) {
  const torch::Tensor neigh = torch::stack(
      {x.index_select(0, torch::tensor({1, 3, 4})).mean(0), x[0], torch::zeros({x.size(1)})});
  return torch::matmul(x.narrow(0, 0, 3), Param(conv, "weight_self").t()) +
         torch::matmul(neigh, Param(conv, "weight_neigh").t()) + Param(conv, "bias");
}

TEST(SageConvTest, MatchesDenseFormulaWhenAggregatingFirst) {
  torch::manual_seed(0);
  SageConv conv(4, 6);
  ASSERT_FALSE(conv->project_first());
  torch::NoGradGuard no_grad;
  Param(*conv, "bias").uniform_();
  const torch::Tensor x = torch::randn({5, 4});
  EXPECT_TRUE(torch::allclose(conv->Forward(x, SmallBlock()), DenseSage(*conv, x), 1e-5, 1e-6));
}

TEST(SageConvTest, MatchesDenseFormulaWhenProjectingFirst) {
  torch::manual_seed(0);
  SageConv conv(6, 2);
  ASSERT_TRUE(conv->project_first());
  torch::NoGradGuard no_grad;
  Param(*conv, "bias").uniform_();
  const torch::Tensor x = torch::randn({5, 6});
  EXPECT_TRUE(torch::allclose(conv->Forward(x, SmallBlock()), DenseSage(*conv, x), 1e-5, 1e-6));
}

TEST(SageConvTest, WithoutEdgesOnlyTheSelfTermRemains) {
  torch::manual_seed(0);
  SageConv conv(6, 2);
  Block block;
  block.num_dst = 2;
  block.src_nodes = {1, 2};
  block.indptr = {0, 0, 0};
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 6});
  EXPECT_TRUE(torch::allclose(conv->Forward(x, block),
                              torch::matmul(x, Param(*conv, "weight_self").t()), 1e-6, 1e-6));
}

// Layer 0: five destinations over seven sources; layer 1: the first two of them.
std::vector<Block> TwoLayerBlocks() {
  Block first;
  first.num_dst = 5;
  first.src_nodes = {0, 1, 2, 3, 4, 5, 6};
  first.indptr = {0, 2, 3, 5, 6, 7};
  first.indices = {5, 6, 0, 1, 2, 3, 4};
  first.BuildReverse();
  Block second = SmallBlock();
  second.num_dst = 2;
  second.src_nodes = {0, 1, 2, 3, 4};
  second.indptr = {0, 3, 4};
  second.indices = {1, 3, 4, 0};
  second.BuildReverse();
  return {first, second};
}

TEST(GraphSageTest, TwoLayerForwardHasSeedRowsAndTrainsEveryParameter) {
  torch::manual_seed(0);
  ModelOptions options;
  options.in_dim = 6;
  options.num_hidden = 8;
  options.num_classes = 3;
  options.num_layers = 2;
  options.layer_norm = true;
  GraphSage model(options);
  // NeighborMean's backward pass reads the blocks: they outlive it.
  const std::vector<Block> blocks = TwoLayerBlocks();
  const torch::Tensor logits = model->Forward(torch::randn({7, 6}), blocks);
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{2, 3}));
  torch::nn::functional::cross_entropy(logits, torch::tensor({0, 2})).backward();
  for (const auto& param : model->named_parameters()) {
    ASSERT_TRUE(param.value().grad().defined()) << param.key();
    EXPECT_GT(param.value().grad().abs().sum().item<float>(), 0.0f) << param.key();
  }
}

// Fed the first layer's neighbour means computed ahead (as the loader
// computes them), the model gives the logits and parameter gradients it
// gives when fed every input row, whether its first layer projects before
// aggregating (input wider than hidden) or after.
TEST(GraphSageTest, AggregatedFirstLayerGivesTheSameLogitsAndGradients) {
  const std::vector<Block> blocks = TwoLayerBlocks();
  for (const int64_t in_dim : {4, 40}) {
    ModelOptions options;
    options.in_dim = in_dim;
    options.num_hidden = 8;
    options.num_classes = 3;
    options.num_layers = 2;
    options.layer_norm = true;
    options.dropout = 0.0;
    torch::manual_seed(1);
    GraphSage whole(options);
    torch::manual_seed(1);
    GraphSage aggregated(options);
    ASSERT_EQ(whole->layer(0)->project_first(), in_dim > 8);
    const torch::Tensor x = torch::randn({7, in_dim});
    torch::Tensor mean = torch::empty({5, in_dim});
    NeighborMeanRows(x.data_ptr<float>(), in_dim, blocks[0], mean.data_ptr<float>());
    const torch::Tensor expected = whole->Forward(x, blocks);
    const torch::Tensor logits =
        aggregated->ForwardAggregated(x.narrow(0, 0, 5).contiguous(), mean, blocks);
    EXPECT_TRUE(torch::allclose(logits, expected, 1e-5, 1e-6)) << logits << "\nvs\n" << expected;
    const torch::Tensor labels = torch::tensor({0, 2});
    torch::nn::functional::cross_entropy(expected, labels).backward();
    torch::nn::functional::cross_entropy(logits, labels).backward();
    const auto want = whole->named_parameters();
    for (const auto& param : aggregated->named_parameters()) {
      EXPECT_TRUE(torch::allclose(param.value().grad(), want[param.key()].grad(), 1e-5, 1e-6))
          << param.key() << " (in_dim " << in_dim << ")";
    }
  }
}

// Input dropout acts on rows before the mean, which an aggregated batch no
// longer has: training on one is refused rather than silently different.
TEST(GraphSageTest, AggregatedFirstLayerRefusesInputDropoutInTraining) {
  ModelOptions options;
  options.in_dim = 4;
  options.num_hidden = 8;
  options.num_classes = 3;
  options.num_layers = 2;
  options.input_dropout = 0.5;
  GraphSage model(options);
  const std::vector<Block> blocks = TwoLayerBlocks();
  const torch::Tensor rows = torch::randn({5, 4});
  model->train();
  EXPECT_THROW(model->ForwardAggregated(rows, rows, blocks), c10::Error);
  model->eval();
  EXPECT_EQ(model->ForwardAggregated(rows, rows, blocks).sizes(), (std::vector<int64_t>{2, 3}));
}

// One SAGE layer from 40 input features to 5 classes, over SmallBlock().
ModelOptions OneLayerModel() {
  ModelOptions options;
  options.in_dim = 40;
  options.num_hidden = 32;
  options.num_classes = 5;
  options.num_layers = 1;
  return options;
}

// The same model (same float32 parameters) at both precisions: bf16 logits
// are float32 and close to fp32's, and every float32 parameter gets a float32
// gradient through the bf16 copies.
TEST(GraphSageTest, BFloat16ForwardTracksFloat32AndTrainsFloat32Parameters) {
  torch::manual_seed(4);
  GraphSage model(OneLayerModel());
  const std::vector<Block> blocks = {SmallBlock()};  // Outlives backward().
  const torch::Tensor x = torch::randn({5, 40});
  const torch::Tensor fp32 = model->Forward(x, blocks);
  model->SetPrecision(Precision::kBFloat16);
  EXPECT_EQ(model->options().precision, Precision::kBFloat16);
  const torch::Tensor bf16 = model->Forward(x, blocks);
  ASSERT_EQ(bf16.scalar_type(), torch::kFloat);
  EXPECT_FALSE(torch::equal(bf16, fp32));  // It did run in bf16.
  EXPECT_TRUE(torch::allclose(bf16, fp32, 0.03, 0.03)) << bf16 << fp32;
  torch::nn::functional::cross_entropy(bf16, torch::tensor({0, 2, 4})).backward();
  for (const auto& param : model->named_parameters()) {
    ASSERT_TRUE(param.value().grad().defined()) << param.key();
    EXPECT_EQ(param.value().grad().scalar_type(), torch::kFloat) << param.key();
    EXPECT_GT(param.value().grad().abs().sum().item<float>(), 0.0f) << param.key();
  }
}

// The emulation (bf16 roundings, float32 products) computes what LibTorch's
// own bf16 kernels compute, up to the order of the float32 sums: forward and
// every parameter's gradient agree to within a few bf16 roundings.
TEST(GraphSageTest, EmulatedBFloat16MatchesLibTorchsBFloat16Kernels) {
  torch::manual_seed(5);
  GraphSage model(OneLayerModel());
  const std::vector<Block> blocks = {SmallBlock()};
  const torch::Tensor x = torch::randn({5, 40});
  std::vector<torch::Tensor> logits, grads;
  for (const Precision precision : {Precision::kBFloat16, Precision::kBFloat16Emulated}) {
    model->SetPrecision(precision);
    model->zero_grad();
    const torch::Tensor out = model->Forward(x, blocks);
    torch::nn::functional::cross_entropy(out, torch::tensor({0, 2, 4})).backward();
    logits.push_back(out.detach());
    for (const torch::Tensor& p : model->parameters()) grads.push_back(p.grad().clone());
  }
  EXPECT_TRUE(torch::allclose(logits[0], logits[1], 0.02, 0.02)) << logits[0] << logits[1];
  const size_t num_params = grads.size() / 2;
  for (size_t i = 0; i < num_params; ++i) {
    EXPECT_TRUE(torch::allclose(grads[i], grads[num_params + i], 0.05, 0.01)) << i;
  }
}

// At most 1/8 more rows, a handful of values per octave, small counts kept.
TEST(BucketedRowsTest, RoundsUpByLessThanAnEighthToAFewValues) {
  EXPECT_EQ(BucketedRows(0), 0);
  EXPECT_EQ(BucketedRows(16), 16);
  EXPECT_EQ(BucketedRows(17), 32);
  EXPECT_EQ(BucketedRows(1000), 1024);
  EXPECT_EQ(BucketedRows(1024), 1024);
  EXPECT_EQ(BucketedRows(23000), 24576);
  std::set<int64_t> values;
  for (int64_t rows = 17; rows <= 100000; ++rows) {
    const int64_t bucketed = BucketedRows(rows);
    ASSERT_GE(bucketed, rows);
    ASSERT_LE(bucketed * 8, rows * 9 + 16 * 8) << rows;
    values.insert(bucketed);
  }
  EXPECT_LE(values.size(), 8u * 13u);  // 8 per octave from 16 to 2^17.
}

// Random block of `num_dst` destinations over `num_src` sources, `fanout`
// edges each.
Block RandomBlock(int64_t num_dst, int64_t num_src, int fanout) {
  Block block;
  block.num_dst = num_dst;
  for (int64_t i = 0; i < num_src; ++i) block.src_nodes.push_back(100 + i);
  block.indptr = {0};
  for (int64_t i = 0; i < num_dst; ++i) {
    for (int k = 0; k < fanout; ++k) block.indices.push_back((i * 7 + k * 13) % num_src);
    block.indptr.push_back(static_cast<int64_t>(block.indices.size()));
  }
  block.BuildReverse();
  return block;
}

// With bf16 on the matrix units the layer pads its rows to a bucket (40
// destinations, 100 sources: 48 and 112 rows); the emulation never pads. Both
// paths, projecting first or not and with the loader's means, give the same
// outputs and gradients up to bf16 roundings, and no gradient leaks from the
// padding rows.
TEST(SageConvTest, BFloat16RowsPaddedToABucketGiveTheUnpaddedResults) {
  const Block block = RandomBlock(40, 100, 5);
  ASSERT_EQ(BucketedRows(40), 48);
  for (const auto& [in_dim, out_dim] : {std::pair<int64_t, int64_t>{24, 8}, {8, 24}}) {
    torch::manual_seed(6);
    SageConv conv(in_dim, out_dim);
    const torch::Tensor x = torch::randn({100, in_dim});
    const torch::Tensor means = NeighborMean(x, block).detach();
    std::vector<torch::Tensor> outs, grads;
    for (const Precision precision : {Precision::kBFloat16, Precision::kBFloat16Emulated}) {
      conv->set_precision(precision);
      conv->zero_grad();
      const torch::Tensor input = x.clone().requires_grad_(true);
      const torch::Tensor out = conv->Forward(input, block).to(torch::kFloat);
      const torch::Tensor aggregated =
          conv->ForwardAggregated(x.narrow(0, 0, 40), means, block).to(torch::kFloat);
      ASSERT_EQ(out.size(0), 40);
      ASSERT_EQ(aggregated.size(0), 40);
      (out.sum() + aggregated.pow(2).sum()).backward();
      outs.push_back(out.detach());
      outs.push_back(aggregated.detach());
      grads.push_back(input.grad());
      for (const torch::Tensor& p : conv->parameters()) grads.push_back(p.grad().clone());
    }
    const size_t half_outs = outs.size() / 2;
    for (size_t i = 0; i < half_outs; ++i) {
      EXPECT_TRUE(torch::allclose(outs[i], outs[half_outs + i], 0.02, 0.02)) << in_dim << " " << i;
    }
    const size_t half = grads.size() / 2;
    for (size_t i = 0; i < half; ++i) {
      ASSERT_EQ(grads[i].sizes(), grads[half + i].sizes()) << i;
      EXPECT_TRUE(torch::allclose(grads[i], grads[half + i], 0.05, 0.05)) << in_dim << " " << i;
    }
  }
}

}  // namespace
}  // namespace distsage
