// How data-parallel trainers combine their gradients of the node embeddings
// (rows of the KV store) into one sparse-optimiser update per row per step,
// as DGL's DistSparseGradOptimizer does: each row belongs to one rank
// (GradientRankOf), the ranks send each other their (node ID, gradient row)
// pairs in one all-to-all, and each rank sums its rows' gradients in rank
// order and pushes every row once. Pushed separately, two ranks' gradients
// of a row would be two optimiser updates applied in arrival order; summed
// this way they are the same floats on every run, so a run with several
// trainers is deterministic and a resumed run can match an undisturbed one.
#ifndef DISTSAGE_TRAINER_SPARSE_GRADIENT_EXCHANGE_H_
#define DISTSAGE_TRAINER_SPARSE_GRADIENT_EXCHANGE_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/partition_book.h"
#include "trainer/trainer_group.h"

namespace distsage {

// The rank, of `world_size`, that sums and pushes the gradients of the row of
// `node_id`, which partition `part` of `num_parts` owns. It is one of the
// ranks whose default home is `part` (DefaultHomePartition), picked by
// node_id modulo their number, as DGL splits a server's rows among the
// trainers of its machine; with fewer ranks than partitions, the rank whose
// home is the nearest partition before `part`. With the default placement a
// rank thus pushes to its own machine's server only, and only the rows its
// batches read from other partitions (their halo) travel between trainers.
// Any --part_id placement still gets one rank per row, only less locality.
int GradientRankOf(int64_t node_id, int part, int num_parts, int world_size);

// Node IDs and their gradient rows, ready for KVClient::Push.
struct SummedRows {
  std::vector<int64_t> ids;  // Distinct.
  std::vector<float> grads;  // ids.size() * dim floats, row-major.
};

// Rank r's node IDs ids_from_rank[r] (int64, [n_r]) with their gradient rows
// grads_from_rank[r] (float, [n_r, dim]), summed into one row per distinct ID,
// in order of first appearance (rank 0's rows first): each sum adds the ID's
// rows in rank order, then position order, a fixed order of float additions.
SummedRows SumRowsInRankOrder(const std::vector<at::Tensor>& ids_from_rank,
                              const std::vector<at::Tensor>& grads_from_rank, int64_t dim);

// A collective of `group` (every rank calls it in the same step): sends each
// of this rank's rows (ids[i], row i of `grads`, float [ids.size(), dim]) to
// GradientRankOf its node under `book`, and returns the rows this rank is to
// push, summed by SumRowsInRankOrder. INVALID_ARGUMENT names a node outside
// the book.
absl::StatusOr<SummedRows> ExchangeEmbeddingGradients(TrainerGroup& group,
                                                      const PartitionBook& book,
                                                      absl::Span<const int64_t> ids,
                                                      const at::Tensor& grads);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_SPARSE_GRADIENT_EXCHANGE_H_
