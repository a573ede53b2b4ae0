#include "trainer/block_sampler.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/thread_cpu_clock.h"

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
                                  std::vector<Block>* blocks, SampleStageSeconds* stages) const {
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
  absl::flat_hash_map<int64_t, int64_t> local_of;
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
    local_of.clear();
    local_of.reserve(num_dst + sampled.src.size());
    block.src_nodes.reserve(num_dst + sampled.src.size());
    block.src_nodes.assign(frontier.begin(), frontier.end());
    for (int64_t i = 0; i < num_dst; ++i) local_of.try_emplace(block.src_nodes[i], i);
    block.indptr = std::move(sampled.offsets);
    block.indices.resize(sampled.src.size());
    for (size_t e = 0; e < sampled.src.size(); ++e) {
      auto [it, inserted] = local_of.try_emplace(sampled.src[e], block.num_src());
      if (inserted) block.src_nodes.push_back(sampled.src[e]);
      block.indices[e] = it->second;
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
