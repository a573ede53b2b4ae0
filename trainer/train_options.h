// What a training run is asked to do: the model's shape (saved beside a
// checkpoint, so a saved model can be rebuilt) and the schedule. Plain data,
// no LibTorch, so the CLI and tests can build and check it cheaply.
#ifndef DISTSAGE_TRAINER_TRAIN_OPTIONS_H_
#define DISTSAGE_TRAINER_TRAIN_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/partition_config.h"
#include "common/thread_priority.h"
#include "trainer/precision.h"

namespace distsage {

// How input features are scaled before the first layer.
enum class FeatureNorm {
  kNone,
  kRow,  // Each row divided by its sum (GCN/Planetoid preprocessing).
};

// How the model draws its dropout masks: LibTorch's dropout, or
// CounterDropout (trainer/counter_dropout.h), the same distribution drawn in
// parallel from another random stream.
enum class DropoutMasks { kTorch, kCounter };

struct ModelOptions {
  // Input width: the feature's (from the partition config, 0 without one)
  // plus embedding_dim.
  int64_t in_dim = 0;
  // Learnable node embedding columns after the feature's (a KV tensor,
  // DGL's DistEmbedding); 0: none.
  int64_t embedding_dim = 0;
  int64_t num_classes = 0;  // Taken from the partition config.
  int num_hidden = 16;
  int num_layers = 2;
  double dropout = 0.5;        // Between layers.
  double input_dropout = 0.0;  // On the input features (DGL's train_full.py uses 0.5).
  bool layer_norm = false;     // LayerNorm after every hidden layer (Luo et al. 2024).
  FeatureNorm feature_norm = FeatureNorm::kNone;
  // Training fan-outs, input layer first; a 0 also switches the layer's
  // aggregation off at evaluation time, where other layers see all in-edges.
  std::vector<int> fanouts = {10, 25};
  // Arithmetic of the dense layers. A run setting, not part of the model's
  // shape: not in ToJson, so a model trained at one precision loads at any.
  Precision precision = Precision::kFloat32;
  // A run setting too (not in ToJson): how dropout masks are drawn.
  DropoutMasks dropout_masks = DropoutMasks::kCounter;

  // The fan-outs of full-neighbourhood inference: -1 where training
  // samples, 0 where the layer's aggregation is off.
  std::vector<int> EvalFanouts() const;
  std::string ToJson() const;
  static absl::StatusOr<ModelOptions> FromJson(const std::string& json, const std::string& source);
};

struct TrainOptions {
  ModelOptions model;
  std::string feature_name = "feat";  // "": no feature (embeddings only).
  // Sparse optimiser of the node embeddings, applied by their KV servers.
  std::string sparse_optimizer = "adam";
  double sparse_lr = 0.01;
  int num_epochs = 20;
  int64_t batch_size = 1000;
  int64_t batch_size_eval = 100000;
  double lr = 0.003;
  double weight_decay = 0.0;
  int eval_every = 5;  // 0: evaluate only after the last epoch; -1: never.
  int log_every = 20;
  uint64_t seed = 0;
  int num_threads = 0;         // 0: all cores.
  int num_loader_threads = 0;  // 0: derived from num_threads.
  // Intra-op threads of the training steps; 0: num_threads, or one where a
  // trial on the first steps says it is faster (trainer/model_thread_trial.h).
  int model_threads = 0;
  int prefetch = 2;  // Batches prepared ahead of the model step.
  // Nice levels the loader threads run below the model's threads
  // (LoaderOptions::worker_nice): they then build batches on the cores the
  // model step leaves idle instead of preempting its threads.
  int loader_nice = kMaxNice;
  // And under SCHED_IDLE (LoaderOptions::worker_sched_idle).
  bool loader_sched_idle = true;
  // The loader computes the first layer's neighbour means ahead of the model
  // (LoaderOptions::aggregate_first_layer) where that is the same function;
  // see AggregatesInLoader.
  bool aggregate_in_loader = true;
  // With the loader's means: summed from the rows where they are, not from a
  // copy of every input row (LoaderOptions::sum_rows_in_place).
  bool loader_sums_in_place = true;
  std::string metrics_out;  // CSV of per-epoch figures, when set.
  std::string save_model;   // Folder for the trained model, when set.
  // Training checkpoints (trainer/training_checkpoint.h): written every
  // checkpoint_every epochs and after the last when checkpoint_dir is set,
  // and also after every checkpoint_every_batches-th batch of the run when
  // that is positive (long epochs); with resume, training continues after
  // the last one there.
  std::string checkpoint_dir;
  int checkpoint_every = 1;
  int64_t checkpoint_every_batches = 0;
  bool resume = false;

  // Whether the loader computes the first layer's neighbour means: when
  // asked and where that is the same function, i.e. the model's input rows
  // are features that need no gradient (no learnable embeddings) and no
  // dropout before the mean.
  bool AggregatesInLoader() const {
    return aggregate_in_loader && !feature_name.empty() && model.embedding_dim == 0 &&
           model.input_dropout == 0.0;
  }
  // Whether the loader sums those means from the rows where they are: when
  // asked and the rows are the stored ones (InputRows::AreStoredRows).
  bool LoaderSumsInPlace() const {
    return AggregatesInLoader() && loader_sums_in_place && model.feature_norm == FeatureNorm::kNone;
  }
};

absl::StatusOr<FeatureNorm> ParseFeatureNorm(const std::string& name);
absl::StatusOr<DropoutMasks> ParseDropoutMasks(const std::string& name);
std::string DropoutMasksName(DropoutMasks masks);
std::string FeatureNormName(FeatureNorm norm);
// "10,25" -> {10, 25}; each entry -1 or >= 0.
absl::StatusOr<std::vector<int>> ParseFanouts(const std::string& text);

// Checks options on their own and against the graph they will train on;
// fills model.in_dim and model.num_classes from `config`. Messages name the
// flag at fault and how to fix it.
absl::Status ValidateTrainOptions(const PartitionConfig& config, TrainOptions* options);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_TRAIN_OPTIONS_H_
