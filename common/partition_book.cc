#include "common/partition_book.h"

#include <algorithm>
#include <utility>

namespace distsage {

PartitionBook::PartitionBook(std::vector<int64_t> range_ends)
    : range_ends_(std::move(range_ends)) {}

int PartitionBook::OwnerOf(int64_t node_id) const {
  if (node_id < 0 || node_id >= num_nodes()) return -1;
  // Ranges may be empty, so the owner is the first part whose end is > id.
  auto it = std::upper_bound(range_ends_.begin(), range_ends_.end(), node_id);
  return static_cast<int>(it - range_ends_.begin());
}

}  // namespace distsage
