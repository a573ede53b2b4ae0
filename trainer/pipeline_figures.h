// Where a training pass's time went and what it processed, summed over its
// batches: what the training loop adds up per step, what an epoch line, the
// CSV, the benchmark and the JSON summary report, and what ranks exchange.
#ifndef DISTSAGE_TRAINER_PIPELINE_FIGURES_H_
#define DISTSAGE_TRAINER_PIPELINE_FIGURES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace distsage {

struct PipelineFigures {
  int64_t num_batches = 0;
  int64_t num_seeds = 0;
  // Source nodes of the batches' first layers, summed: each node once, or
  // each edge's source once where the loader sampled that layer per edge
  // (InputSources::kPerEdge: the rows its means read).
  int64_t num_input_nodes = 0;
  // Batches whose first layer's means the loader computed (LoaderOptions::aggregate_first_layer).
  int64_t num_aggregated_batches = 0;
  double wall_seconds = 0.0;       // Wall time of the pass.
  double sample_seconds = 0.0;     // Loader-thread time sampling (overlaps compute).
  double pull_seconds = 0.0;       // Loader-thread time pulling (overlaps compute).
  double compute_seconds = 0.0;    // Forward, backward and optimiser step.
  double allreduce_seconds = 0.0;  // Part of compute: averaging gradients across trainers.
  double wait_seconds = 0.0;       // Model step idle, waiting for the loader.

  PipelineFigures& operator+=(const PipelineFigures& other);
  // Every figure divided by `n`, e.g. per-epoch means of n epochs' sum.
  PipelineFigures DividedBy(double n) const;

  // The time figures named for reports: `wall_name` + suffix for the wall
  // time, then "sample", "pull", "compute", "allreduce", "wait" + suffix,
  // e.g. NamedSeconds("epoch", "_s_mean") gives {"epoch_s_mean", ...}.
  std::vector<std::pair<std::string, double>> NamedSeconds(absl::string_view wall_name,
                                                           absl::string_view suffix) const;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_PIPELINE_FIGURES_H_
