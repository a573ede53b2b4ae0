#include "server/sparse_optimizer.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace distsage {

absl::StatusOr<OptimizerOptions> ParseOptimizer(absl::string_view kind, float lr, float eps,
                                                float beta1, float beta2) {
  OptimizerOptions options;
  if (kind == "none" || kind.empty()) {
    options.kind = OptimizerKind::kNone;
  } else if (kind == "sgd") {
    options.kind = OptimizerKind::kSgd;
  } else if (kind == "adagrad") {
    options.kind = OptimizerKind::kAdagrad;
  } else if (kind == "adam") {
    options.kind = OptimizerKind::kAdam;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer '", kind, "' is not one of none, sgd, adagrad, adam"));
  }
  if (!std::isfinite(lr) || lr < 0 || !std::isfinite(eps) || eps < 0) {
    return absl::InvalidArgumentError(absl::StrCat("optimizer ", kind, ": lr ", lr, " and eps ",
                                                   eps, " must be finite and >= 0"));
  }
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer ", kind, ": betas ", beta1, ", ", beta2, " must be in [0, 1)"));
  }
  options.lr = lr;
  options.eps = eps > 0 ? eps : (options.kind == OptimizerKind::kAdam ? 1e-8f : 1e-10f);
  if (beta1 > 0) options.beta1 = beta1;
  if (beta2 > 0) options.beta2 = beta2;
  return options;
}

const char* OptimizerName(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd:
      return "sgd";
    case OptimizerKind::kAdagrad:
      return "adagrad";
    case OptimizerKind::kAdam:
      return "adam";
    case OptimizerKind::kNone:
      break;
  }
  return "none";
}

int StateSlots(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kAdagrad:
      return 1;
    case OptimizerKind::kAdam:
      return 2;
    default:
      return 0;
  }
}

void ApplySparseUpdate(const OptimizerOptions& o, int dim, const float* grad, float* row,
                       float* state, int64_t* step) {
  switch (o.kind) {
    case OptimizerKind::kNone:
      return;
    case OptimizerKind::kSgd:
      for (int k = 0; k < dim; ++k) row[k] -= o.lr * grad[k];
      return;
    case OptimizerKind::kAdagrad:
      for (int k = 0; k < dim; ++k) {
        state[k] += grad[k] * grad[k];
        row[k] -= o.lr * grad[k] / (std::sqrt(state[k]) + o.eps);
      }
      return;
    case OptimizerKind::kAdam: {
      const int64_t t = ++*step;
      const float correction1 = 1.0f - static_cast<float>(std::pow(o.beta1, t));
      const float correction2_sqrt = std::sqrt(1.0f - static_cast<float>(std::pow(o.beta2, t)));
      float* m = state;
      float* v = state + dim;
      for (int k = 0; k < dim; ++k) {
        m[k] = o.beta1 * m[k] + (1.0f - o.beta1) * grad[k];
        v[k] = o.beta2 * v[k] + (1.0f - o.beta2) * grad[k] * grad[k];
        // torch.optim.Adam: p -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps).
        row[k] -= o.lr / correction1 * m[k] / (std::sqrt(v[k]) / correction2_sqrt + o.eps);
      }
      return;
    }
  }
}

}  // namespace distsage
