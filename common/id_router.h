// Splits a list of global node IDs by owning partition (partition book), so
// one logical request becomes one request per partition, and puts the
// per-partition answers back in request order. Used by the clients of every
// partitioned service.
#ifndef DISTSAGE_COMMON_ID_ROUTER_H_
#define DISTSAGE_COMMON_ID_ROUTER_H_

#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/partition_book.h"

namespace distsage {

class IdRouter {
 public:
  // INVALID_ARGUMENT naming the first ID outside [0, num_nodes). `ids` must
  // outlive the router (the single-partition case keeps a view of it).
  static absl::StatusOr<IdRouter> Route(const PartitionBook& book, absl::Span<const int64_t> ids);

  // Partitions that received at least one ID, ascending.
  const std::vector<int>& parts() const { return parts_; }
  // True when every ID belongs to one partition: its answer is already in
  // request order and can be written straight into the caller's output.
  bool single_part() const { return parts_.size() == 1; }
  // The IDs routed to `part`, in request order.
  absl::Span<const int64_t> ids_of(int part) const;
  // Their positions in the request.
  absl::Span<const int64_t> positions_of(int part) const;

  // Copies `part`'s answer (one row of `width` T per routed ID) to the rows of
  // `out` at their request positions.
  template <typename T>
  void Scatter(int part, const T* part_rows, size_t width, T* out) const {
    const absl::Span<const int64_t> positions = positions_of(part);
    for (size_t j = 0; j < positions.size(); ++j) {
      std::memcpy(out + static_cast<size_t>(positions[j]) * width, part_rows + j * width,
                  width * sizeof(T));
    }
  }

  // Reassembles sampled neighbours: counts_by_part[p][j] edges, stored
  // consecutively in (*src_by_part)[p], belong to the j-th ID routed to p.
  // Writes offsets (request size + 1) and src grouped in request order. With
  // a single partition its src is already in order and is moved, not copied.
  void MergeSamples(const std::vector<std::vector<int32_t>>& counts_by_part,
                    std::vector<std::vector<int64_t>>* src_by_part, std::vector<int64_t>* offsets,
                    std::vector<int64_t>* src) const;

 private:
  IdRouter() = default;

  size_t num_ids_ = 0;
  std::vector<int> parts_;
  absl::Span<const int64_t> request_;  // The caller's IDs (single-part case).
  // Grouped by partition: part p's IDs are grouped_ids_[begin_[p] .. begin_[p+1]).
  std::vector<int64_t> grouped_ids_;
  std::vector<int64_t> positions_;  // Also grouped; identity when single_part().
  std::vector<size_t> begin_;
};

}  // namespace distsage

#endif  // DISTSAGE_COMMON_ID_ROUTER_H_
