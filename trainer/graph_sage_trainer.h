// Mini-batch GraphSAGE training and evaluation through a GraphClient, on
// this trainer's share of the training nodes. Standalone mode gives it an
// in-process client and every training node; distributed mode gives it a
// remote client and the nodes of its rank, and adds a gradient all-reduce
// around the optimiser step. The header keeps LibTorch out of its includers.
#ifndef DISTSAGE_TRAINER_GRAPH_SAGE_TRAINER_H_
#define DISTSAGE_TRAINER_GRAPH_SAGE_TRAINER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/graph_client.h"
#include "client/kv_client.h"
#include "trainer/epoch_metrics.h"
#include "trainer/model_thread_trial.h"
#include "trainer/pipeline_figures.h"
#include "trainer/progress_reporter.h"
#include "trainer/train_options.h"

namespace distsage {

class TrainerGroup;

// The nodes this trainer trains on, and how to fetch the nodes it evaluates.
// The evaluation lists are fetched when an evaluation runs and dropped after
// it instead of being held through training: at ogbn-products scale (2.2M
// test nodes) that leaves a trainer 28-33 MiB less memory of its own
// (bench/results/shm-a.md).
struct TrainerShare {
  std::vector<int64_t> train_nodes;
  // How many nodes fetch_eval_nodes gives for kValid and kTest.
  int64_t num_val = 0;
  int64_t num_test = 0;
  // Appends this trainer's nodes of `split` (kValid or kTest) to `nodes`.
  std::function<absl::Status(Split split, std::vector<int64_t>* nodes)> fetch_eval_nodes;
};

// Every node of every split, over all partitions of the client's graph
// (which must outlive the share).
absl::StatusOr<TrainerShare> WholeGraphShare(GraphClient* client);

struct Accuracies {
  double val = 0.0;
  double test = 0.0;
  double seconds = 0.0;
};

// Figures of GraphSageTrainer::Benchmark.
struct BenchmarkResult {
  // Batches trained through the loader before the timed ones, not timed.
  int64_t warmup_batches = 0;
  PipelineFigures pipeline;         // Training with the prefetching loader.
  int64_t num_edges = 0;            // Summed over layers and batches.
  double model_only_seconds = 0.0;  // The same steps over batches built beforehand.
  // CPU seconds of the whole process (every thread) in each pass: against
  // the wall time, how many cores the pass kept busy; pipeline minus model
  // only, what the loader cost on top of the steps.
  double pipeline_cpu_seconds = 0.0;
  double model_only_cpu_seconds = 0.0;
  // Of pipeline_cpu_seconds, the loader threads' CPU seconds building the
  // batches (LoaderStageSeconds::total): the loader's cost on cores the
  // model also uses, against the same loader alone (bench/loader_bench).
  double pipeline_loader_cpu_seconds = 0.0;
  // Bytes the client sent and received building the timed batches (once:
  // measured as the model-only pass builds them).
  int64_t bytes_moved = 0;
  // Process peak RSS before the batches for the model-only pass are built.
  double peak_rss_mb_after_pipeline = 0.0;
};

// This process's peak resident set size so far, in MiB.
double PeakRssMegabytes();

// Sets LibTorch's intra- and inter-op thread counts (0: all cores). Call once,
// before any tensor work.
void ConfigureTorchThreads(int num_threads);

// The KV tensor holding the learnable node embeddings.
inline constexpr char kNodeEmbeddingTensor[] = "node_embedding";

class GraphSageTrainer {
 public:
  // A fresh model for `options` (already validated by ValidateTrainOptions).
  // `client` must outlive the trainer. With a `group` (data-parallel mode,
  // must outlive the trainer too) every rank starts from rank 0's
  // parameters, gradients are averaged across ranks every step, evaluation
  // counts are summed across ranks, and Train checks after every evaluation
  // that all ranks hold bit-identical parameters. Every rank must then make
  // the same calls with shares of equal size. With options.model.embedding_dim
  // > 0, `kv` (must outlive the trainer) holds the learnable node embeddings
  // (KV tensor kNodeEmbeddingTensor, created if missing): each batch pulls its
  // input nodes' rows and pushes their gradients to the owners' sparse
  // optimiser (scaled by 1/world size, no all-reduce).
  static absl::StatusOr<std::unique_ptr<GraphSageTrainer>> Create(GraphClient* client,
                                                                  const TrainOptions& options,
                                                                  TrainerGroup* group = nullptr,
                                                                  KVClient* kv = nullptr);
  // The model saved in `dir` (options.model is replaced by the saved one),
  // checked against the client's graph.
  // With embeddings, their last save is loaded into the KV store too.
  static absl::StatusOr<std::unique_ptr<GraphSageTrainer>> Load(GraphClient* client,
                                                                TrainOptions options,
                                                                const std::string& dir,
                                                                TrainerGroup* group = nullptr,
                                                                KVClient* kv = nullptr);
  ~GraphSageTrainer();

