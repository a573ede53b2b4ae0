// Input rows as the model reads them: a node feature pulled through the
// GraphClient straight into the caller's buffer (a tensor's storage, so no
// copy follows) and scaled in place when the model asks for a feature
// normalisation, and/or the rows of a learnable node embedding pulled from
// the KV store, side by side (feature columns first).
#ifndef DISTSAGE_TRAINER_FEATURE_ROWS_H_
#define DISTSAGE_TRAINER_FEATURE_ROWS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "client/graph_client.h"
#include "client/kv_client.h"
#include "trainer/train_options.h"

namespace distsage {

// Rows of feature `name` (width `dim`) for `ids` into `out`, which holds
// ids.size() * dim floats, then normalised per `norm`. Runs in the calling
// thread (loader workers call it concurrently).
absl::Status PullFeatureRows(GraphClient* client, const std::string& name, int64_t dim,
                             FeatureNorm norm, absl::Span<const int64_t> ids, float* out);

// Where a model's input rows come from. Copyable; the clients must outlive it.
struct InputRows {
  GraphClient* graph = nullptr;
  std::string feature_name;  // "": no feature columns.
  int64_t feature_dim = 0;
  FeatureNorm feature_norm = FeatureNorm::kNone;
  KVClient* kv = nullptr;
  std::string embedding_name;  // "": no embedding columns.
  int64_t embedding_dim = 0;

  int64_t width() const { return feature_dim + embedding_dim; }
  // Rows for `ids` into `out` (ids.size() * width() floats). Thread-safe.
  absl::Status Pull(absl::Span<const int64_t> ids, float* out) const;
  // Whether the rows are the feature's stored rows as they are (no
  // embedding columns, no normalisation), so that a reader that only sums
  // them can read them where they are (GraphClient::LocateFeatureRows)
  // instead of a copy.
  bool AreStoredRows() const {
    return embedding_dim == 0 && feature_dim > 0 && feature_norm == FeatureNorm::kNone;
  }
};

// Divides each of `rows` rows of width `dim` by its sum (rows summing to 0
// are left alone).
void NormalizeRowsBySum(float* data, int64_t rows, int64_t dim);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_FEATURE_ROWS_H_
