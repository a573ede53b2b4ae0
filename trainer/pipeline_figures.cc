#include "trainer/pipeline_figures.h"

#include "absl/strings/str_cat.h"

namespace distsage {

PipelineFigures& PipelineFigures::operator+=(const PipelineFigures& other) {
  num_batches += other.num_batches;
  num_seeds += other.num_seeds;
  num_input_nodes += other.num_input_nodes;
  num_aggregated_batches += other.num_aggregated_batches;
  wall_seconds += other.wall_seconds;
  sample_seconds += other.sample_seconds;
  pull_seconds += other.pull_seconds;
  compute_seconds += other.compute_seconds;
  allreduce_seconds += other.allreduce_seconds;
  wait_seconds += other.wait_seconds;
  return *this;
}

PipelineFigures PipelineFigures::DividedBy(double n) const {
  PipelineFigures mean;
  mean.num_batches = static_cast<int64_t>(num_batches / n);
  mean.num_seeds = static_cast<int64_t>(num_seeds / n);
  mean.num_input_nodes = static_cast<int64_t>(num_input_nodes / n);
  mean.num_aggregated_batches = static_cast<int64_t>(num_aggregated_batches / n);
  mean.wall_seconds = wall_seconds / n;
  mean.sample_seconds = sample_seconds / n;
  mean.pull_seconds = pull_seconds / n;
  mean.compute_seconds = compute_seconds / n;
  mean.allreduce_seconds = allreduce_seconds / n;
  mean.wait_seconds = wait_seconds / n;
  return mean;
}

std::vector<std::pair<std::string, double>> PipelineFigures::NamedSeconds(
    absl::string_view wall_name, absl::string_view suffix) const {
  return {{absl::StrCat(wall_name, suffix), wall_seconds},
          {absl::StrCat("sample", suffix), sample_seconds},
          {absl::StrCat("pull", suffix), pull_seconds},
          {absl::StrCat("compute", suffix), compute_seconds},
          {absl::StrCat("allreduce", suffix), allreduce_seconds},
          {absl::StrCat("wait", suffix), wait_seconds}};
}

}  // namespace distsage
