#include "trainer/layerwise_inference.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/status_macros.h"
#include "trainer/block.h"
#include "trainer/feature_rows.h"
#include "trainer/neighbor_mean.h"

namespace distsage {
namespace {

// All in-edges (or none, for fan-out 0) of nodes[begin, end) as a block whose
// indices are positions in `order`, looked up through `position`.
absl::Status FullNeighborhood(GraphClient* client, int fanout, const std::vector<int64_t>& order,
                              int64_t begin, int64_t end,
                              const absl::flat_hash_map<int64_t, int64_t>& position, Block* block) {
  block->num_dst = end - begin;
  block->src_nodes.clear();
  if (fanout == 0) {
    block->indptr.assign(block->num_dst + 1, 0);
    block->indices.clear();
    return absl::OkStatus();
  }
  SampledNeighbors sampled;
  SampleOptions options;
  options.fanout = -1;
  DS_RETURN_IF_ERROR(client->SampleNeighbors(
      absl::MakeConstSpan(order.data() + begin, order.data() + end), options, &sampled));
  block->indptr = std::move(sampled.offsets);
  block->indices.resize(sampled.src.size());
  for (size_t e = 0; e < sampled.src.size(); ++e) {
    block->indices[e] = position.at(sampled.src[e]);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<at::Tensor> InferLogits(GraphSage& model, GraphClient* client,
                                       const InputRows& input, absl::Span<const int64_t> targets,
                                       int64_t batch_size) {
  const ModelOptions& options = model->options();
  const std::vector<int> fanouts = options.EvalFanouts();
  const int num_layers = model->num_layers();

  // Nodes whose layer-l output is needed form a prefix order[0, needed[l])
  // of one list that starts with the (distinct) targets: the nodes of
  // layer l+1 come first, then their in-neighbours not seen yet.
  std::vector<int64_t> order;
  absl::flat_hash_map<int64_t, int64_t> position;
  position.reserve(targets.size());
  for (int64_t target : targets) {
    if (position.try_emplace(target, static_cast<int64_t>(order.size())).second) {
      order.push_back(target);
    }
  }
  std::vector<int64_t> needed(num_layers + 1);
  needed[num_layers] = static_cast<int64_t>(order.size());
  SampledNeighbors sampled;
  for (int layer = num_layers - 1; layer >= 0; --layer) {
    if (fanouts[layer] != 0) {
      for (int64_t begin = 0; begin < needed[layer + 1]; begin += batch_size) {
        const int64_t end = std::min(begin + batch_size, needed[layer + 1]);
        SampleOptions sample_options;
        sample_options.fanout = -1;
        DS_RETURN_IF_ERROR(
            client->SampleNeighbors(absl::MakeConstSpan(order.data() + begin, order.data() + end),
                                    sample_options, &sampled));
        for (int64_t src : sampled.src) {
          if (position.try_emplace(src, static_cast<int64_t>(order.size())).second) {
            order.push_back(src);
          }
        }
      }
    }
    needed[layer] = static_cast<int64_t>(order.size());
  }

  torch::NoGradGuard no_grad;
  model->eval();
  at::Tensor h = at::empty({needed[0], options.in_dim}, at::TensorOptions().dtype(at::kFloat));
  DS_RETURN_IF_ERROR(input.Pull(absl::MakeConstSpan(order.data(), needed[0]), h.data_ptr<float>()));
  Block block;
  for (int layer = 0; layer < num_layers; ++layer) {
    SageConv& conv = model->layer(layer);
    const at::Tensor source = conv->PrepareSource(h);
    at::Tensor out =
        at::empty({needed[layer + 1], conv->out_dim()}, at::TensorOptions().dtype(at::kFloat));
    for (int64_t begin = 0; begin < needed[layer + 1]; begin += batch_size) {
      const int64_t end = std::min(begin + batch_size, needed[layer + 1]);
      DS_RETURN_IF_ERROR(
          FullNeighborhood(client, fanouts[layer], order, begin, end, position, &block));
      // Destination nodes of this layer are the first rows of its input.
      at::Tensor rows = conv->Combine(h.narrow(0, begin, end - begin), NeighborMean(source, block));
      if (layer + 1 < num_layers) rows = model->BetweenLayers(layer, rows);
      out.narrow(0, begin, end - begin).copy_(rows);
    }
    h = out;
  }
  std::vector<int64_t> rows(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) rows[i] = position.at(targets[i]);
  return h.index_select(0, at::tensor(rows, at::TensorOptions().dtype(at::kLong)));
}

int64_t CountCorrect(const at::Tensor& logits, const at::Tensor& labels) {
  if (labels.numel() == 0) return 0;
  return logits.argmax(1).eq(labels).sum().item<int64_t>();
}

}  // namespace distsage
