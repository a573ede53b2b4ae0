#include "trainer/neighbor_mean.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "trainer/block.h"

namespace distsage {
namespace {

// A block with `num_dst` destinations among `num_src` sources, random degrees
// in [0, max_degree] (so some destinations have none) and repeated sources.
Block RandomBlock(int64_t num_dst, int64_t num_src, int max_degree, uint32_t seed) {
  std::mt19937 rng(seed);
  Block block;
  block.num_dst = num_dst;
  block.src_nodes.resize(num_src);
  for (int64_t j = 0; j < num_src; ++j) block.src_nodes[j] = 1000 + j;
  block.indptr.push_back(0);
  for (int64_t i = 0; i < num_dst; ++i) {
    const int degree = std::uniform_int_distribution<int>(0, max_degree)(rng);
    for (int k = 0; k < degree; ++k) {
      block.indices.push_back(std::uniform_int_distribution<int64_t>(0, num_src - 1)(rng));
    }
    block.indptr.push_back(static_cast<int64_t>(block.indices.size()));
  }
  block.BuildReverse();
  return block;
}

// The dense reference: gather every edge's source row, index_add by
// destination, divide by the degree.
torch::Tensor ReferenceMean(const torch::Tensor& x, const Block& block) {
  std::vector<int64_t> dst_of_edge;
  for (int64_t i = 0; i < block.num_dst; ++i) {
    for (int64_t e = block.indptr[i]; e < block.indptr[i + 1]; ++e) dst_of_edge.push_back(i);
  }
  const auto index_options = torch::TensorOptions().dtype(torch::kInt64);
  torch::Tensor src = torch::tensor(block.indices, index_options);
  torch::Tensor dst = torch::tensor(dst_of_edge, index_options);
  torch::Tensor sum = torch::zeros({block.num_dst, x.size(1)}, x.options())
                          .index_add(0, dst, x.index_select(0, src));
  torch::Tensor degree = torch::tensor(block.indptr, index_options).diff().to(x.scalar_type());
  return sum / degree.clamp_min(1).unsqueeze(1);
}

TEST(BlockTest, ReverseCsrListsEveryEdgeBySource) {
  const Block block = RandomBlock(50, 80, 6, 1);
  ASSERT_EQ(block.rev_indptr.size(), 81u);
  ASSERT_EQ(block.rev_indices.size(), block.indices.size());
  std::multiset<std::pair<int64_t, int64_t>> forward, backward;
  for (int64_t i = 0; i < block.num_dst; ++i) {
    for (int64_t e = block.indptr[i]; e < block.indptr[i + 1]; ++e) {
      forward.insert({block.indices[e], i});
    }
  }
  for (int64_t j = 0; j < block.num_src(); ++j) {
    for (int64_t e = block.rev_indptr[j]; e < block.rev_indptr[j + 1]; ++e) {
      backward.insert({j, block.rev_indices[e]});
    }
  }
  EXPECT_EQ(forward, backward);
}

TEST(NeighborMeanTest, ForwardMatchesDenseReference) {
  torch::manual_seed(0);
  for (int64_t dim : {1, 7, 64}) {
    const Block block = RandomBlock(300, 500, 12, static_cast<uint32_t>(dim));
    const torch::Tensor x = torch::randn({500, dim});
    const torch::Tensor out = NeighborMean(x, block);
    ASSERT_EQ(out.sizes(), (std::vector<int64_t>{300, dim}));
    EXPECT_TRUE(torch::allclose(out, ReferenceMean(x, block), 1e-5, 1e-5)) << "dim " << dim;
  }
}

// bfloat16 rows (8 mantissa bits) are summed in float32 and rounded once: the
// result is within one bf16 rounding of the float32 mean of the same values.
// A bf16 running sum over ~40 neighbours would be off by several roundings.
TEST(NeighborMeanTest, BFloat16RowsAreSummedInFloat32) {
  torch::manual_seed(2);
  const Block block = RandomBlock(300, 500, 80, 3);
  const torch::Tensor x = (torch::rand({500, 48}) + 1.0).to(torch::kBFloat16);
  const torch::Tensor out = NeighborMean(x, block);
  ASSERT_EQ(out.scalar_type(), torch::kBFloat16);
  const torch::Tensor reference = ReferenceMean(x.to(torch::kFloat), block);
  const torch::Tensor error = (out.to(torch::kFloat) - reference).abs();
  // Half a bf16 ulp of values in [1, 2) is 2^-8.
  EXPECT_LE(error.max().item<float>(), std::ldexp(1.0f, -8) * 1.01f);
}

TEST(NeighborMeanTest, BFloat16BackwardMatchesFloat32WithinRounding) {
  torch::manual_seed(3);
  const Block block = RandomBlock(200, 350, 30, 9);
  const torch::Tensor weights = torch::rand({200, 20}) + 1.0;
  torch::Tensor x = (torch::rand({350, 20}) + 1.0).to(torch::kBFloat16).requires_grad_(true);
  (NeighborMean(x, block).to(torch::kFloat) * weights).sum().backward();
  ASSERT_EQ(x.grad().scalar_type(), torch::kBFloat16);
  torch::Tensor x32 = x.detach().to(torch::kFloat).requires_grad_(true);
  (ReferenceMean(x32, block) * weights).sum().backward();
  EXPECT_TRUE(torch::allclose(x.grad().to(torch::kFloat), x32.grad(), 1.0 / 128, 1e-3));
}

TEST(NeighborMeanTest, DestinationWithoutEdgesGetsZeros) {
  Block block;
  block.num_dst = 2;
  block.src_nodes = {10, 11, 12};
  block.indptr = {0, 0, 2};
  block.indices = {1, 2};
  const torch::Tensor x = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 9.0f}).view({3, 2});
  const torch::Tensor out = NeighborMean(x, block);
  EXPECT_TRUE(torch::equal(out, torch::tensor({0.0f, 0.0f, 4.0f, 6.5f}).view({2, 2})));
}

