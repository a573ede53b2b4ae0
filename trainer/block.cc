#include "trainer/block.h"

namespace distsage {

void Block::BuildReverse() {
  const int64_t n_src = num_src();
  rev_indptr.assign(n_src + 1, 0);
  for (int64_t src : indices) ++rev_indptr[src + 1];
  for (int64_t j = 0; j < n_src; ++j) rev_indptr[j + 1] += rev_indptr[j];
  rev_indices.resize(indices.size());
  std::vector<int64_t> cursor(rev_indptr.begin(), rev_indptr.end() - 1);
  for (int64_t dst = 0; dst < num_dst; ++dst) {
    for (int64_t e = indptr[dst]; e < indptr[dst + 1]; ++e) {
      rev_indices[cursor[indices[e]]++] = dst;
    }
  }
}

void Block::KeepOnlyDestinationsAndDegrees() {
  src_nodes.resize(num_dst);
  src_nodes.shrink_to_fit();
  std::vector<int64_t>().swap(indices);
  std::vector<int64_t>().swap(rev_indptr);
  std::vector<int64_t>().swap(rev_indices);
}

}  // namespace distsage
