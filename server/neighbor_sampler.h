// DGL's sample_neighbors on in-edges, over one partition's adjacency.
//
// For each seed, with in-neighbour list N (length d) and fan-out k:
//   * k == -1, or no replacement and d <= k: all of N, in stored order;
//   * no replacement and d > k: a uniform k-subset of the d edge positions;
//   * replacement: k positions drawn uniformly and independently (none if d == 0).
// Each seed's random stream is derived from (rng_seed, seed node ID) only, so
// the answer for a node does not depend on which request, batch or server it
// arrived in: a request split across partitions gives exactly the answer of
// the unsplit request, and standalone and distributed sampling agree.
#ifndef DISTSAGE_SERVER_NEIGHBOR_SAMPLER_H_
#define DISTSAGE_SERVER_NEIGHBOR_SAMPLER_H_

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "server/partition_store.h"

namespace distsage {

// Largest fan-out a request may ask for (-1, "all", is also accepted).
inline constexpr int kMaxFanout = 1 << 20;

struct NeighborSampleRequest {
  int fanout = 10;
  bool replace = false;
  uint64_t rng_seed = 0;
};

// INVALID_ARGUMENT unless fanout is -1 or in [0, kMaxFanout].
absl::Status CheckFanout(int fanout);

// The kernel: samples from the given lists (lists[i] belongs to seeds[i]).
// Appends to `*src` and writes counts[i] = number of edges sampled for
// seeds[i]; `counts` holds seeds.size() entries.
void SampleFromLists(absl::Span<const int64_t> seeds,
                     absl::Span<const absl::Span<const int64_t>> lists,
                     const NeighborSampleRequest& request, int32_t* counts,
                     std::vector<int64_t>* src);

// How many edges SampleFromLists returns for `lists`, computed from their
// lengths alone (no sampling).
int64_t CountSampledEdges(absl::Span<const absl::Span<const int64_t>> lists,
                          const NeighborSampleRequest& request);

// Bytes of a SampleNeighbors answer: an int32 count per seed and an int64
// source ID per sampled edge.
inline int64_t SampleAnswerBytes(int64_t num_seeds, int64_t num_edges) {
  return num_seeds * static_cast<int64_t>(sizeof(int32_t)) +
         num_edges * static_cast<int64_t>(sizeof(int64_t));
}

// Checks the request (fan-out, seed ownership), fetches the seeds' adjacency
// from `store` and samples. `counts` holds seeds.size() entries; `*src` is
// replaced. When the answer would exceed `max_answer_bytes`
// (SampleAnswerBytes) it fails with RESOURCE_EXHAUSTED before sampling
// anything, saying how many seeds a request may carry instead: the answer of
// a small request with a large fan-out can be many times its size.
absl::Status SampleNeighbors(const PartitionStore& store, absl::Span<const int64_t> seeds,
                             const NeighborSampleRequest& request, int32_t* counts,
                             std::vector<int64_t>* src,
                             int64_t max_answer_bytes = std::numeric_limits<int64_t>::max());

}  // namespace distsage

#endif  // DISTSAGE_SERVER_NEIGHBOR_SAMPLER_H_
