// Per-epoch figures of a training run, and the CSV file (--metrics_out) that
// records them one row per epoch.
#ifndef DISTSAGE_TRAINER_EPOCH_METRICS_H_
#define DISTSAGE_TRAINER_EPOCH_METRICS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/pipeline_figures.h"

namespace distsage {

struct EpochMetrics {
  int epoch = 0;             // 1-based.
  PipelineFigures pipeline;  // The training pass (wall_seconds: the epoch's).
  double loss = 0.0;         // Mean over seeds.
  double train_acc = 0.0;    // On the sampled training batches.
  bool evaluated = false;    // Whether val_acc/test_acc were computed.
  double val_acc = 0.0;
  double test_acc = 0.0;
  double eval_seconds = 0.0;

  // "Epoch 3 | loss 0.4213 | train acc 0.8820 | val acc ... | 2.31 s (...)".
  std::string ToLine() const;
};

// Appends one CSV row per epoch to a file, header first.
class MetricsCsvWriter {
 public:
  ~MetricsCsvWriter();
  // Creates (truncates) `path` and writes the header.
  static absl::StatusOr<std::unique_ptr<MetricsCsvWriter>> Create(const std::string& path);
  absl::Status Append(const EpochMetrics& metrics);

 private:
  MetricsCsvWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_;
  std::string path_;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_EPOCH_METRICS_H_
