#include "trainer/feature_rows.h"

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

absl::Status PullFeatureRows(GraphClient* client, const std::string& name, int64_t dim,
                             FeatureNorm norm, absl::Span<const int64_t> ids, float* out) {
  DS_RETURN_IF_ERROR(client->PullFeatures(name, ids, out));
  if (norm == FeatureNorm::kRow) NormalizeRowsBySum(out, static_cast<int64_t>(ids.size()), dim);
  return absl::OkStatus();
}

}  // namespace distsage
