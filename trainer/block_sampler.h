// Builds the blocks of one mini-batch by neighbour sampling through a
// GraphClient, the way DGL's NeighborSampler.sample_blocks does: from the
// seeds (the output layer) inwards, each layer samples in-neighbours of the
// current frontier, and the new frontier is the frontier followed by the
// sampled nodes not yet in it (deduplicated with a LocalIdMap that each
// loader thread keeps across batches).
#ifndef DISTSAGE_TRAINER_BLOCK_SAMPLER_H_
#define DISTSAGE_TRAINER_BLOCK_SAMPLER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "client/graph_client.h"
#include "trainer/block.h"

namespace distsage {

// CPU time of the calling thread that BlockSampler::Sample spent per stage.
struct SampleStageSeconds {
  double neighbors = 0.0;  // Drawing in-neighbours through the client (routing included).
  double relabel = 0.0;    // Deduplicating the sampled sources into block-local IDs.
  double reverse = 0.0;    // Building the transposed CSRs (Block::BuildReverse).
};

// How the input layer's block (blocks->front()) lists its source nodes.
enum class InputSources {
  // Each sampled node once, as DGL's blocks do: what a model that reads a
  // row per source node needs.
  kDistinct,
  // One source per sampled edge, repeats kept: src_nodes is the
  // destinations followed by every edge's source in edge order, and
  // indices[e] = num_dst + e. For a consumer that only sums a row per edge
  // (the loader's in-place means), which then skips deduplicating the
  // largest layer (at products scale ~220k lookups in a table of megabytes
  // per batch).
  kPerEdge,
};

class BlockSampler {
 public:
  // `fanouts` lists one fan-out per layer in input-to-output order, like
  // DGL's "10,25" (the seeds get 25 neighbours, their neighbours 10 each).
  // A fan-out of -1 takes all in-edges; 0 takes none, which turns the layer's
  // neighbour aggregation off (the features-only ablation). `client` must
  // outlive the sampler. Blocks of layers >= `reverse_from_layer` get their
  // transposed CSR (Block::BuildReverse), which NeighborMean's backward pass
  // needs wherever the layer's input requires a gradient; fanouts.size()
  // builds none. Thread-safe: Sample may run on several threads.
  BlockSampler(GraphClient* client, std::vector<int> fanouts, int reverse_from_layer);

  // The blocks for `seeds`, input layer first: blocks->back() has the seeds
  // as its destination nodes and blocks->front().src_nodes are the nodes
  // whose features the model reads. `rng_seed` makes the draw reproducible.
  // When `stages` is not null, the calling thread's CPU time per stage is
  // added to it. `input_sources` says how blocks->front() lists its
  // sources; the other blocks always list each node once (their sources
  // are the next layer's destinations).
  absl::Status Sample(absl::Span<const int64_t> seeds, uint64_t rng_seed,
                      std::vector<Block>* blocks, SampleStageSeconds* stages = nullptr,
                      InputSources input_sources = InputSources::kDistinct) const;

  const std::vector<int>& fanouts() const { return fanouts_; }

 private:
  GraphClient* client_;
  std::vector<int> fanouts_;
  int reverse_from_layer_;
};

// A well-mixed 64-bit seed from a base seed and a sequence of counters
// (epoch, batch, layer ...), so that every draw has its own stream.
uint64_t MixSeed(uint64_t base, std::initializer_list<uint64_t> counters);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_BLOCK_SAMPLER_H_
