#include "partitioner/metis_graph.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/parallel_for.h"
#include "partitioner/progress_meter.h"

namespace distsage {
namespace {

constexpr int64_t kMaxIdx = std::numeric_limits<idx_t>::max();
// Nodes per work item of the parallel sort: small enough that high-degree
// regions of the ID space spread over threads.
constexpr int64_t kNodesPerChunk = 1 << 16;

absl::Status TooLargeForMetis(absl::string_view what, int64_t count) {
  return absl::ResourceExhaustedError(
      absl::StrCat("graph too large for METIS: ", what, " is ", count, " but this libmetis uses ",
                   sizeof(idx_t) * 8, "-bit idx_t (at most ", kMaxIdx,
                   "); use --part_method random, or rebuild METIS with IDXTYPEWIDTH=64"));
}

}  // namespace

absl::StatusOr<MetisGraph> BuildMetisGraph(const GraphDataset& dataset, int num_threads) {
  const int64_t num_nodes = dataset.num_nodes;
  if (num_nodes > kMaxIdx) return TooLargeForMetis("the node count", num_nodes);
  // Each directed edge u->v (u != v) adds v to u's list and u to v's list;
  // sorting and deduplicating then leaves each undirected pair once per side.
  std::vector<int64_t> offsets(num_nodes + 1, 0);
  for (int64_t v = 0; v < num_nodes; ++v) {
    for (int64_t e = dataset.in_ptr[v]; e < dataset.in_ptr[v + 1]; ++e) {
      const int64_t u = dataset.in_src[e];
      if (u == v) continue;
      ++offsets[u + 1];
      ++offsets[v + 1];
    }
  }
  for (int64_t v = 0; v < num_nodes; ++v) offsets[v + 1] += offsets[v];
  MetisGraph graph;
  graph.adjncy.resize(offsets[num_nodes]);
  {
    std::vector<int64_t> cursor(offsets.begin(), offsets.end() - 1);
    for (int64_t v = 0; v < num_nodes; ++v) {
      for (int64_t e = dataset.in_ptr[v]; e < dataset.in_ptr[v + 1]; ++e) {
        const int64_t u = dataset.in_src[e];
        if (u == v) continue;
        graph.adjncy[cursor[u]++] = static_cast<idx_t>(v);
        graph.adjncy[cursor[v]++] = static_cast<idx_t>(u);
      }
    }
  }
  // Sort and deduplicate each list in place, in parallel over node chunks.
  std::vector<int64_t> unique_count(num_nodes);
  ProgressMeter progress("build METIS graph", "nodes", num_nodes);
  const int64_t num_chunks = (num_nodes + kNodesPerChunk - 1) / kNodesPerChunk;
  ParallelFor(num_chunks, num_threads, [&](int64_t chunk) {
    const int64_t begin = chunk * kNodesPerChunk;
    const int64_t end = std::min(num_nodes, begin + kNodesPerChunk);
    for (int64_t v = begin; v < end; ++v) {
      idx_t* first = graph.adjncy.data() + offsets[v];
      idx_t* last = graph.adjncy.data() + offsets[v + 1];
      std::sort(first, last);
      unique_count[v] = std::unique(first, last) - first;
    }
    progress.Add(end - begin);
  });
  progress.Finish();
  // Compact: every list moves towards the front, never past its old start.
  graph.xadj.resize(num_nodes + 1);
  int64_t write = 0;
  graph.xadj[0] = 0;
  for (int64_t v = 0; v < num_nodes; ++v) {
    std::copy_n(graph.adjncy.begin() + offsets[v], unique_count[v], graph.adjncy.begin() + write);
    write += unique_count[v];
    if (write > kMaxIdx) {
      return TooLargeForMetis("the number of adjacency entries (2 x undirected edges)", write);
    }
    graph.xadj[v + 1] = static_cast<idx_t>(write);
  }
  graph.adjncy.resize(write);
  return graph;
}

}  // namespace distsage
