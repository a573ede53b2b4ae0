// Server-side sparse optimisers of learnable KV tensors, with DGL's sparse
// semantics: the server receives one summed gradient per touched row and
// updates that row and its own state only (lazy: untouched rows and their
// state do not move). Each is the dense LibTorch optimiser restricted to the
// touched rows: SGD (torch.optim.SGD), Adagrad (torch.optim.Adagrad, no
// decay), Adam (torch.optim.Adam, bias correction by the row's own step
// count).
#ifndef DISTSAGE_SERVER_SPARSE_OPTIMIZER_H_
#define DISTSAGE_SERVER_SPARSE_OPTIMIZER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace distsage {

enum class OptimizerKind { kNone, kSgd, kAdagrad, kAdam };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kNone;
  float lr = 0.0f;
  float eps = 0.0f;  // Adagrad (1e-10) and Adam (1e-8) when left 0 by ParseOptimizer.
  float beta1 = 0.9f;
  float beta2 = 0.999f;
};

// "none", "sgd", "adagrad", "adam"; INVALID_ARGUMENT otherwise, and for a
// negative or non-finite lr, eps or betas outside [0, 1). Zero eps and betas
// take the defaults above.
absl::StatusOr<OptimizerOptions> ParseOptimizer(absl::string_view kind, float lr, float eps,
                                                float beta1, float beta2);
const char* OptimizerName(OptimizerKind kind);

// Floats of optimiser state per element: 0 (none, SGD), 1 (Adagrad: sum of
// squares), 2 (Adam: first and second moments).
int StateSlots(OptimizerKind kind);

// Applies one row's summed gradient `grad` (dim floats) to `row`. `state`
// holds StateSlots(kind) * dim floats (slot-major), `step` the row's Adam
// step count (incremented). The caller holds the row's lock.
void ApplySparseUpdate(const OptimizerOptions& options, int dim, const float* grad, float* row,
                       float* state, int64_t* step);

}  // namespace distsage

#endif  // DISTSAGE_SERVER_SPARSE_OPTIMIZER_H_
