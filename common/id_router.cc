#include "common/id_router.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace distsage {

absl::StatusOr<IdRouter> IdRouter::Route(const PartitionBook& book, absl::Span<const int64_t> ids) {
  IdRouter router;
  router.num_ids_ = ids.size();
  router.request_ = ids;
  const int num_parts = book.num_parts();
  const auto not_in_graph = [&](size_t i) {
    return absl::InvalidArgumentError(absl::StrCat("node ", ids[i], " (position ", i,
                                                   " of the request) is not in the graph: IDs "
                                                   "are in [0, ",
                                                   book.num_nodes(), ")"));
  };
  std::vector<size_t> counts(num_parts, 0);
  // Owners are looked up only where there is more than one: a one-partition
  // graph's requests (standalone training, at products scale ~245k row IDs
  // a batch) only need their range checked.
  std::vector<int> owners(num_parts > 1 ? ids.size() : 0);
  if (num_parts == 1) {
    const int64_t num_nodes = book.num_nodes();
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0 || ids[i] >= num_nodes) return not_in_graph(i);
    }
    counts[0] = ids.size();
  } else {
    for (size_t i = 0; i < ids.size(); ++i) {
      const int owner = book.OwnerOf(ids[i]);
      if (owner < 0) return not_in_graph(i);
      owners[i] = owner;
      ++counts[owner];
    }
  }
  router.begin_.assign(num_parts + 1, 0);
  for (int p = 0; p < num_parts; ++p) {
    router.begin_[p + 1] = router.begin_[p] + counts[p];
    if (counts[p] > 0) router.parts_.push_back(p);
  }
  router.positions_.resize(ids.size());
  if (router.single_part()) {
    for (size_t i = 0; i < ids.size(); ++i) router.positions_[i] = static_cast<int64_t>(i);
    return router;
  }
  router.grouped_ids_.resize(ids.size());
  std::vector<size_t> next(router.begin_.begin(), router.begin_.end() - 1);
  for (size_t i = 0; i < ids.size(); ++i) {
    const size_t slot = next[owners[i]]++;
    router.grouped_ids_[slot] = ids[i];
    router.positions_[slot] = static_cast<int64_t>(i);
  }
  return router;
}

absl::Span<const int64_t> IdRouter::ids_of(int part) const {
  if (single_part()) return part == parts_[0] ? request_ : absl::Span<const int64_t>();
  return absl::MakeConstSpan(grouped_ids_.data() + begin_[part], begin_[part + 1] - begin_[part]);
}

absl::Span<const int64_t> IdRouter::positions_of(int part) const {
  return absl::MakeConstSpan(positions_.data() + begin_[part], begin_[part + 1] - begin_[part]);
}

void IdRouter::MergeSamples(const std::vector<std::vector<int32_t>>& counts_by_part,
                            std::vector<std::vector<int64_t>>* src_by_part,
                            std::vector<int64_t>* offsets, std::vector<int64_t>* src) const {
  offsets->assign(num_ids_ + 1, 0);
  for (const int part : parts_) {
    const absl::Span<const int64_t> positions = positions_of(part);
    const std::vector<int32_t>& counts = counts_by_part[part];
    for (size_t j = 0; j < positions.size(); ++j) (*offsets)[positions[j] + 1] = counts[j];
  }
  for (size_t i = 0; i < num_ids_; ++i) (*offsets)[i + 1] += (*offsets)[i];
  if (single_part()) {
    *src = std::move((*src_by_part)[parts_[0]]);
    return;
  }
  src->resize(static_cast<size_t>(offsets->back()));
  for (const int part : parts_) {
    const absl::Span<const int64_t> positions = positions_of(part);
    const std::vector<int32_t>& counts = counts_by_part[part];
    const int64_t* part_src = (*src_by_part)[part].data();
    for (size_t j = 0; j < positions.size(); ++j) {
      if (counts[j] > 0) {
        std::memcpy(src->data() + (*offsets)[positions[j]], part_src, counts[j] * sizeof(int64_t));
      }
      part_src += counts[j];
    }
  }
}

}  // namespace distsage
