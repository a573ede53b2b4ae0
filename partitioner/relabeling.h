// New global node IDs such that partition p owns one contiguous range; nodes
// keep their original relative order inside a partition.
#ifndef DISTSAGE_PARTITIONER_RELABELING_H_
#define DISTSAGE_PARTITIONER_RELABELING_H_

#include <cstdint>
#include <vector>

namespace distsage {

struct Relabeling {
  std::vector<int64_t> range_ends;  // Part p owns new IDs [range_ends[p-1], range_ends[p]).
  std::vector<int64_t> new_id;      // Indexed by original ID.
  std::vector<int64_t> orig_id;     // Indexed by new ID.
};

// `part[v]` is the owner (0..num_parts-1) of original node v.
Relabeling RelabelByPart(const std::vector<int32_t>& part, int num_parts);

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_RELABELING_H_
