#include "trainer/feature_rows.h"

#include <algorithm>
#include <vector>

#include "common/status_macros.h"

namespace distsage {

void NormalizeRowsBySum(float* data, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = data + r * dim;
    double sum = 0.0;
    for (int64_t d = 0; d < dim; ++d) sum += row[d];
    if (sum == 0.0) continue;
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t d = 0; d < dim; ++d) row[d] *= inv;
  }
}

absl::Status InputRows::Pull(absl::Span<const int64_t> ids, float* out) const {
  if (embedding_dim == 0) {
    return PullFeatureRows(graph, feature_name, feature_dim, feature_norm, ids, out);
  }
  if (feature_dim == 0) return kv->Pull(embedding_name, ids, out);
  // Both: each part into its own buffer (kept per loader thread), then
  // interleaved row by row.
  thread_local std::vector<float> features, embeddings;
  features.resize(ids.size() * feature_dim);
  embeddings.resize(ids.size() * embedding_dim);
  DS_RETURN_IF_ERROR(
      PullFeatureRows(graph, feature_name, feature_dim, feature_norm, ids, features.data()));
  DS_RETURN_IF_ERROR(kv->Pull(embedding_name, ids, embeddings.data()));
  const int64_t width = feature_dim + embedding_dim;
  for (size_t i = 0; i < ids.size(); ++i) {
    std::copy_n(features.data() + i * feature_dim, feature_dim, out + i * width);
    std::copy_n(embeddings.data() + i * embedding_dim, embedding_dim,
                out + i * width + feature_dim);
  }
  return absl::OkStatus();
}

absl::Status PullFeatureRows(GraphClient* client, const std::string& name, int64_t dim,
                             FeatureNorm norm, absl::Span<const int64_t> ids, float* out) {
  DS_RETURN_IF_ERROR(client->PullFeatures(name, ids, out));
  if (norm == FeatureNorm::kRow) NormalizeRowsBySum(out, static_cast<int64_t>(ids.size()), dim);
  return absl::OkStatus();
}

}  // namespace distsage
