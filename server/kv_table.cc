#include "server/kv_table.h"

#include <cmath>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace distsage {
namespace {

// splitmix64: a fast, well-mixed stream from (seed, row).
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void InitRow(const KVTensorSpec& spec, int64_t node, float* row) {
  if (spec.init != "uniform") {
    std::memset(row, 0, sizeof(float) * spec.dim);
    return;
  }
  uint64_t state = Mix(spec.seed ^ Mix(static_cast<uint64_t>(node)));
  for (int k = 0; k < spec.dim; ++k) {
    state = Mix(state);
    // 24 random bits -> [0, 1) -> (-scale, scale).
    const float unit = static_cast<float>(state >> 40) / static_cast<float>(1 << 24);
    row[k] = (2.0f * unit - 1.0f) * spec.init_scale;
  }
}

}  // namespace

bool KVTensorSpec::operator==(const KVTensorSpec& o) const {
  return name == o.name && dim == o.dim && init == o.init && init_scale == o.init_scale &&
         seed == o.seed && optimizer.kind == o.optimizer.kind && optimizer.lr == o.optimizer.lr &&
         optimizer.eps == o.optimizer.eps && optimizer.beta1 == o.optimizer.beta1 &&
         optimizer.beta2 == o.optimizer.beta2;
}

std::string KVTensorSpec::Describe() const {
  return absl::StrFormat("'%s' (dim %d, %s %g, seed %d, %s lr %g)", name, dim, init, init_scale,
                         seed, OptimizerName(optimizer.kind), optimizer.lr);
}

absl::Status CheckSpec(const KVTensorSpec& spec) {
  if (spec.name.empty()) return absl::InvalidArgumentError("a KV tensor needs a name");
  if (spec.dim < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV tensor '", spec.name, "': dim ", spec.dim, " must be at least 1"));
  }
  if (spec.init != "zeros" && spec.init != "uniform") {
    return absl::InvalidArgumentError(absl::StrCat("KV tensor '", spec.name, "': init '", spec.init,
                                                   "' is not zeros or uniform"));
  }
  if (!std::isfinite(spec.init_scale)) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV tensor '", spec.name, "': init_scale must be finite"));
  }
  return absl::OkStatus();
}

KVTable::KVTable(KVTensorSpec spec, int64_t row_begin, int64_t row_end)
    : spec_(std::move(spec)),
      row_begin_(row_begin),
      row_end_(row_end),
      state_slots_(StateSlots(spec_.optimizer.kind)) {
  const size_t num_rows = static_cast<size_t>(row_end - row_begin);
  rows_.resize(num_rows * spec_.dim);
  for (size_t r = 0; r < num_rows; ++r) {
    InitRow(spec_, row_begin + static_cast<int64_t>(r), rows_.data() + r * spec_.dim);
  }
  state_.assign(num_rows * state_slots_ * spec_.dim, 0.0f);
  if (spec_.optimizer.kind == OptimizerKind::kAdam) steps_.assign(num_rows, 0);
}

absl::Status KVTable::CheckIds(absl::Span<const int64_t> ids) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < row_begin_ || ids[i] >= row_end_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "node ", ids[i], " (position ", i, ") is not held by this server: KV tensor '",
          spec_.name, "' has rows [", row_begin_, ", ", row_end_, ") here"));
    }
  }
  return absl::OkStatus();
}

