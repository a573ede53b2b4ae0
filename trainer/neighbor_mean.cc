#include "trainer/neighbor_mean.h"

#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "common/bfloat16.h"

namespace distsage {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// How far ahead the forward sum prefetches source rows, and how much of each.
// At products scale (random 400-byte rows, one per edge) 24 edges ahead made
// the loader's means 0.72x of 8 ahead's, and 40 ahead 1.26x of 24's
// (bench/results/mean_prefetch.md).
constexpr int64_t kPrefetchEdges = 24;
constexpr int64_t kPrefetchBytes = 512;

// Rows per parallel task: enough that a task moves ~64K scalars.
int64_t GrainSize(int64_t num_rows, int64_t num_edges, int64_t dim) {
  const int64_t work_per_row =
      std::max<int64_t>(1, (num_edges / std::max<int64_t>(1, num_rows) + 1) * dim);
  return std::max<int64_t>(1, (int64_t{1} << 16) / work_per_row);
}

// out[row] = scale(row) * sum of row_at(index[e]) over e in [ptr[row], ptr[row+1]),
// where scale(row) = 1 / (segment length of `norm_ptr` at the node it names).
// The forward pass is the case row == segment; the backward pass sums the
// destinations of a source, each weighted by 1 / that destination's degree.
// Sums run in acc_t (float for bfloat16 rows: a bf16 running sum of 25
// neighbours would lose most of its 8 mantissa bits); float and double rows
// are summed in place. `parallel`: over LibTorch's intra-op threads, or all
// in the calling thread. row_at(i) is the address of input row i (dim values):
// RowsOf for a matrix, or a table of addresses.
template <typename scalar_t, typename RowAt, typename out_t>
void SegmentSum(RowAt row_at, int64_t dim, const int64_t* ptr, const int64_t* index,
                int64_t num_rows, const int64_t* norm_ptr, bool scale_by_target, bool parallel,
                out_t* out) {
  using acc_t = at::opmath_type<scalar_t>;
  constexpr bool kInPlace = std::is_same_v<acc_t, scalar_t> && std::is_same_v<out_t, scalar_t>;
  const int64_t num_edges = ptr[num_rows];
  const int64_t prefetch_bytes =
      std::min<int64_t>(dim * static_cast<int64_t>(sizeof(scalar_t)), kPrefetchBytes);
  const auto sum_rows = [&](int64_t begin, int64_t end) {
    std::vector<acc_t> scratch(kInPlace ? 0 : dim);
    for (int64_t row = begin; row < end; ++row) {
      acc_t* sum;
      if constexpr (kInPlace) {
        sum = out + row * dim;
      } else {
        sum = scratch.data();
      }
      std::fill(sum, sum + dim, acc_t(0));
      const int64_t first = ptr[row];
      const int64_t last = ptr[row + 1];
      if (!scale_by_target) {
        for (int64_t e = first; e < last; ++e) {
          // The rows are random and rarely cached: ask for the lines of the
          // row kPrefetchEdges edges ahead.
          if (e + kPrefetchEdges < num_edges) {
            const char* ahead = reinterpret_cast<const char*>(row_at(index[e + kPrefetchEdges]));
            for (int64_t b = 0; b < prefetch_bytes; b += 64) {
              __builtin_prefetch(ahead + b);
            }
          }
          const scalar_t* in_row = row_at(index[e]);
          for (int64_t d = 0; d < dim; ++d) sum[d] += static_cast<acc_t>(in_row[d]);
        }
        if (last > first) {
          const acc_t inv = acc_t(1) / static_cast<acc_t>(last - first);
          for (int64_t d = 0; d < dim; ++d) sum[d] *= inv;
        }
      } else {
        for (int64_t e = first; e < last; ++e) {
          const int64_t target = index[e];
          const acc_t inv = acc_t(1) / static_cast<acc_t>(norm_ptr[target + 1] - norm_ptr[target]);
          const scalar_t* in_row = row_at(target);
          for (int64_t d = 0; d < dim; ++d) sum[d] += inv * static_cast<acc_t>(in_row[d]);
        }
      }
      if constexpr (std::is_same_v<out_t, c10::BFloat16> && std::is_same_v<acc_t, float>) {
        RoundToBFloat16(sum, dim, out + row * dim);
      } else if constexpr (!kInPlace) {
        out_t* out_row = out + row * dim;
        for (int64_t d = 0; d < dim; ++d) out_row[d] = static_cast<out_t>(sum[d]);
      }
    }
  };
  if (parallel) {
    at::parallel_for(0, num_rows, GrainSize(num_rows, ptr[num_rows], dim), sum_rows);
  } else {
    sum_rows(0, num_rows);
  }
}

}  // namespace

void RoundToBFloat16(const float* in, int64_t count, c10::BFloat16* out) {
  for (int64_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &in[i], sizeof(bits));
    out[i] = c10::BFloat16(RoundFloatBitsToBFloat16(bits), c10::BFloat16::from_bits());
  }
}

