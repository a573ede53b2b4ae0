#include "trainer/node_split.h"

#include <algorithm>

namespace distsage {

int DefaultHomePartition(int rank, int world_size, int num_parts) {
  return static_cast<int>(static_cast<int64_t>(rank) * num_parts / world_size);
}

int64_t NodeShareSize(int64_t num_nodes, int world_size, int rank) {
  return num_nodes / world_size + (rank < num_nodes % world_size ? 1 : 0);
}

std::vector<int64_t> NodeShare(const std::vector<std::vector<int64_t>>& nodes_by_part,
                               absl::Span<const int> home_parts, int rank) {
  const int world_size = static_cast<int>(home_parts.size());
  int64_t total = 0;
  for (const std::vector<int64_t>& nodes : nodes_by_part) total += nodes.size();
  std::vector<int64_t> quota(world_size);
  for (int r = 0; r < world_size; ++r) quota[r] = NodeShareSize(total, world_size, r);

  // Pass 1: each rank, in order, takes what it can from its home partition.
  std::vector<size_t> taken(nodes_by_part.size(), 0);  // Prefix of each list handed out.
  std::vector<std::vector<int64_t>> shares(world_size);
  for (int r = 0; r < world_size; ++r) {
    const std::vector<int64_t>& home = nodes_by_part[home_parts[r]];
    size_t& cursor = taken[home_parts[r]];
    const size_t n = std::min<size_t>(quota[r], home.size() - cursor);
    shares[r].assign(home.begin() + cursor, home.begin() + cursor + n);
    cursor += n;
  }
  // Pass 2: the rest, in partition order, tops up the ranks still short.
  int p = 0;
  for (int r = 0; r < world_size; ++r) {
    while (static_cast<int64_t>(shares[r].size()) < quota[r]) {
      while (taken[p] == nodes_by_part[p].size()) ++p;
      const std::vector<int64_t>& rest = nodes_by_part[p];
      const size_t n = std::min<size_t>(quota[r] - shares[r].size(), rest.size() - taken[p]);
      shares[r].insert(shares[r].end(), rest.begin() + taken[p], rest.begin() + taken[p] + n);
      taken[p] += n;
    }
  }
  return shares[rank];
}

void PadShare(int64_t size, std::vector<int64_t>* share) {
  if (share->empty()) return;
  for (size_t i = 0; static_cast<int64_t>(share->size()) < size; ++i) {
    share->push_back((*share)[i]);
  }
}

}  // namespace distsage