  // options.num_epochs epochs over share.train_nodes (reshuffled each epoch),
  // evaluating every options.eval_every epochs and after the last. Progress
  // goes to `reporter`, epochs to `csv` (may be null) and `history`. With
  // options.checkpoint_dir, checkpoints as it goes (epoch ends, and every
  // options.checkpoint_every_batches batches); with options.resume, first
  // restores the last checkpoint there that every rank has, and trains the
  // batches after it (resumed_from_epoch(), resumed_from_batch()); the
  // resumed epoch's loss and accuracy still cover all its batches. For
  // fault-injection tests:
  // DISTSAGE_TRAINER_KILL_AFTER_BATCHES=N in the environment kills the
  // process (SIGKILL) after its N-th training batch.
  absl::Status Train(const TrainerShare& share, ProgressReporter* reporter, MetricsCsvWriter* csv,
                     std::vector<EpochMetrics>* history);
  // Validation and test accuracy by full-neighbourhood layer-wise inference
  // of this rank's share; over all ranks' shares with a group.
  absl::StatusOr<Accuracies> Evaluate(const TrainerShare& share);
  // CRC-32 of the parameters' bytes: equal on ranks holding the same model.
  uint32_t ParameterChecksum() const;
  // The epoch Train resumed after (0: it started from epoch 1), and the
  // batches of the next epoch its checkpoint covered (0: none).
  int resumed_from_epoch() const;
  int64_t resumed_from_batch() const;
  // Whether a training epoch's loader left SCHED_IDLE for good
  // (LoaderOptions::worker_sched_idle, trainer --loader_sched_idle).
  bool loader_left_sched_idle() const;
  // The intra-op threads the training steps use (TrainOptions::
  // model_threads; with 0, the trial's choice once it is over).
  int model_threads() const;
  // The trial behind it (its estimates; TrainOptions::model_threads 0).
  const ModelThreadTrial& model_thread_trial() const;
  // The model into `dir`; with embeddings, also a KV save of them (each
  // server's own folder, client/kv_client.h).
  absl::Status Save(const std::string& dir);
  // Trains on `num_batches` batches of an epoch twice: through the
  // prefetching loader, then over the same batches built beforehand (the
  // model steps alone: the limit if sampling and pulls were free). The
  // loader's pass starts with up to `warmup_batches` batches before them,
  // not timed, so that neither pass pays the process's first steps
  // (first-touch page faults, LibTorch's and oneDNN's first calls): the
  // model-only pass runs after the loader's anyway; they also cover the
  // trial of thread counts (TrainOptions::model_threads) when it runs, and
  // the model-only pass uses the count it chose. Fewer batches where
  // the epoch has fewer; the timed ones come first.
  absl::StatusOr<BenchmarkResult> Benchmark(const std::vector<int64_t>& train_nodes,
                                            int64_t num_batches, int64_t warmup_batches);

  const TrainOptions& options() const;

 private:
  struct State;
  explicit GraphSageTrainer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_GRAPH_SAGE_TRAINER_H_
