#include "trainer/sage_model.h"

#include <torch/nn/functional/dropout.h>
#include <torch/nn/init.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "trainer/counter_dropout.h"
#include "trainer/neighbor_mean.h"

namespace distsage {

SageConvImpl::SageConvImpl(int64_t in_dim, int64_t out_dim, Precision precision)
    : in_dim_(in_dim), out_dim_(out_dim), precision_(precision) {
  weight_self_ = register_parameter("weight_self", torch::empty({out_dim, in_dim}));
  weight_neigh_ = register_parameter("weight_neigh", torch::empty({out_dim, in_dim}));
  bias_ = register_parameter("bias", torch::zeros({out_dim}));
  const double gain = std::sqrt(2.0);  // nn.init.calculate_gain("relu")
  torch::nn::init::xavier_uniform_(weight_self_, gain);
  torch::nn::init::xavier_uniform_(weight_neigh_, gain);
}

at::Tensor SageConvImpl::ToCompute(const at::Tensor& t) const {
  const at::ScalarType dtype = RoundsToBFloat16(precision_) ? at::kBFloat16 : at::kFloat;
  return t.scalar_type() == dtype ? t : t.to(dtype);
}

at::Tensor SageConvImpl::Affine(const at::Tensor& add, const at::Tensor& x,
                                const at::Tensor& weight) const {
  if (precision_ != Precision::kBFloat16Emulated) {
    return add.defined() ? at::addmm(ToCompute(add), ToCompute(x), ToCompute(weight).t())
                         : at::matmul(ToCompute(x), ToCompute(weight).t());
  }
  // The operands rounded to bf16, multiplied and summed in float32, the
  // result rounded once: what the bf16 units compute.
  const auto rounded = [this](const at::Tensor& t) { return ToCompute(t).to(at::kFloat); };
  const at::Tensor out = add.defined() ? at::addmm(rounded(add), rounded(x), rounded(weight).t())
                                       : at::matmul(rounded(x), rounded(weight).t());
  return out.to(at::kBFloat16);
}

int64_t BucketedRows(int64_t rows) {
  constexpr int64_t kMinStep = 16;
  if (rows <= kMinStep) return rows;
  const int top_bit = 63 - __builtin_clzll(static_cast<uint64_t>(rows));
  const int64_t step = std::max<int64_t>(kMinStep, int64_t{1} << std::max(0, top_bit - 3));
  return (rows + step - 1) / step * step;
}

int64_t SageConvImpl::ComputeRows(int64_t rows) const {
  return precision_ == Precision::kBFloat16 ? BucketedRows(rows) : rows;
}

at::Tensor SageConvImpl::PaddedToCompute(const at::Tensor& x, int64_t rows) const {
  const int64_t given = x.size(0);
  if (rows == given) return ToCompute(x);
  // One copy that converts and pads (autograd routes the gradient of the
  // first `given` rows back to x).
  at::Tensor padded = at::empty({rows, x.size(1)}, x.options().dtype(at::kBFloat16));
  padded.narrow(0, given, rows - given).zero_();
  padded.narrow(0, 0, given).copy_(x);
  return padded;
}

at::Tensor SageConvImpl::PrepareSource(const at::Tensor& x_src) {
  if (!project_first()) return x_src;
  const int64_t rows = x_src.size(0);
  const at::Tensor projected =
      Affine(at::Tensor(), PaddedToCompute(x_src, ComputeRows(rows)), weight_neigh_);
  return projected.size(0) == rows ? projected : projected.narrow(0, 0, rows);
}

at::Tensor SageConvImpl::SelfPlusNeighbours(const at::Tensor& x_dst, const at::Tensor& aggregated,
                                            bool projected) {
  const int64_t rows = x_dst.size(0);
  const int64_t compute_rows = ComputeRows(rows);
  at::Tensor out = Affine(bias_, PaddedToCompute(x_dst, compute_rows), weight_self_);
  if (aggregated.defined() && !projected) {
    out = Affine(out, PaddedToCompute(aggregated, compute_rows), weight_neigh_);
  }
  if (compute_rows != rows) out = out.narrow(0, 0, rows);
  return aggregated.defined() && projected ? out.add(ToCompute(aggregated)) : out;
}

at::Tensor SageConvImpl::Combine(const at::Tensor& x_dst, const at::Tensor& aggregated) {
  return SelfPlusNeighbours(x_dst, aggregated, project_first());
}

at::Tensor SageConvImpl::Forward(const at::Tensor& x_src, const Block& block) {
  const at::Tensor x_dst = x_src.narrow(0, 0, block.num_dst);
  // Without edges (fan-out 0) the neighbour term is exactly zero.
  if (block.num_edges() == 0) return SelfPlusNeighbours(x_dst, at::Tensor(), false);
  return Combine(x_dst, NeighborMean(PrepareSource(x_src), block));
}

at::Tensor SageConvImpl::ForwardAggregated(const at::Tensor& x_dst, const at::Tensor& neighbor_mean,
                                           const Block& block) {
  TORCH_CHECK(x_dst.size(0) == block.num_dst && neighbor_mean.sizes() == x_dst.sizes(), "got ",
              x_dst.sizes(), " destination rows and ", neighbor_mean.sizes(),
              " neighbour means for a block of ", block.num_dst, " destinations");
  return SelfPlusNeighbours(x_dst, block.num_edges() == 0 ? at::Tensor() : neighbor_mean,
                            /*projected=*/false);
}

GraphSageImpl::GraphSageImpl(const ModelOptions& options) : options_(options) {
  for (int i = 0; i < options.num_layers; ++i) {
    const int64_t in = i == 0 ? options.in_dim : options.num_hidden;
    const int64_t out = i == options.num_layers - 1 ? options.num_classes : options.num_hidden;
    layers_.push_back(
        register_module("layer" + std::to_string(i), SageConv(in, out, options.precision)));
    if (options.layer_norm && i + 1 < options.num_layers) {
      norms_.push_back(register_module("norm" + std::to_string(i),
                                       torch::nn::LayerNorm(torch::nn::LayerNormOptions({out}))));
    }
  }
}

void GraphSageImpl::SetPrecision(Precision precision) {
  options_.precision = precision;
  for (SageConv& layer : layers_) layer->set_precision(precision);
}

at::Tensor GraphSageImpl::BetweenLayers(int index, const at::Tensor& h) {
  // LayerNorm's statistics in float32, whatever the layers compute in.
  at::Tensor out = options_.layer_norm ? norms_[index]->forward(h.to(at::kFloat)) : h;
  out = at::relu(out);
  return Dropout(out, options_.dropout);
}

at::Tensor GraphSageImpl::Dropout(const at::Tensor& x, double p) {
  if (options_.dropout_masks == DropoutMasks::kCounter) {
    return CounterDropout(x, p, is_training());
  }
  return torch::nn::functional::dropout(
      x, torch::nn::functional::DropoutFuncOptions().p(p).training(is_training()));
}

void GraphSageImpl::CheckBlocks(const std::vector<Block>& blocks) const {
  TORCH_CHECK(static_cast<int>(blocks.size()) == num_layers(), "got ", blocks.size(),
              " blocks for a ", num_layers(), "-layer model");
}

at::Tensor GraphSageImpl::Forward(const at::Tensor& features, const std::vector<Block>& blocks) {
  CheckBlocks(blocks);
  const at::Tensor input = Dropout(features, options_.input_dropout);
  return AfterFirstLayer(layers_[0]->Forward(input, blocks[0]), blocks);
}

at::Tensor GraphSageImpl::ForwardAggregated(const at::Tensor& dst_features,
                                            const at::Tensor& neighbor_mean,
                                            const std::vector<Block>& blocks) {
  CheckBlocks(blocks);
  TORCH_CHECK(options_.input_dropout == 0.0 || !is_training(),
              "input dropout acts on the rows before the mean: train such a model on batches "
              "whose first layer is not aggregated ahead");
  return AfterFirstLayer(layers_[0]->ForwardAggregated(dst_features, neighbor_mean, blocks[0]),
                         blocks);
}

at::Tensor GraphSageImpl::AfterFirstLayer(at::Tensor first_out, const std::vector<Block>& blocks) {
  at::Tensor h = std::move(first_out);
  for (int i = 1; i < num_layers(); ++i) {
    h = layers_[i]->Forward(BetweenLayers(i - 1, h), blocks[i]);
  }
  // The loss and its softmax in float32 (what autocast does too).
  return h.scalar_type() == at::kFloat ? h : h.to(at::kFloat);
}

}  // namespace distsage
