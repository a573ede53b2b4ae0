#include "trainer/sparse_gradient_exchange.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace distsage {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

int GradientRankOf(int64_t node_id, int part, int num_parts, int world_size) {
  // The ranks whose home, floor(r * num_parts / world_size), is `part`.
  const int64_t first = CeilDiv(static_cast<int64_t>(part) * world_size, num_parts);
  const int64_t end = CeilDiv(static_cast<int64_t>(part + 1) * world_size, num_parts);
  if (end == first) return static_cast<int>(first - 1);  // None (first > 0 then).
  return static_cast<int>(first + node_id % (end - first));
}

SummedRows SumRowsInRankOrder(const std::vector<at::Tensor>& ids_from_rank,
                              const std::vector<at::Tensor>& grads_from_rank, int64_t dim) {
  SummedRows summed;
  absl::flat_hash_map<int64_t, size_t> slot_of;
  for (size_t r = 0; r < ids_from_rank.size(); ++r) {
    const at::Tensor ids = ids_from_rank[r].contiguous();
    const at::Tensor grads = grads_from_rank[r].contiguous();
    const int64_t* id = ids.data_ptr<int64_t>();
    const float* grad = grads.data_ptr<float>();
    for (int64_t i = 0; i < ids.numel(); ++i) {
      const float* row = grad + i * dim;
      const auto [it, inserted] = slot_of.try_emplace(id[i], summed.ids.size());
      if (inserted) {
        summed.ids.push_back(id[i]);
        summed.grads.insert(summed.grads.end(), row, row + dim);
      } else {
        float* sum = summed.grads.data() + it->second * dim;
        for (int64_t k = 0; k < dim; ++k) sum[k] += row[k];
      }
    }
  }
  return summed;
}

absl::StatusOr<SummedRows> ExchangeEmbeddingGradients(TrainerGroup& group,
                                                      const PartitionBook& book,
                                                      absl::Span<const int64_t> ids,
                                                      const at::Tensor& grads) {
  const int ranks = group.world_size();
  const int64_t dim = grads.size(1);
  // Each destination's positions, in this rank's order.
  std::vector<std::vector<int64_t>> positions(ranks);
  for (size_t i = 0; i < ids.size(); ++i) {
    const int part = book.OwnerOf(ids[i]);
    if (part < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("embedding gradient of node ", ids[i], " (position ", i,
                       "), which is outside the graph's ", book.num_nodes(), " nodes"));
    }
    positions[GradientRankOf(ids[i], part, book.num_parts(), ranks)].push_back(
        static_cast<int64_t>(i));
  }
  const at::Tensor all_ids = at::from_blob(const_cast<int64_t*>(ids.data()),
                                           {static_cast<int64_t>(ids.size())}, at::kLong);
  std::vector<at::Tensor> ids_to_rank;
  std::vector<at::Tensor> grads_to_rank;
  for (const std::vector<int64_t>& mine : positions) {
    const at::Tensor index =
        at::tensor(at::ArrayRef<int64_t>(mine), at::TensorOptions().dtype(at::kLong));
    ids_to_rank.push_back(all_ids.index_select(0, index));
    grads_to_rank.push_back(grads.index_select(0, index));
  }
  DS_ASSIGN_OR_RETURN(const std::vector<at::Tensor> ids_from_rank, group.AllToAll(ids_to_rank));
  DS_ASSIGN_OR_RETURN(const std::vector<at::Tensor> grads_from_rank, group.AllToAll(grads_to_rank));
  return SumRowsInRankOrder(ids_from_rank, grads_from_rank, dim);
}

}  // namespace distsage
