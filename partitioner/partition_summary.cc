#include "partitioner/partition_summary.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace distsage {
namespace {

// value / mean, or 0 when the mean is 0.
double Ratio(int64_t value, int64_t total, int num_parts) {
  return total == 0 ? 0.0 : static_cast<double>(value) * num_parts / total;
}

}  // namespace

std::string FormatPartitionSummary(const PartitionConfig& config) {
  const int k = config.num_parts();
  std::string out = absl::StrFormat(
      "%s: %d part(s) by %s, %d nodes, %d directed edges\n"
      "%4s %12s %7s %14s %7s %10s %7s %12s\n",
      config.graph_name, k, config.part_method, config.num_nodes, config.num_edges, "part", "nodes",
      "/mean", "in-edges", "/mean", "train", "/mean", "cut in-edges");
  double max_ratio[3] = {0, 0, 0};
  for (const PartInfo& part : config.parts) {
    const double ratios[3] = {Ratio(part.num_nodes, config.num_nodes, k),
                              Ratio(part.num_in_edges, config.num_edges, k),
                              Ratio(part.num_train, config.num_train, k)};
    for (int i = 0; i < 3; ++i) max_ratio[i] = std::max(max_ratio[i], ratios[i]);
    absl::StrAppendFormat(&out, "%4d %12d %7.3f %14d %7.3f %10d %7.3f %12d\n", part.part_id,
                          part.num_nodes, ratios[0], part.num_in_edges, ratios[1], part.num_train,
                          ratios[2], part.edge_cut);
  }
  absl::StrAppendFormat(&out,
                        "max imbalance (max/mean): nodes %.3f, in-edges %.3f, train %.3f\n"
                        "edge cut: %d of %d directed edges (%.2f%%) cross parts\n",
                        max_ratio[0], max_ratio[1], max_ratio[2], config.edge_cut, config.num_edges,
                        config.num_edges == 0 ? 0.0 : 100.0 * config.edge_cut / config.num_edges);
  return out;
}

}  // namespace distsage
