// Full-neighbourhood inference, layer by layer (DGL's SAGE.inference): each
// layer's output is computed once for every node some later layer needs,
// aggregating all in-edges (no sampling), in batches of destination nodes.
// Unlike sampled mini-batches, nothing is computed twice for nodes shared by
// many targets' neighbourhoods.
#ifndef DISTSAGE_TRAINER_LAYERWISE_INFERENCE_H_
#define DISTSAGE_TRAINER_LAYERWISE_INFERENCE_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "client/graph_client.h"
#include "trainer/feature_rows.h"
#include "trainer/sage_model.h"

namespace distsage {

// Logits [targets.size(), num_classes] of `targets` (which may repeat), with
// the model in eval mode and no autograd. Layers whose training fan-out is 0
// aggregate nothing here either (ModelOptions::EvalFanouts). At most
// `batch_size` destinations are sampled and aggregated at a time; the layer
// inputs of all needed nodes are held in memory.
// `input` gives the first layer's rows (its width is the model's in_dim).
absl::StatusOr<at::Tensor> InferLogits(GraphSage& model, GraphClient* client,
                                       const InputRows& input, absl::Span<const int64_t> targets,
                                       int64_t batch_size);

// Rows whose arg-max equals `labels` (int64, one per row). A count, not a
// ratio, so that the counts of several trainers add up.
int64_t CountCorrect(const at::Tensor& logits, const at::Tensor& labels);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_LAYERWISE_INFERENCE_H_
