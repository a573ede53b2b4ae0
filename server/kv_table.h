// One named KV tensor on one server: a float32 row per node of a contiguous
// node-ID range (the server's partition), an optional sparse optimiser and
// its per-row state. Rows are updated and read under per-row locks (striped):
// concurrent pushes to one row are applied one after the other, and a pull
// never sees a half-updated row. Thread-safe.
#ifndef DISTSAGE_SERVER_KV_TABLE_H_
#define DISTSAGE_SERVER_KV_TABLE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "server/sparse_optimizer.h"

namespace distsage {

struct KVTensorSpec {
  std::string name;
  int dim = 0;
  std::string init = "zeros";  // "zeros" or "uniform" in (-init_scale, init_scale).
  float init_scale = 0.0f;
  uint64_t seed = 0;
  OptimizerOptions optimizer;

  bool operator==(const KVTensorSpec& other) const;
  // "name (dim 64, uniform 0.01, seed 0, adam lr 0.01)".
  std::string Describe() const;
};

// INVALID_ARGUMENT naming the spec when its name is empty, dim < 1, or the
// init unknown.
absl::Status CheckSpec(const KVTensorSpec& spec);

// One tensor's contents, as saved and loaded (KVTable::Snapshot / Restore).
struct KVTableContents {
  std::vector<float> rows;     // num_rows * dim.
  std::vector<float> state;    // StateSlots * num_rows * dim, row-major per row.
  std::vector<int64_t> steps;  // num_rows (Adam), else empty.
};

class KVTable {
 public:
  // Rows for node IDs [row_begin, row_end), initialised from spec (row v's
  // values depend on (seed, v) only, so any partitioning gives the same
  // tensor). `spec` must pass CheckSpec.
  KVTable(KVTensorSpec spec, int64_t row_begin, int64_t row_end);

  const KVTensorSpec& spec() const { return spec_; }
  int64_t row_begin() const { return row_begin_; }
  int64_t row_end() const { return row_end_; }

  // Rows of `ids` into `out` (ids.size() * dim floats). INVALID_ARGUMENT
  // naming the first ID outside the range.
  absl::Status Pull(absl::Span<const int64_t> ids, float* out) const;

  // Sums the gradients of repeated IDs, then applies the optimiser once per
  // distinct row; returns the number of rows updated. `grads` holds
  // ids.size() * dim floats. Refuses (changing nothing) IDs outside the
  // range, a wrong gradient length, NaN or Inf (naming the first offending
  // ID), and pushes to a tensor without optimiser.
  absl::StatusOr<int64_t> Push(absl::Span<const int64_t> ids, absl::Span<const float> grads);

  // A copy of every row and its state, each row read under its lock: a row
  // is never half-updated, but pushes running meanwhile may land in some rows
  // and not yet in others (save between steps for a snapshot of one step).
  KVTableContents Snapshot() const;
  // Replaces the contents; INVALID_ARGUMENT when the sizes do not fit.
  absl::Status Restore(KVTableContents contents);

 private:
  static constexpr size_t kStripes = 1024;
  absl::Mutex& StripeOf(int64_t local_row) const { return stripes_[local_row % kStripes]; }
  absl::Status CheckIds(absl::Span<const int64_t> ids) const;

  const KVTensorSpec spec_;
  const int64_t row_begin_;
  const int64_t row_end_;
  const int state_slots_;
  mutable std::array<absl::Mutex, kStripes> stripes_;
  // Row r (local) is rows_[r * dim ..), its state state_[r * slots * dim ..)
  // and steps_[r]; guarded by StripeOf(r).
  std::vector<float> rows_;
  std::vector<float> state_;
  std::vector<int64_t> steps_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_KV_TABLE_H_