absl::Status KVTable::Pull(absl::Span<const int64_t> ids, float* out) const {
  if (absl::Status status = CheckIds(ids); !status.ok()) return status;
  const size_t row_bytes = sizeof(float) * spec_.dim;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t r = ids[i] - row_begin_;
    absl::MutexLock lock(&StripeOf(r));
    std::memcpy(out + i * spec_.dim, rows_.data() + r * spec_.dim, row_bytes);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> KVTable::Push(absl::Span<const int64_t> ids,
                                      absl::Span<const float> grads) {
  const int dim = spec_.dim;
  if (spec_.optimizer.kind == OptimizerKind::kNone) {
    return absl::FailedPreconditionError(absl::StrCat(
        "KV tensor '", spec_.name, "' has no optimizer: create it with one to push gradients"));
  }
  if (grads.size() != ids.size() * static_cast<size_t>(dim)) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV tensor '", spec_.name, "': ", grads.size(), " gradient floats for ",
                     ids.size(), " IDs, expected ", ids.size() * dim, " (row length ", dim, ")"));
  }
  if (absl::Status status = CheckIds(ids); !status.ok()) return status;
  for (size_t i = 0; i < ids.size(); ++i) {
    for (int k = 0; k < dim; ++k) {
      if (!std::isfinite(grads[i * dim + k])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "KV tensor '", spec_.name, "': the gradient of node ", ids[i], " (position ", i,
            ") is not finite (", grads[i * dim + k], " at element ", k, "); nothing was applied"));
      }
    }
  }
  // DGL's sparse semantics: one summed gradient per distinct row.
  absl::flat_hash_map<int64_t, size_t> slot_of;
  slot_of.reserve(ids.size());
  std::vector<int64_t> rows;
  std::vector<float> summed;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto [it, inserted] = slot_of.try_emplace(ids[i], rows.size());
    if (inserted) {
      rows.push_back(ids[i] - row_begin_);
      summed.insert(summed.end(), grads.begin() + i * dim, grads.begin() + (i + 1) * dim);
    } else {
      float* sum = summed.data() + it->second * dim;
      for (int k = 0; k < dim; ++k) sum[k] += grads[i * dim + k];
    }
  }
  const size_t state_width = static_cast<size_t>(state_slots_) * dim;
  for (size_t j = 0; j < rows.size(); ++j) {
    const int64_t r = rows[j];
    absl::MutexLock lock(&StripeOf(r));
    ApplySparseUpdate(spec_.optimizer, dim, summed.data() + j * dim, rows_.data() + r * dim,
                      state_width == 0 ? nullptr : state_.data() + r * state_width,
                      steps_.empty() ? nullptr : &steps_[r]);
  }
  return static_cast<int64_t>(rows.size());
}

KVTableContents KVTable::Snapshot() const {
  KVTableContents contents;
  contents.rows.resize(rows_.size());
  contents.state.resize(state_.size());
  contents.steps.resize(steps_.size());
  const size_t num_rows = static_cast<size_t>(row_end_ - row_begin_);
  const size_t dim = spec_.dim;
  const size_t state_width = static_cast<size_t>(state_slots_) * dim;
  for (size_t r = 0; r < num_rows; ++r) {
    absl::MutexLock lock(&StripeOf(static_cast<int64_t>(r)));
    std::memcpy(contents.rows.data() + r * dim, rows_.data() + r * dim, dim * sizeof(float));
    if (state_width > 0) {
      std::memcpy(contents.state.data() + r * state_width, state_.data() + r * state_width,
                  state_width * sizeof(float));
    }
    if (!steps_.empty()) contents.steps[r] = steps_[r];
  }
  return contents;
}

absl::Status KVTable::Restore(KVTableContents contents) {
  if (contents.rows.size() != rows_.size() || contents.state.size() != state_.size() ||
      contents.steps.size() != steps_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KV tensor '", spec_.name, "': saved contents (", contents.rows.size(), " row floats, ",
        contents.state.size(), " state floats, ", contents.steps.size(),
        " steps) do not fit this server's ", row_end_ - row_begin_, " rows"));
  }
  for (absl::Mutex& stripe : stripes_) stripe.Lock();
  rows_ = std::move(contents.rows);
  state_ = std::move(contents.state);
  steps_ = std::move(contents.steps);
  for (absl::Mutex& stripe : stripes_) stripe.Unlock();
  return absl::OkStatus();
}

}  // namespace distsage
