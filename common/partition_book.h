// Maps a global (relabelled) node ID to the partition that owns it. After
// relabelling, partition p owns the contiguous range [begin(p), end(p)), so the
// book is just the list of range ends.
#ifndef DISTSAGE_COMMON_PARTITION_BOOK_H_
#define DISTSAGE_COMMON_PARTITION_BOOK_H_

#include <cstdint>
#include <vector>

namespace distsage {

class PartitionBook {
 public:
  PartitionBook() = default;
  // `range_ends[p]` is one past the last node of partition p; must be
  // non-decreasing, and the last entry is the number of nodes.
  explicit PartitionBook(std::vector<int64_t> range_ends);

  int num_parts() const { return static_cast<int>(range_ends_.size()); }
  int64_t num_nodes() const { return range_ends_.empty() ? 0 : range_ends_.back(); }
  int64_t RangeBegin(int part) const { return part == 0 ? 0 : range_ends_[part - 1]; }
  int64_t RangeEnd(int part) const { return range_ends_[part]; }
  bool Owns(int part, int64_t node_id) const {
    return node_id >= RangeBegin(part) && node_id < RangeEnd(part);
  }
  // The owning partition of `node_id`, or -1 when it is outside [0, num_nodes).
  int OwnerOf(int64_t node_id) const;
  const std::vector<int64_t>& range_ends() const { return range_ends_; }

 private:
  std::vector<int64_t> range_ends_;
};

}  // namespace distsage

#endif  // DISTSAGE_COMMON_PARTITION_BOOK_H_
