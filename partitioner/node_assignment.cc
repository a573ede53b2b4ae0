#include "partitioner/node_assignment.h"

#include <metis.h>

#include <cstdio>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/partition_format.h"
#include "common/status_macros.h"
#include "partitioner/metis_graph.h"
#include "partitioner/progress_meter.h"

namespace distsage {
namespace {

// A seeded uniform shuffle cut into equal slices: node counts differ by at
// most one, and the other constraints balance in expectation.
std::vector<int32_t> RandomAssignment(int64_t num_nodes, int num_parts, uint64_t seed) {
  std::vector<int64_t> order(num_nodes);
  for (int64_t v = 0; v < num_nodes; ++v) order[v] = v;
  // Fisher-Yates on mt19937_64's raw output: std::shuffle's algorithm is
  // implementation-defined, and the split must be reproducible.
  std::mt19937_64 rng(seed);
  for (int64_t i = num_nodes - 1; i > 0; --i) {
    std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
  }
  std::vector<int32_t> part(num_nodes);
  for (int64_t i = 0; i < num_nodes; ++i) {
    part[order[i]] = static_cast<int32_t>(i * num_parts / num_nodes);
  }
  return part;
}

absl::StatusOr<std::vector<int32_t>> MetisAssignment(const GraphDataset& dataset,
                                                     const AssignmentOptions& options) {
  DS_ASSIGN_OR_RETURN(MetisGraph graph, BuildMetisGraph(dataset, options.num_threads));
  const int64_t num_nodes = dataset.num_nodes;
  bool balance_train = options.balance_train;
  if (balance_train && dataset.CountSplit(partition_format::kTrainBit) == 0) {
    std::fprintf(stderr, "[metis] no training nodes: --balance_train has nothing to balance\n");
    balance_train = false;
  }
  if (options.balance_edges && dataset.num_edges() > std::numeric_limits<idx_t>::max()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "--balance_edges: the total in-degree ", dataset.num_edges(), " overflows METIS's ",
        sizeof(idx_t) * 8, "-bit vertex weights; drop --balance_edges"));
  }
  idx_t num_constraints = 1 + (balance_train ? 1 : 0) + (options.balance_edges ? 1 : 0);
  std::vector<idx_t> weights(num_nodes * num_constraints);
  for (int64_t v = 0; v < num_nodes; ++v) {
    idx_t* w = &weights[v * num_constraints];
    *w++ = 1;
    if (balance_train) *w++ = (dataset.split_mask[v] & partition_format::kTrainBit) ? 1 : 0;
    if (options.balance_edges) *w++ = static_cast<idx_t>(dataset.InDegree(v));
  }
  idx_t metis_options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(metis_options);
  metis_options[METIS_OPTION_NUMBERING] = 0;
  metis_options[METIS_OPTION_SEED] = static_cast<idx_t>(options.seed & 0x7fffffff);
  idx_t num_vertices = graph.num_nodes();
  idx_t num_parts = options.num_parts;
  idx_t edge_cut = 0;
  std::vector<idx_t> part(num_nodes);
  std::fprintf(stderr,
               "[metis] k-way partitioning %lld nodes, %lld undirected edges into %d parts "
               "(%d constraints)...\n",
               static_cast<long long>(num_nodes), static_cast<long long>(graph.adjncy.size() / 2),
               options.num_parts, static_cast<int>(num_constraints));
  ProgressMeter progress("metis", "nodes", num_nodes);
  int result = METIS_OK;
  progress.RunWithHeartbeat([&] {
    result = METIS_PartGraphKway(&num_vertices, &num_constraints, graph.xadj.data(),
                                 graph.adjncy.data(), weights.data(), nullptr, nullptr, &num_parts,
                                 nullptr, nullptr, metis_options, &edge_cut, part.data());
  });
  if (result != METIS_OK) {
    return absl::InternalError(
        absl::StrCat("METIS_PartGraphKway failed with code ", result,
                     result == METIS_ERROR_MEMORY ? " (out of memory)" : " (invalid input)"));
  }
  progress.Finish(num_nodes);
  return std::vector<int32_t>(part.begin(), part.end());
}

}  // namespace

absl::StatusOr<PartMethod> ParsePartMethod(const std::string& name) {
  if (name == "metis") return PartMethod::kMetis;
  if (name == "random") return PartMethod::kRandom;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown --part_method '", name, "': use metis or random"));
}

const char* PartMethodName(PartMethod method) {
  return method == PartMethod::kMetis ? "metis" : "random";
}

absl::StatusOr<std::vector<int32_t>> AssignNodesToParts(const GraphDataset& dataset,
                                                        const AssignmentOptions& options) {
  if (options.num_parts < 1 || options.num_parts > dataset.num_nodes) {
    return absl::InvalidArgumentError(absl::StrCat("--num_parts ", options.num_parts,
                                                   " is out of range: use 1..", dataset.num_nodes,
                                                   " (the number of nodes)"));
  }
  if (options.num_parts == 1) return std::vector<int32_t>(dataset.num_nodes, 0);
  if (options.method == PartMethod::kRandom) {
    return RandomAssignment(dataset.num_nodes, options.num_parts, options.seed);
  }
  return MetisAssignment(dataset, options);
}

}  // namespace distsage
