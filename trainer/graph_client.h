// The trainer's view of the distributed graph (DGL's DistGraph): any set of
// global node IDs, whichever partitions own them. Implementations:
//   * a remote client that routes IDs to graph_server processes over gRPC,
//     one RPC per partition, in parallel, and reassembles answers in request
//     order (trainer/remote_graph_client.h);
//   * an in-process client serving a partition that lives in this process with
//     no sockets (standalone mode; trainer/local_graph_client.h).
// Both return identical results for identical requests. All methods are
// thread-safe. Errors are absl::Status values naming the server/partition.
#ifndef DISTSAGE_TRAINER_GRAPH_CLIENT_H_
#define DISTSAGE_TRAINER_GRAPH_CLIENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/partition_config.h"

namespace distsage {

enum class Split { kTrain = 0, kValid = 1, kTest = 2 };

// Sampled in-edges of a list of seeds, grouped by seed in request order: the
// edges of seeds[i] are src[offsets[i] .. offsets[i+1]) -> seeds[i].
struct SampledNeighbors {
  std::vector<int64_t> offsets;  // seeds.size() + 1 entries, offsets[0] == 0.
  std::vector<int64_t> src;      // Global IDs of sampled in-neighbours.
};

struct SampleOptions {
  int fanout = 10;        // -1: all in-edges.
  bool replace = false;   // With replacement: exactly `fanout` edges per node of degree > 0.
  uint64_t rng_seed = 0;  // Same request + same seed = same answer, however it is split.
};

class GraphClient {
 public:
  virtual ~GraphClient() = default;

  // The partition config the client was opened with (graph shape, book).
  virtual const PartitionConfig& config() const = 0;

  // DGL's sample_neighbors on in-edges. Without replacement a node with
  // in-degree <= fanout returns all its in-edges. Seeds may repeat.
  virtual absl::Status SampleNeighbors(absl::Span<const int64_t> seeds,
                                       const SampleOptions& options, SampledNeighbors* out) = 0;

  // Rows of feature `name` for `ids`, row-major into `out`, which must hold
  // ids.size() * dim floats.
  virtual absl::Status PullFeatures(const std::string& name, absl::Span<const int64_t> ids,
                                    float* out) = 0;
  // Labels of `ids` into `out` (ids.size() entries; -1 = unlabelled).
  virtual absl::Status PullLabels(absl::Span<const int64_t> ids, int64_t* out) = 0;
  // Split membership of `ids` into `out` (ids.size() bytes, bits of
  // partition_format::SplitMask: 1 train, 2 valid, 4 test).
  virtual absl::Status PullSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) = 0;
  // In-degrees of `ids` into `out` (ids.size() entries).
  virtual absl::Status InDegrees(absl::Span<const int64_t> ids, int64_t* out) = 0;
  // Owned nodes of partition `part` in `split`, ascending.
  virtual absl::StatusOr<std::vector<int64_t>> SplitNodes(int part, Split split) = 0;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_GRAPH_CLIENT_H_
