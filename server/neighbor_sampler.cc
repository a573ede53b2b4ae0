#include "server/neighbor_sampler.h"

#include <algorithm>
#include <array>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "common/prefetch.h"
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

// Floyd's algorithm: a uniform k-subset of the positions [0, d), k < d,
// into chosen[0 .. k). For j in [d-k, d), pick t in [0, j]; take t unless
// taken, else j. Small k only: the membership test is one bit of a word
// where the positions fit in one (most lists), else a linear scan; both
// choose the same positions.
void DrawFloyd(int64_t d, int64_t k, NodeRng* rng, int64_t* chosen) {
  if (d <= 64) {
    uint64_t taken = 0;
    for (int64_t j = d - k, c = 0; j < d; ++j, ++c) {
      const int64_t t = static_cast<int64_t>(rng->Below(static_cast<uint64_t>(j) + 1));
      const int64_t pick = (taken >> t) & 1 ? j : t;
      taken |= uint64_t{1} << pick;
      chosen[c] = pick;
    }
    return;
  }
  int64_t num_chosen = 0;
  for (int64_t j = d - k; j < d; ++j) {
    const int64_t t = static_cast<int64_t>(rng->Below(static_cast<uint64_t>(j) + 1));
    bool taken = false;
    for (int64_t c = 0; c < num_chosen; ++c) taken |= chosen[c] == t;
    chosen[num_chosen++] = taken ? j : t;
  }
}

// Appends a uniform k-subset of `list` (k < list.size(), k > kFloydMaxFanout)
// to `src`: partial Fisher-Yates over edge positions.
void SampleManyWithoutReplacement(absl::Span<const int64_t> list, int64_t k, NodeRng* rng,
                                  std::vector<int64_t>* scratch, std::vector<int64_t>* src) {
  const int64_t d = static_cast<int64_t>(list.size());
  scratch->resize(static_cast<size_t>(d));
  std::iota(scratch->begin(), scratch->end(), 0);
  for (int64_t i = 0; i < k; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng->Below(static_cast<uint64_t>(d - i)));
    std::swap((*scratch)[i], (*scratch)[j]);
    src->push_back(list[(*scratch)[i]]);
  }
}

// The edge positions drawn for one seed, ahead of their copy.
struct Draw {
  int64_t count = 0;  // -1: the whole list.
  int64_t positions[kFloydMaxFanout];
};

// What one seed takes from its list (a fan-out of at most kFloydMaxFanout),
// drawn as SampleFromLists specifies; the lines it will read are requested.
void DrawPositions(int64_t seed, absl::Span<const int64_t> list,
                   const NeighborSampleRequest& request, Draw* draw) {
  const int64_t k = request.fanout;
  const int64_t d = static_cast<int64_t>(list.size());
  if (!request.replace && d <= k) {
    draw->count = -1;
    PrefetchBytes(list.data(), list.size() * sizeof(int64_t));
    return;
  }
  draw->count = 0;
  if (request.replace && d == 0) return;
  NodeRng rng(request.rng_seed, seed);
  if (request.replace) {
    for (int64_t e = 0; e < k; ++e) {
      draw->positions[e] = static_cast<int64_t>(rng.Below(static_cast<uint64_t>(d)));
    }
  } else {
    DrawFloyd(d, k, &rng, draw->positions);
  }
  draw->count = k;
  for (int64_t c = 0; c < k; ++c) __builtin_prefetch(list.data() + draw->positions[c]);
}

// SampleFromLists for fan-outs in [0, kFloydMaxFanout], software-pipelined:
// the edge positions of a seed depend only on the seed, the request and its
// list's length, so they are drawn kDrawAhead seeds before they are copied
// and exactly the cache lines they name are requested meanwhile (the lists
// sit at random places in a large edge array; waiting for each would be a
// cache miss or two per seed).
void SampleSmallFanout(absl::Span<const int64_t> seeds,
                       absl::Span<const absl::Span<const int64_t>> lists,
                       const NeighborSampleRequest& request, int32_t* counts,
                       std::vector<int64_t>* src) {
  constexpr size_t kDrawAhead = 4;
  std::array<Draw, kDrawAhead> ring;
  const size_t n = seeds.size();
  for (size_t i = 0; i < std::min(n, kDrawAhead); ++i) {
    DrawPositions(seeds[i], lists[i], request, &ring[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    Draw& draw = ring[i % kDrawAhead];
    const absl::Span<const int64_t> list = lists[i];
    const size_t before = src->size();
    if (draw.count < 0) {
      src->insert(src->end(), list.begin(), list.end());
    } else {
      for (int64_t c = 0; c < draw.count; ++c) src->push_back(list[draw.positions[c]]);
    }
    counts[i] = static_cast<int32_t>(src->size() - before);
    if (i + kDrawAhead < n) {
      DrawPositions(seeds[i + kDrawAhead], lists[i + kDrawAhead], request, &draw);
    }
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
  if (k >= 0 && k <= kFloydMaxFanout) {
    SampleSmallFanout(seeds, lists, request, counts, src);
    return;
  }
  std::vector<int64_t> scratch;
  // Lists sit at random places in a large edge array: start loading each a
  // few seeds before it is sampled (its first cache lines, where short lists
  // fit whole).
  constexpr size_t kPrefetchDistance = 8;
  constexpr size_t kPrefetchBytes = 256;
  for (size_t i = 0; i < seeds.size(); ++i) {
    if (i + kPrefetchDistance < seeds.size()) {
      const absl::Span<const int64_t> ahead = lists[i + kPrefetchDistance];
      PrefetchBytes(ahead.data(), std::min(ahead.size() * sizeof(int64_t), kPrefetchBytes));
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
      SampleManyWithoutReplacement(list, k, &rng, &scratch, src);
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