namespace {

// Row i of a row-major matrix of width dim.
template <typename scalar_t>
auto RowsOf(const scalar_t* x, int64_t dim) {
  return [x, dim](int64_t i) { return x + i * dim; };
}

class NeighborMeanFunction : public torch::autograd::Function<NeighborMeanFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const Block* block) {
    ctx->saved_data["block"] = reinterpret_cast<int64_t>(block);
    ctx->saved_data["num_src"] = x.size(0);
    const at::Tensor input = x.contiguous();
    at::Tensor out = at::empty({block->num_dst, x.size(1)}, x.options());
    AT_DISPATCH_FLOATING_TYPES_AND(at::kBFloat16, x.scalar_type(), "NeighborMean", [&] {
      SegmentSum<scalar_t>(RowsOf(input.data_ptr<scalar_t>(), x.size(1)), x.size(1),
                           block->indptr.data(), block->indices.data(), block->num_dst, nullptr,
                           false,
                           /*parallel=*/true, out.data_ptr<scalar_t>());
    });
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const Block* block = reinterpret_cast<const Block*>(ctx->saved_data["block"].toInt());
    const int64_t num_src = ctx->saved_data["num_src"].toInt();
    TORCH_CHECK(static_cast<int64_t>(block->rev_indptr.size()) == num_src + 1,
                "NeighborMean backward needs Block::BuildReverse() over the ", num_src,
                " source rows");
    const at::Tensor grad_out = grad_outputs[0].contiguous();
    at::Tensor grad_x = at::empty({num_src, grad_out.size(1)}, grad_out.options());
    AT_DISPATCH_FLOATING_TYPES_AND(
        at::kBFloat16, grad_out.scalar_type(), "NeighborMeanBackward", [&] {
          SegmentSum<scalar_t>(RowsOf(grad_out.data_ptr<scalar_t>(), grad_out.size(1)),
                               grad_out.size(1), block->rev_indptr.data(),
                               block->rev_indices.data(), num_src, block->indptr.data(), true,
                               /*parallel=*/true, grad_x.data_ptr<scalar_t>());
        });
    return {grad_x, at::Tensor()};
  }
};

}  // namespace

at::Tensor NeighborMean(const at::Tensor& x, const Block& block) {
  TORCH_CHECK(x.dim() == 2, "NeighborMean expects a 2-D input, got ", x.dim(), "-D");
  TORCH_CHECK(static_cast<int64_t>(block.indptr.size()) == block.num_dst + 1, "block has ",
              block.indptr.size(), " indptr entries for ", block.num_dst, " destinations");
  return NeighborMeanFunction::apply(x, &block);
}

void NeighborMeanRows(const float* x, int64_t dim, const Block& block, float* out) {
  SegmentSum<float>(RowsOf(x, dim), dim, block.indptr.data(), block.indices.data(), block.num_dst,
                    nullptr, false, /*parallel=*/false, out);
}

void NeighborMeanRows(const float* const* rows, int64_t dim, const Block& block, float* out) {
  SegmentSum<float>([rows](int64_t i) { return rows[i]; }, dim, block.indptr.data(),
                    block.indices.data(), block.num_dst, nullptr, false, /*parallel=*/false, out);
}

void NeighborMeanRows(const float* x, int64_t dim, const Block& block, c10::BFloat16* out) {
  SegmentSum<float>(RowsOf(x, dim), dim, block.indptr.data(), block.indices.data(), block.num_dst,
                    nullptr, false, /*parallel=*/false, out);
}

void NeighborMeanRows(const float* const* rows, int64_t dim, const Block& block,
                      c10::BFloat16* out) {
  SegmentSum<float>([rows](int64_t i) { return rows[i]; }, dim, block.indptr.data(),
                    block.indices.data(), block.num_dst, nullptr, false, /*parallel=*/false, out);
}

namespace {

// Row i of stored bfloat16 bit patterns, as LibTorch's bfloat16 (the same
// 16 bits).
auto BFloat16RowsAt(const uint16_t* const* rows) {
  return [rows](int64_t i) { return reinterpret_cast<const c10::BFloat16*>(rows[i]); };
}

}  // namespace

void NeighborMeanRows(const uint16_t* const* rows, int64_t dim, const Block& block, float* out) {
  SegmentSum<c10::BFloat16>(BFloat16RowsAt(rows), dim, block.indptr.data(), block.indices.data(),
                            block.num_dst, nullptr, false, /*parallel=*/false, out);
}

void NeighborMeanRows(const uint16_t* const* rows, int64_t dim, const Block& block,
                      c10::BFloat16* out) {
  SegmentSum<c10::BFloat16>(BFloat16RowsAt(rows), dim, block.indptr.data(), block.indices.data(),
                            block.num_dst, nullptr, false, /*parallel=*/false, out);
}

}  // namespace distsage
