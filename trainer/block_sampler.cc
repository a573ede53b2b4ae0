#include "trainer/block_sampler.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/thread_cpu_clock.h"
#include "trainer/local_id_map.h"

namespace distsage {

uint64_t MixSeed(uint64_t base, std::initializer_list<uint64_t> counters) {
  // SplitMix64 finaliser applied after folding in each counter.
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t state = mix(base);
  for (uint64_t counter : counters) state = mix(state ^ mix(counter + 0x632be59bd9b4e019ULL));
  return state;
}

BlockSampler::BlockSampler(GraphClient* client, std::vector<int> fanouts, int reverse_from_layer)
    : client_(client), fanouts_(std::move(fanouts)), reverse_from_layer_(reverse_from_layer) {}

absl::Status BlockSampler::Sample(absl::Span<const int64_t> seeds, uint64_t rng_seed,
                                  std::vector<Block>* blocks, SampleStageSeconds* stages,
                                  InputSources input_sources) const {
  SampleStageSeconds spent;
  double mark = ThreadCpuSeconds();
  // Charges the CPU time since the last mark to `stage`.
  auto charge = [&mark](double* stage) {
    const double now = ThreadCpuSeconds();
    *stage += now - mark;
    mark = now;
  };
  const int num_layers = static_cast<int>(fanouts_.size());
  blocks->assign(num_layers, Block());
  // The nodes whose in-neighbours the layer samples: the seeds, then the
  // previous (outer) block's sources, which `blocks` keeps in place.
  absl::Span<const int64_t> frontier = seeds;
  // Kept by each loader thread across batches, so a batch allocates no
  // table of its own.
  thread_local LocalIdMap local_of;
  SampledNeighbors sampled;
  for (int layer = num_layers - 1; layer >= 0; --layer) {
    Block& block = (*blocks)[layer];
    const int64_t num_dst = static_cast<int64_t>(frontier.size());
    block.num_dst = num_dst;
    const int fanout = fanouts_[layer];
    if (fanout == 0) {
      sampled.offsets.assign(num_dst + 1, 0);
      sampled.src.clear();
    } else {
      SampleOptions options;
      options.fanout = fanout;
      options.rng_seed = MixSeed(rng_seed, {static_cast<uint64_t>(layer)});
      DS_RETURN_IF_ERROR(client_->SampleNeighbors(frontier, options, &sampled));
      if (static_cast<int64_t>(sampled.offsets.size()) != num_dst + 1) {
        return absl::InternalError(absl::StrCat("SampleNeighbors answered ", sampled.offsets.size(),
                                                " offsets for ", num_dst, " seeds"));
      }
    }
    charge(&spent.neighbors);
    // Destination nodes keep their positions, so they form the source prefix.
    const int64_t max_src = num_dst + static_cast<int64_t>(sampled.src.size());
    if (layer == 0 && input_sources == InputSources::kPerEdge) {
      block.src_nodes.reserve(max_src);
      block.src_nodes.assign(frontier.begin(), frontier.end());
      block.src_nodes.insert(block.src_nodes.end(), sampled.src.begin(), sampled.src.end());
      block.indptr = std::move(sampled.offsets);
      block.indices.resize(sampled.src.size());
      std::iota(block.indices.begin(), block.indices.end(), num_dst);
      charge(&spent.relabel);
      if (layer >= reverse_from_layer_) block.BuildReverse();
      charge(&spent.reverse);
      break;  // The input layer is the last one sampled.
    }
    if (max_src > LocalIdMap::kMaxEntries) {
      return absl::InvalidArgumentError(absl::StrCat(
          "layer ", layer, " of the batch would have up to ", max_src, " source nodes, over the ",
          LocalIdMap::kMaxEntries, " a block can hold; use smaller batches or fan-outs"));
    }
    local_of.Reset(max_src);
    block.src_nodes.reserve(max_src);
    block.src_nodes.assign(frontier.begin(), frontier.end());
    for (int64_t i = 0; i < num_dst; ++i) local_of.FindOrInsert(block.src_nodes[i], i);
    block.indptr = std::move(sampled.offsets);
    const int64_t num_edges = static_cast<int64_t>(sampled.src.size());
    block.indices.resize(num_edges);
    // Each lookup lands at a random slot of a table of megabytes: start
    // loading the slot of the source a few edges ahead.
    constexpr int64_t kPrefetchDistance = 16;
    const int64_t* src = sampled.src.data();
    for (int64_t e = 0; e < std::min(num_edges, kPrefetchDistance); ++e) local_of.Prefetch(src[e]);
    for (int64_t e = 0; e < num_edges; ++e) {
      if (e + kPrefetchDistance < num_edges) local_of.Prefetch(src[e + kPrefetchDistance]);
      const auto [local, inserted] = local_of.FindOrInsert(src[e], block.num_src());
      if (inserted) block.src_nodes.push_back(src[e]);
      block.indices[e] = local;
    }
    charge(&spent.relabel);
    if (layer >= reverse_from_layer_) block.BuildReverse();
    charge(&spent.reverse);
    frontier = block.src_nodes;
  }
  if (stages != nullptr) {
    stages->neighbors += spent.neighbors;
    stages->relabel += spent.relabel;
    stages->reverse += spent.reverse;
  }
  return absl::OkStatus();
}

}  // namespace distsage