TEST(NeighborMeanTest, BackwardMatchesAutogradOfDenseReference) {
  torch::manual_seed(1);
  const Block block = RandomBlock(200, 350, 15, 7);
  const torch::Tensor weights = torch::randn({200, 33}, torch::kFloat64);
  torch::Tensor x = torch::randn({350, 33}, torch::kFloat64).requires_grad_(true);
  (NeighborMean(x, block) * weights).sum().backward();
  const torch::Tensor kernel_grad = x.grad().clone();
  x.grad().zero_();
  (ReferenceMean(x, block) * weights).sum().backward();
  EXPECT_TRUE(torch::allclose(kernel_grad, x.grad(), 1e-12, 1e-12));
}

TEST(NeighborMeanTest, GradientMatchesFiniteDifferences) {
  torch::manual_seed(2);
  const Block block = RandomBlock(6, 9, 4, 3);
  const torch::Tensor weights = torch::randn({6, 3}, torch::kFloat64);
  torch::Tensor x = torch::randn({9, 3}, torch::kFloat64).requires_grad_(true);
  (NeighborMean(x, block) * weights).sum().backward();
  const double eps = 1e-6;
  torch::NoGradGuard no_grad;
  for (int64_t r = 0; r < 9; ++r) {
    for (int64_t c = 0; c < 3; ++c) {
      torch::Tensor plus = x.detach().clone();
      torch::Tensor minus = x.detach().clone();
      plus[r][c] += eps;
      minus[r][c] -= eps;
      const double numeric = ((NeighborMean(plus, block) * weights).sum() -
                              (NeighborMean(minus, block) * weights).sum())
                                 .item<double>() /
                             (2 * eps);
      EXPECT_NEAR(x.grad()[r][c].item<double>(), numeric, 1e-7) << r << "," << c;
    }
  }
}

TEST(NeighborMeanTest, ParallelResultEqualsSingleThreaded) {
  const Block block = RandomBlock(4000, 6000, 20, 11);
  const torch::Tensor x = torch::randn({6000, 48});
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  const torch::Tensor serial = NeighborMean(x, block);
  torch::set_num_threads(std::max(2, threads));
  EXPECT_TRUE(torch::equal(serial, NeighborMean(x, block)));
  torch::set_num_threads(threads);
}

// The loader's variants (no autograd, the calling thread only) give what the
// autograd op's forward pass gives, bit for bit.
TEST(NeighborMeanTest, RowsVariantEqualsTheAutogradOpBitForBit) {
  const Block block = RandomBlock(700, 1000, 15, 5);
  const torch::Tensor x = torch::randn({1000, 33});
  torch::Tensor out = torch::empty({700, 33});
  NeighborMeanRows(x.data_ptr<float>(), 33, block, out.data_ptr<float>());
  EXPECT_TRUE(torch::equal(out, NeighborMean(x, block)));

  // And over the same rows read where they are (here: every row in a
  // shuffled place of another matrix), the same bits again.
  const torch::Tensor order = torch::randperm(1000);
  const torch::Tensor shuffled = torch::empty_like(x).index_copy_(0, order, x);
  std::vector<const float*> rows(1000);
  for (int64_t i = 0; i < 1000; ++i) {
    rows[i] = shuffled.data_ptr<float>() + order[i].item<int64_t>() * 33;
  }
  torch::Tensor located = torch::empty({700, 33});
  NeighborMeanRows(rows.data(), 33, block, located.data_ptr<float>());
  EXPECT_TRUE(torch::equal(located, out));
}

// Bit for bit LibTorch's conversion: ties to even, infinities, NaNs,
// denormals and a sweep of random values.
TEST(RoundToBFloat16Test, MatchesLibTorchsConversionBitForBit) {
  std::vector<float> values = {0.0f,
                               -0.0f,
                               1.0f,
                               1.00390625f,  // A tie (halfway between two bf16 values).
                               1.01171875f,  // The tie above it.
                               std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::quiet_NaN(),
                               std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::max(),
                               -3.3e38f};
  const at::Tensor random = torch::randn({4096}) * 1000;
  for (int64_t i = 0; i < random.size(0); ++i) values.push_back(random[i].item<float>());
  std::vector<c10::BFloat16> ours(values.size());
  RoundToBFloat16(values.data(), static_cast<int64_t>(values.size()), ours.data());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(ours[i].x, c10::BFloat16(values[i]).x) << values[i];
  }
}

}  // namespace
}  // namespace distsage
