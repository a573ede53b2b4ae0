// GraphSAGE with the mean aggregator, layer for layer what DGL's
// SAGEConv('mean') computes:
//   h_dst' = W_self h_dst + W_neigh mean(h_src over sampled in-neighbours) + b
// with ReLU and dropout between layers (optionally LayerNorm before them) and
// optionally dropout on the input features.
#ifndef DISTSAGE_TRAINER_SAGE_MODEL_H_
#define DISTSAGE_TRAINER_SAGE_MODEL_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "trainer/block.h"
#include "trainer/train_options.h"

namespace distsage {

class SageConvImpl : public torch::nn::Module {
 public:
  // Weights as DGL initialises them (Xavier-uniform, ReLU gain; zero bias).
  // The parameters are float32 (the master copy the optimiser updates); with
  // Precision::kBFloat16 the matrix products take bfloat16 copies of them and
  // of the input, and the layer's output is bfloat16.
  SageConvImpl(int64_t in_dim, int64_t out_dim, Precision precision = Precision::kFloat32);

  // One layer over a block: rows of `x_src` are the block's source nodes (so
  // its first block.num_dst rows are the destinations); block.num_dst rows out.
  at::Tensor Forward(const at::Tensor& x_src, const Block& block);

  // Forward for a first layer whose neighbour means were computed ahead
  // (NeighborMeanRows over the input rows, in the loader): `x_dst` are the
  // block's destinations' rows and `neighbor_mean` their means. The same
  // function as Forward, since the mean is linear (W mean(x) = mean(W x)), up
  // to rounding, but it projects block.num_dst rows instead of
  // block.num_src() when in_dim > out_dim. No gradient reaches the inputs.
  at::Tensor ForwardAggregated(const at::Tensor& x_dst, const at::Tensor& neighbor_mean,
                               const Block& block);

  // The two halves of Forward, for layer-wise inference that aggregates many
  // destination batches over one shared source tensor. Since the mean is
  // linear, mean(W x) = W mean(x): PrepareSource projects the sources first
  // when that narrows them (in_dim > out_dim) and is the identity otherwise;
  // Combine adds the self term, the (remaining) projection and the bias.
  at::Tensor PrepareSource(const at::Tensor& x_src);
  at::Tensor Combine(const at::Tensor& x_dst, const at::Tensor& aggregated);

  bool project_first() const { return in_dim_ > out_dim_; }
  int64_t in_dim() const { return in_dim_; }
  int64_t out_dim() const { return out_dim_; }
  void set_precision(Precision precision) { precision_ = precision; }

 private:
  // `t` in the dtype the matrix products run in (autograd-tracked, so the
  // float32 parameters get float32 gradients).
  at::Tensor ToCompute(const at::Tensor& t) const;
  // add + x weight^T (add may be undefined: none), in the layer's precision.
  at::Tensor Affine(const at::Tensor& add, const at::Tensor& x, const at::Tensor& weight) const;
  // The rows the layer's matrix products run over for `rows` rows of input:
  // `rows` itself, except for bf16 on the matrix units (Precision::kBFloat16),
  // where LibTorch creates (JIT-compiles) a oneDNN primitive for every new
  // shape and the first layer's row count is new with every batch. There the
  // count is rounded up to BucketedRows, so that the shapes recur and the
  // primitives are created once and then found in oneDNN's cache.
  int64_t ComputeRows(int64_t rows) const;
  // `x` (rows x width) in the compute dtype, with zero rows appended up to
  // `rows` (>= x.size(0)): they add zero rows to the products' outputs and
  // nothing to the weights' gradients.
  at::Tensor PaddedToCompute(const at::Tensor& x, int64_t rows) const;
  // The layer's output for x_dst (its rows: destinations) given the
  // aggregated neighbour term, or without one (undefined: no edges); with
  // `projected`, `aggregated` is already out_dim wide (PrepareSource's).
  at::Tensor SelfPlusNeighbours(const at::Tensor& x_dst, const at::Tensor& aggregated,
                                bool projected);

  int64_t in_dim_;
  int64_t out_dim_;
  Precision precision_;
  at::Tensor weight_self_;   // [out_dim, in_dim]
  at::Tensor weight_neigh_;  // [out_dim, in_dim]
  at::Tensor bias_;          // [out_dim]
};
TORCH_MODULE(SageConv);

// `rows` rounded up to a multiple of 2^(floor(log2(rows)) - 3), at least 16:
// at most 1/8 more rows (under 1/16 on average), and 8 values per octave, so
// that row counts drawn from a narrow range (the first layer's destinations
// of batches of one size) give a handful of shapes.
int64_t BucketedRows(int64_t rows);

class GraphSageImpl : public torch::nn::Module {
 public:
  explicit GraphSageImpl(const ModelOptions& options);

  // Logits (float32 at any precision) of blocks.back()'s destination nodes
  // from the input features of blocks.front()'s source nodes. Dropout is
  // active in training mode.
  at::Tensor Forward(const at::Tensor& features, const std::vector<Block>& blocks);
  // The same from a batch whose first layer was aggregated ahead
  // (MiniBatch::neighbor_mean): `dst_features` are the rows of
  // blocks.front()'s destinations, `neighbor_mean` the means of their sampled
  // in-neighbours' rows. Needs input_dropout 0 in training (dropout would
  // have had to act on the rows before the mean).
  at::Tensor ForwardAggregated(const at::Tensor& dst_features, const at::Tensor& neighbor_mean,
                               const std::vector<Block>& blocks);

  int num_layers() const { return static_cast<int>(layers_.size()); }
  SageConv& layer(int index) { return layers_[index]; }
  const SageConv& layer(int index) const { return layers_[index]; }
  // What follows hidden layer `index`: LayerNorm (if configured), ReLU, and
  // dropout in training mode. Not applied after the output layer.
  at::Tensor BetweenLayers(int index, const at::Tensor& h);
  const ModelOptions& options() const { return options_; }
  // Switches every layer's arithmetic (e.g. for a loaded model).
  void SetPrecision(Precision precision);
  // How dropout masks are drawn from now on (a run setting, as precision).
  void SetDropoutMasks(DropoutMasks masks) { options_.dropout_masks = masks; }

 private:
  // Dropout of probability p as options().dropout_masks says, in training.
  at::Tensor Dropout(const at::Tensor& x, double p);
  void CheckBlocks(const std::vector<Block>& blocks) const;
  // Layers 1.. over `first_out`, the first layer's output; float32 logits.
  at::Tensor AfterFirstLayer(at::Tensor first_out, const std::vector<Block>& blocks);

  ModelOptions options_;
  std::vector<SageConv> layers_;
  std::vector<torch::nn::LayerNorm> norms_;
};
TORCH_MODULE(GraphSage);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_SAGE_MODEL_H_
