#include "partitioner/relabeling.h"

namespace distsage {

Relabeling RelabelByPart(const std::vector<int32_t>& part, int num_parts) {
  const int64_t num_nodes = static_cast<int64_t>(part.size());
  Relabeling relabeling;
  relabeling.range_ends.assign(num_parts, 0);
  for (int32_t p : part) ++relabeling.range_ends[p];
  std::vector<int64_t> next(num_parts, 0);
  for (int p = 0; p < num_parts; ++p) {
    next[p] = p == 0 ? 0 : relabeling.range_ends[p - 1];
    relabeling.range_ends[p] += next[p];
  }
  relabeling.new_id.resize(num_nodes);
  relabeling.orig_id.resize(num_nodes);
  for (int64_t v = 0; v < num_nodes; ++v) {
    const int64_t id = next[part[v]]++;
    relabeling.new_id[v] = id;
    relabeling.orig_id[id] = v;
  }
  return relabeling;
}

}  // namespace distsage
