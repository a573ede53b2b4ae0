#include "partitioner/graph_dataset.h"

#include "partitioner/progress_meter.h"

namespace distsage {

int64_t GraphDataset::CountSplit(uint8_t bit) const {
  int64_t count = 0;
  for (uint8_t mask : split_mask) count += (mask & bit) != 0;
  return count;
}

void BuildInEdges(int64_t num_nodes, bool add_inverse, std::vector<int64_t>* rows,
                  GraphDataset* dataset) {
  const size_t num_rows = rows->size() / 2;
  const int64_t* endpoints = rows->data();
  // Counting sort by destination; stable, so each list keeps the input order.
  std::vector<int64_t>& in_ptr = dataset->in_ptr;
  in_ptr.assign(num_nodes + 1, 0);
  for (size_t r = 0; r < num_rows; ++r) {
    ++in_ptr[endpoints[2 * r + 1] + 1];
    if (add_inverse) ++in_ptr[endpoints[2 * r] + 1];
  }
  for (int64_t v = 0; v < num_nodes; ++v) in_ptr[v + 1] += in_ptr[v];
  std::vector<int64_t>& in_src = dataset->in_src;
  in_src.assign(in_ptr[num_nodes], 0);
  std::vector<int64_t> cursor(in_ptr.begin(), in_ptr.end() - 1);
  ProgressMeter progress("build in-edges", "rows", static_cast<int64_t>(num_rows));
  constexpr size_t kBatch = 1 << 20;
  for (size_t r = 0; r < num_rows; ++r) {
    const int64_t u = endpoints[2 * r];
    const int64_t v = endpoints[2 * r + 1];
    in_src[cursor[v]++] = u;
    if (add_inverse) in_src[cursor[u]++] = v;
    if ((r + 1) % kBatch == 0) progress.Add(kBatch);
  }
  progress.Add(num_rows % kBatch);
  progress.Finish();
  rows->clear();
  rows->shrink_to_fit();
  dataset->num_nodes = num_nodes;
}

}  // namespace distsage
