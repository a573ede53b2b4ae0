#include "partitioner/synthetic_graph.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/parallel_for.h"
#include "common/partition_format.h"
#include "partitioner/progress_meter.h"

namespace distsage {
namespace {

constexpr double kParetoAlpha = 2.5;
constexpr double kMaxWeight = 1000.0;
// Distance between two class centroids, in units of the per-dimension noise,
// whatever the feature dimension: own-feature nearest-centroid mixes up
// classes often (pairwise error about 7%, much more against 46 others).
constexpr double kCentroidDistance = 3.0;
constexpr int64_t kRowsPerChunk = 1 << 20;
constexpr int64_t kNodesPerChunk = 1 << 14;

// A well-mixed 64-bit hash; chunk and stream seeds are derived with it so
// the output does not depend on which thread handles which chunk.
uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t StreamSeed(uint64_t seed, uint64_t stream, uint64_t index) {
  return SplitMix64(SplitMix64(seed ^ SplitMix64(stream)) + index);
}

// Uniform double in [0, 1) from 53 random bits.
double UnitDouble(uint64_t bits) { return (bits >> 11) * 0x1.0p-53; }

// Walker/Vose alias table: draws index i with probability weight[i] / sum
// in constant time.
class AliasTable {
 public:
  explicit AliasTable(const std::vector<double>& weight)
      : probability_(weight.size()), alias_(weight.size()) {
    const int64_t n = static_cast<int64_t>(weight.size());
    double total = 0;
    for (double w : weight) total += w;
    std::vector<int64_t> small, large;
    for (int64_t i = 0; i < n; ++i) {
      probability_[i] = weight[i] * n / total;
      (probability_[i] < 1.0 ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
      const int64_t s = small.back(), l = large.back();
      small.pop_back();
      alias_[s] = l;
      probability_[l] -= 1.0 - probability_[s];
      if (probability_[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (int64_t i : small) probability_[i] = 1.0;
    for (int64_t i : large) probability_[i] = 1.0;
  }

  int64_t Pick(std::mt19937_64& rng) const {
    const int64_t slot = static_cast<int64_t>(UnitDouble(rng()) * probability_.size());
    return UnitDouble(rng()) < probability_[slot] ? slot : alias_[slot];
  }

 private:
  std::vector<double> probability_;
  std::vector<int64_t> alias_;
};

absl::Status CheckOptions(const SyntheticGraphOptions& o) {
  if (o.num_nodes < 2) return absl::InvalidArgumentError("--num_nodes must be at least 2");
  if (o.num_classes < 1) return absl::InvalidArgumentError("--num_classes must be at least 1");
  if (o.feat_dim < 1) return absl::InvalidArgumentError("--feat_dim must be at least 1");
  if (o.community_size < 1) return absl::InvalidArgumentError("community size must be >= 1");
  if (o.avg_degree < 0 || o.num_undirected_edges < 0) {
    return absl::InvalidArgumentError("--avg_degree and --num_edges must not be negative");
  }
  for (double fraction : {o.train_fraction, o.valid_fraction, o.intra_community}) {
    if (!(fraction >= 0 && fraction <= 1)) {
      return absl::InvalidArgumentError("split and community fractions must be in [0, 1]");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GraphDataset> GenerateSyntheticGraph(const SyntheticGraphOptions& options) {
  if (absl::Status status = CheckOptions(options); !status.ok()) return status;
  const int64_t n = options.num_nodes;
  const uint64_t seed = options.seed;
  const int threads = std::max(1, options.num_threads);
  const int64_t num_train =
      options.num_train >= 0 ? options.num_train : std::llround(options.train_fraction * n);
  const int64_t num_valid =
      options.num_valid >= 0 ? options.num_valid : std::llround(options.valid_fraction * n);
  if (num_train + num_valid > n) {
    return absl::InvalidArgumentError(absl::StrCat("train + valid nodes (", num_train, " + ",
                                                   num_valid, ") exceed --num_nodes ", n));
  }
  GraphDataset dataset;
  dataset.name = "synthetic";
  dataset.num_classes = options.num_classes;
  dataset.feat_dim = options.feat_dim;
  dataset.split_name = "random";

  // Communities: node v joins a hashed community; community c has class
  // c mod num_classes, so classes have about equal sizes.
  const int64_t num_communities = std::max<int64_t>(
      options.num_classes, (n + options.community_size - 1) / options.community_size);
  std::vector<int32_t> community(n);
  std::vector<int64_t> community_begin(num_communities + 1, 0);
  dataset.labels.resize(n);
  for (int64_t v = 0; v < n; ++v) {
    community[v] = static_cast<int32_t>(StreamSeed(seed, 1, v) % num_communities);
    dataset.labels[v] = community[v] % options.num_classes;
    ++community_begin[community[v] + 1];
  }
  for (int64_t c = 0; c < num_communities; ++c) community_begin[c + 1] += community_begin[c];
  // Members grouped by community, with prefix sums of their weights, so an
  // endpoint inside a community is a short binary search; endpoints drawn
  // from the whole graph use an alias table (O(1), one cache miss or two).
  std::vector<int64_t> members(n);
  std::vector<double> cumulative(n);
  std::vector<double> weight(n);
  {
    std::vector<int64_t> cursor(community_begin.begin(), community_begin.end() - 1);
    for (int64_t v = 0; v < n; ++v) members[cursor[community[v]]++] = v;
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double u = UnitDouble(StreamSeed(seed, 2, members[i]));
      weight[i] = std::min(kMaxWeight, std::pow(1.0 - u, -1.0 / (kParetoAlpha - 1.0)));
      total += weight[i];
      cumulative[i] = total;
    }
  }
  const AliasTable global_table(weight);
  weight = {};
  auto pick_in = [&](int64_t begin, int64_t end, double unit) {
    const double low = begin == 0 ? 0.0 : cumulative[begin - 1];
    const double target = low + unit * (cumulative[end - 1] - low);
    const int64_t i =
        std::upper_bound(cumulative.begin() + begin, cumulative.begin() + end, target) -
        cumulative.begin();
    return members[std::min(i, end - 1)];
  };

  const int64_t num_rows = options.num_undirected_edges > 0
                               ? options.num_undirected_edges
                               : std::llround(n * options.avg_degree / 2.0);
  std::vector<int64_t> rows(2 * num_rows);
  {
    ProgressMeter progress("generate edges", "rows", num_rows);
    const int64_t num_chunks = (num_rows + kRowsPerChunk - 1) / kRowsPerChunk;
    ParallelFor(num_chunks, threads, [&](int64_t chunk) {
      std::mt19937_64 rng(StreamSeed(seed, 3, chunk));
      const int64_t end = std::min(num_rows, (chunk + 1) * kRowsPerChunk);
      for (int64_t r = chunk * kRowsPerChunk; r < end; ++r) {
        const int64_t u = members[global_table.Pick(rng)];
        const bool intra = UnitDouble(rng()) < options.intra_community;
        const int64_t begin = community_begin[community[u]];
        const int64_t stop = community_begin[community[u] + 1];
        auto pick_v = [&] {
          return intra ? pick_in(begin, stop, UnitDouble(rng())) : members[global_table.Pick(rng)];
        };
        int64_t v = pick_v();
        // Re-draw self-loops a few times; a one-node community keeps its loop.
        for (int attempt = 0; v == u && attempt < 8; ++attempt) v = pick_v();
        rows[2 * r] = u;
        rows[2 * r + 1] = v;
      }
      progress.Add(end - chunk * kRowsPerChunk);
    });
    progress.Finish();
  }
  members = {};
  cumulative = {};
  community = {};
  BuildInEdges(n, /*add_inverse=*/true, &rows, &dataset);

  // Features: signal * centroid[label] + N(0, 1).
  const int64_t dim = options.feat_dim;
  std::vector<float> centroids(options.num_classes * dim);
  {
    std::mt19937_64 rng(StreamSeed(seed, 4, 0));
    std::normal_distribution<float> normal;
    for (float& x : centroids) x = normal(rng);
  }
  const float signal = static_cast<float>(kCentroidDistance / std::sqrt(2.0 * dim));
  dataset.features.resize(n * dim);
  {
    ProgressMeter progress("generate features", "nodes", n);
    ParallelFor((n + kNodesPerChunk - 1) / kNodesPerChunk, threads, [&](int64_t chunk) {
      std::mt19937_64 rng(StreamSeed(seed, 5, chunk));
      std::normal_distribution<float> normal;
      const int64_t end = std::min(n, (chunk + 1) * kNodesPerChunk);
      for (int64_t v = chunk * kNodesPerChunk; v < end; ++v) {
        const float* centroid = &centroids[dataset.labels[v] * dim];
        float* row = &dataset.features[v * dim];
        for (int64_t f = 0; f < dim; ++f) row[f] = signal * centroid[f] + normal(rng);
      }
      progress.Add(end - chunk * kNodesPerChunk);
    });
    progress.Finish();
  }

  // Split: a seeded shuffle; the first num_train are train, then valid, the
  // rest test.
  std::vector<int64_t> order(n);
  for (int64_t v = 0; v < n; ++v) order[v] = v;
  std::mt19937_64 rng(StreamSeed(seed, 6, 0));
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
  dataset.split_mask.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    dataset.split_mask[order[i]] = i < num_train               ? partition_format::kTrainBit
                                   : i < num_train + num_valid ? partition_format::kValidBit
                                                               : partition_format::kTestBit;
  }
  return dataset;
}

}  // namespace distsage
