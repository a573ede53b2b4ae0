#include "server/neighbor_sampler.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace distsage {
namespace {

// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed generator whose
// state can be derived from any 64-bit key, which is what per-node streams
// need. Not cryptographic; statistically sound for sampling.
class NodeRng {
 public:
  NodeRng(uint64_t rng_seed, int64_t node)
      : state_(Mix(rng_seed ^ Mix(static_cast<uint64_t>(node) + kGolden))) {}

  uint64_t Next() {
    state_ += kGolden;
    return Mix(state_);
  }

  // Uniform in [0, n), n > 0, without modulo bias (Lemire 2019).
  uint64_t Below(uint64_t n) {
    unsigned __int128 product = static_cast<unsigned __int128>(Next()) * n;
    uint64_t low = static_cast<uint64_t>(product);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        product = static_cast<unsigned __int128>(Next()) * n;
        low = static_cast<uint64_t>(product);
      }
    }
    return static_cast<uint64_t>(product >> 64);
  }

 private:
  static constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_;
};

// Up to this fan-out Floyd's algorithm with a linear membership scan beats
// preparing a permutation buffer of the whole neighbour list.
constexpr int64_t kFloydMaxFanout = 64;

// Appends a uniform k-subset of `list` (k < list.size()) to `src`.
void SampleWithoutReplacement(absl::Span<const int64_t> list, int64_t k, NodeRng* rng,
                              std::vector<int64_t>* scratch, std::vector<int64_t>* src) {
  const int64_t d = static_cast<int64_t>(list.size());
  if (k <= kFloydMaxFanout) {
    // Floyd: for j in [d-k, d), pick t in [0, j]; take t unless taken, else j.
    int64_t chosen[kFloydMaxFanout];
    int64_t num_chosen = 0;
    for (int64_t j = d - k; j < d; ++j) {
      const int64_t t = static_cast<int64_t>(rng->Below(static_cast<uint64_t>(j) + 1));
      bool taken = false;
      for (int64_t c = 0; c < num_chosen; ++c) taken |= chosen[c] == t;
      chosen[num_chosen++] = taken ? j : t;
    }
    for (int64_t c = 0; c < num_chosen; ++c) src->push_back(list[chosen[c]]);
    return;
  }
  // Partial Fisher-Yates over edge positions.
  scratch->resize(static_cast<size_t>(d));
  std::iota(scratch->begin(), scratch->end(), 0);
  for (int64_t i = 0; i < k; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng->Below(static_cast<uint64_t>(d - i)));
    std::swap((*scratch)[i], (*scratch)[j]);
    src->push_back(list[(*scratch)[i]]);
  }
}

}  // namespace

absl::Status CheckFanout(int fanout) {
  if (fanout == -1 || (fanout >= 0 && fanout <= kMaxFanout)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("fan-out ", fanout,
                                                 " is out of range; use -1 (all "
                                                 "in-edges) or a value in [0, ",
                                                 kMaxFanout, "]"));
}

int64_t CountSampledEdges(absl::Span<const absl::Span<const int64_t>> lists,
                          const NeighborSampleRequest& request) {
  const int64_t k = request.fanout;
  int64_t edges = 0;
  for (const absl::Span<const int64_t>& list : lists) {
    const int64_t d = static_cast<int64_t>(list.size());
    edges += k < 0 ? d : request.replace ? (d > 0 ? k : 0) : std::min(d, k);
  }
  return edges;
}

void SampleFromLists(absl::Span<const int64_t> seeds,
                     absl::Span<const absl::Span<const int64_t>> lists,
                     const NeighborSampleRequest& request, int32_t* counts,
                     std::vector<int64_t>* src) {
  const int64_t k = request.fanout;
  src->reserve(src->size() + static_cast<size_t>(CountSampledEdges(lists, request)));
  std::vector<int64_t> scratch;
  // Lists sit at random places in a large edge array: start loading each a
  // few seeds before it is sampled (its first cache lines, where short lists
  // fit whole).
  constexpr size_t kPrefetchDistance = 8;
  constexpr size_t kPrefetchBytes = 256;
  constexpr size_t kCacheLine = 64;
  for (size_t i = 0; i < seeds.size(); ++i) {
    if (i + kPrefetchDistance < seeds.size()) {
      const absl::Span<const int64_t> ahead = lists[i + kPrefetchDistance];
      const char* bytes = reinterpret_cast<const char*>(ahead.data());
      const size_t size = std::min(ahead.size() * sizeof(int64_t), kPrefetchBytes);
      for (size_t b = 0; b < size; b += kCacheLine) __builtin_prefetch(bytes + b);
    }
    const absl::Span<const int64_t> list = lists[i];
    const int64_t d = static_cast<int64_t>(list.size());
    const size_t before = src->size();
    if (k < 0 || (!request.replace && d <= k)) {
      src->insert(src->end(), list.begin(), list.end());
    } else if (request.replace) {
      if (d > 0) {
        NodeRng rng(request.rng_seed, seeds[i]);
        for (int64_t e = 0; e < k; ++e) {
          src->push_back(list[rng.Below(static_cast<uint64_t>(d))]);
        }
      }
    } else {
      NodeRng rng(request.rng_seed, seeds[i]);
      SampleWithoutReplacement(list, k, &rng, &scratch, src);
    }
    counts[i] = static_cast<int32_t>(src->size() - before);
  }
}

absl::Status SampleNeighbors(const PartitionStore& store, absl::Span<const int64_t> seeds,
                             const NeighborSampleRequest& request, int32_t* counts,
                             std::vector<int64_t>* src, int64_t max_answer_bytes) {
  DS_RETURN_IF_ERROR(CheckFanout(request.fanout));
  AdjacencyLists adjacency;
  DS_RETURN_IF_ERROR(store.GetInNeighbors(seeds, &adjacency));
  const int64_t num_seeds = static_cast<int64_t>(seeds.size());
  const int64_t edges = CountSampledEdges(adjacency.lists, request);
  const int64_t bytes = SampleAnswerBytes(num_seeds, edges);
  if (bytes > max_answer_bytes) {
    // Seeds per request that keep an average answer under the limit.
    const int64_t seeds_per_request = std::max<int64_t>(
        1, static_cast<int64_t>(static_cast<double>(num_seeds) * max_answer_bytes / bytes));
    return absl::ResourceExhaustedError(absl::StrCat(
        "sampling ", num_seeds, " seeds with fan-out ", request.fanout,
        request.replace ? " with" : " without", " replacement would answer ", edges, " edges (",
        bytes, " bytes), over this server's message limit of ", max_answer_bytes,
        " bytes (graph_server --max_message_mb); refused before sampling: send at most about ",
        seeds_per_request, " of these seeds per request, or lower the fan-out"));
  }
  src->clear();
  SampleFromLists(seeds, adjacency.lists, request, counts, src);
  return absl::OkStatus();
}

}  // namespace distsage
