// The prefetching mini-batch loader: worker threads sample the blocks and
// pull the input features and seed labels of upcoming batches while the model
// trains on the current one, and hand them over in order through a bounded
// queue. This is what keeps a small machine's cores busy: the model step and
// the graph work of later batches overlap.
#ifndef DISTSAGE_TRAINER_MINIBATCH_LOADER_H_
#define DISTSAGE_TRAINER_MINIBATCH_LOADER_H_

#include <ATen/core/Tensor.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "client/graph_client.h"
#include "common/buffer_pool.h"
#include "trainer/block.h"
#include "trainer/block_sampler.h"
#include "trainer/feature_rows.h"
#include "trainer/train_options.h"

namespace distsage {

// CPU time of the worker thread that built a batch, per stage (thread CPU
// clock: other load on the machine does not inflate it, unlike the wall
// times beside it).
struct LoaderStageSeconds {
  SampleStageSeconds sample;  // Neighbour draws, ID dedup and relabelling, reverse CSRs.
  // The input rows (buffer, random-row gather, normalisation); when the
  // loader sums rows where they are, only locating them and pulling remote ones.
  double gather = 0.0;
  double aggregate = 0.0;  // The first layer's neighbour means, when the loader takes them.
  double labels = 0.0;     // The seeds' labels, checked.

  // Every stage's seconds, summed.
  double total() const {
    return sample.neighbors + sample.relabel + sample.reverse + gather + aggregate + labels;
  }
};

struct MiniBatch {
  int64_t index = 0;  // Position in the epoch.
  std::vector<int64_t> seeds;
  // Input layer first; blocks.back() has the seeds as destinations. When the
  // loader aggregated the first layer, blocks.front() keeps only its
  // destinations and degrees (Block::KeepOnlyDestinationsAndDegrees).
  std::vector<Block> blocks;
  // blocks.front()'s source nodes as sampled (each node once, or a source
  // per edge: InputSources), whatever the loader kept of that block.
  int64_t num_input_nodes = 0;
  // The input rows, float32: those of blocks.front()'s source nodes
  // [num_src, dim]; or, when the loader aggregated the first layer, those of
  // its destinations only [blocks.front().num_dst, dim] (bfloat16 with
  // LoaderOptions::aggregated_rows_bfloat16, as neighbor_mean).
  at::Tensor features;
  // Defined when the loader aggregated the first layer: the mean of each
  // destination's sampled in-neighbours' rows [blocks.front().num_dst, dim]
  // (GraphSageImpl::ForwardAggregated).
  at::Tensor neighbor_mean;
  // Whether those means were summed from the rows where they are
  // (LoaderOptions::sum_rows_in_place), not from a copy of every input row.
  bool summed_in_place = false;
  at::Tensor labels;            // int64 [seeds.size()], each in [0, num_classes)
  double sample_seconds = 0.0;  // Worker time spent sampling the blocks.
  double pull_seconds = 0.0;    // Worker time spent pulling features and labels.
  LoaderStageSeconds cpu;
};

struct LoaderOptions {
  int64_t batch_size = 1000;
  int num_workers = 1;
  int prefetch = 2;  // Batches built or being built ahead of the consumer, at most.
  // Nice levels (0-19) the workers run below the thread that made the
  // loader, so that they build batches on the cores the consumer (the
  // model's step) leaves idle rather than preempting its threads
  // (LowerCallingThreadPriority). When the consumer waits for a batch, its
  // threads sleep and the workers get the cores all the same.
  int worker_nice = 0;
  // The workers also take the SCHED_IDLE policy (MakeCallingThreadIdle):
  // a consumer thread that wakes up gets its core back at once, not at the
  // scheduler's next check as from a nice-19 worker. That only helps while
  // the consumer is the bound. Where the consumer waits for batches longer
  // than it works between them (over its last kIdleCheckBatches batches, or
  // for one batch longer than it worked over those, or than
  // kFirstBatchPatience for its first: other processes keep the cores busy
  // and starve the idle workers, or the loader is the bound anyway), new
  // workers at worker_nice alone take over (a thread cannot leave
  // SCHED_IDLE unprivileged), and MiniBatchLoader::left_sched_idle() says
  // so. The batches are the same either way.
  bool worker_sched_idle = false;
  // The first batch built and delivered: earlier ones are skipped (a run
  // resumed from a mid-epoch checkpoint). Batches keep their indices.
  int64_t first_batch = 0;
  InputRows input;  // What the batch's input rows hold (features, embeddings).
  int64_t num_classes = 0;
  // Also compute the first layer's neighbour means (NeighborMeanRows) from
  // the input rows, and hand over only those and the destinations' rows:
  // 2 x num_dst rows instead of num_src (at products scale ~45k instead of
  // ~187k), so the batches in flight take a fraction of the memory. Only for
  // input rows that need no gradient and no dropout.
  bool aggregate_first_layer = false;
  // With aggregate_first_layer: the first layer's output width when it
  // projects its input before aggregating (input wider than output), else 0.
  // The model then has its own way, which can be cheaper (projecting every
  // input row to a narrow width first), and the loader aggregates an
  // epoch's batches where LoaderMeansAreCheaper says so of the epoch's
  // batch 0 (batches of one epoch have alike shapes; a resumed epoch, and
  // a loader that reads its rows any other way, decide the same, so the
  // run is the same bit for bit); else it builds the batches' first
  // reverse CSR, which the model's backward pass then needs.
  int64_t first_layer_projected_width = 0;
  // Where feature batches are allocated; shared across epochs so that their
  // pages are reused. Null: plain allocation.
  std::shared_ptr<BufferPool> feature_buffers;
  // With aggregate_first_layer and stored rows (InputRows::AreStoredRows):
  // sum the means from the rows where they are (a partition in this process,
  // e.g. a server's mapped segment; only remote rows are pulled) instead of
  // from a copy of every input row. It reads a random row per edge and per
  // destination instead of one per input row, and saves the copy's memory:
  // measured at products scale 1.02-1.09x the loader's CPU and 70 MiB less
  // per loader thread, on Amazon Computers 0.98-1.11x and 36 MiB less
  // (bench/results/loader_in_place.md).
  // Where every row is read in place (GraphClient::LocatesEveryRowInPlace:
  // nothing to pull, so nothing gained by pulling each node once), the
  // first layer is also sampled with one source per edge
  // (InputSources::kPerEdge), skipping its deduplication, and rows stored
  // as bfloat16 (partition_graph --feature_dtype) or held so
  // (PartitionStoreOptions::hold_features_bfloat16) are read as held, half
  // the bytes, not pulled and widened; the same batches.
  bool sum_rows_in_place = false;
  // With aggregate_first_layer: hand the destinations' rows and their means
  // over as bfloat16, each value rounded once to nearest even, as a model
  // computing in bf16 (Precision::kBFloat16, or emulated) rounds them itself
  // first thing: the same run, with half the bytes per batch in flight.
  bool aggregated_rows_bfloat16 = false;
  // With aggregate_first_layer, where the full input rows are gathered before
  // the means, unless summed in place (one buffer per worker at a time, given
  // back at once). Null: plain allocation.
  std::shared_ptr<BufferPool> gather_buffers;
};

// Whether the loader's means of a batch's first layer cost less CPU than the
// model's projecting every input row to `projected_width` columns first (0:
// the model would not project first, so the means cost the same either way).
// `first` lists each source once (InputSources::kDistinct): its num_src()
// is the number of input rows the model would project.
// Per edge the means add a whole input row (random rows: memory-bound); per
// input row the projection multiplies it by the weights (BLAS: forward and
// weight gradient), each value kMeanAddCost times cheaper. Measured: at
// products scale (~1.2 edges per input row) the means win at 16 columns; on
// Amazon Computers (~6 edges per input row) they win at 256 and lose at 16
// (bench/results/loader_aggregation.md).
inline constexpr int64_t kMeanAddCost = 5;

// Deliveries over which the loader compares the consumer's waits with its
// work (LoaderOptions::worker_sched_idle). Few: a starved idle worker can
// take seconds a batch (bench/results/busy_machine-adaptive.md), and leaving
// SCHED_IDLE where the consumer was not the bound after all costs little.
inline constexpr size_t kIdleCheckBatches = 4;
// How often a consumer waiting on idle workers checks how long it has, and
// how long it waits for an epoch's first batch before leaving SCHED_IDLE.
inline constexpr std::chrono::milliseconds kIdleWaitCheck{20};
inline constexpr double kFirstBatchPatience = 1.0;

bool LoaderMeansAreCheaper(const Block& first, int64_t projected_width);

class MiniBatchLoader {
 public:
  // Starts the workers over `seeds`, cut in order into batches of
  // options.batch_size (the last one may be smaller). `client` and `sampler`
  // must outlive the loader. Batch i samples with MixSeed(rng_seed, {i}).
  // Returns once every worker runs at its priority (worker_nice).
  MiniBatchLoader(GraphClient* client, const BlockSampler* sampler, std::vector<int64_t> seeds,
                  const LoaderOptions& options, uint64_t rng_seed);
  // Stops the workers (unfinished batches are dropped) and joins them.
  ~MiniBatchLoader();
  MiniBatchLoader(const MiniBatchLoader&) = delete;
  MiniBatchLoader& operator=(const MiniBatchLoader&) = delete;

  // Batches in the whole epoch, skipped ones included.
  int64_t num_batches() const { return num_batches_; }
  // Moves the next batch (in order) into `*batch` and returns true; false
  // after the last one. Blocks while the batch is being built. Returns a
  // worker's error (e.g. a failed pull) instead, and stops the workers.
  absl::StatusOr<bool> Next(MiniBatch* batch);
  // Seconds Next() spent waiting for workers so far (the pipeline's stall).
  double wait_seconds() const { return wait_seconds_; }
  // Whether the workers left SCHED_IDLE (LoaderOptions::worker_sched_idle).
  bool left_sched_idle() const { return idle_retired_.load(); }

 private:
  // Runs a worker: at worker_nice, and under SCHED_IDLE when `sched_idle`
  // (such a worker stops once the idle workers are retired).
  void WorkerLoop(bool sched_idle);
  // Next()'s check of LoaderOptions::worker_sched_idle, after a batch
  // waited `wait` seconds and the consumer worked `work` seconds before
  // asking for it.
  void CheckIdleWorkers(double wait, double work);
  // The consumer's work between its last deliveries (recent_waits_).
  double RecentWork() const;
  // Starts the workers that replace the idle ones, which stop after their
  // batch; says `why` (what the consumer did) once per process.
  void LeaveSchedIdle(const std::string& why);
  // Builds batch `index`; CANCELLED where a worker under SCHED_IDLE
  // (`sched_idle`) was retired meanwhile.
  absl::Status Build(int64_t index, bool sched_idle, MiniBatch* batch) const;
  // Seeds of batch `index`.
  absl::Span<const int64_t> BatchSeeds(int64_t index) const;
  // Whether this epoch's batches take the loader's means
  // (LoaderOptions::aggregate_first_layer); with a projected first layer,
  // decided once, on first use, from batch 0.
  absl::StatusOr<bool> AggregatesThisEpoch() const;

  GraphClient* client_;
  const BlockSampler* sampler_;
  const std::vector<int64_t> seeds_;
  const LoaderOptions options_;
  const uint64_t rng_seed_;
  const int64_t num_batches_;
  // Where the means could be taken per edge: every row is read in place.
  const bool per_edge_possible_;
  // Every row in place, held as bfloat16 (GraphClient::LocateBFloat16Rows).
  const bool bfloat16_rows_in_place_;

  mutable std::mutex verdict_mu_;
  mutable std::optional<bool> aggregates_this_epoch_;  // Guarded by verdict_mu_.

  std::mutex mu_;
  std::condition_variable changed_;
  int64_t next_to_build_ = 0;           // Guarded by mu_.
  int64_t next_to_deliver_ = 0;         // Guarded by mu_.
  std::map<int64_t, MiniBatch> ready_;  // Guarded by mu_.
  absl::Status error_;                  // Guarded by mu_.
  bool stopping_ = false;               // Guarded by mu_.
  int workers_started_ = 0;             // Guarded by mu_.
  // Set (under mu_) once workers at worker_nice took over from the idle ones.
  std::atomic<bool> idle_retired_{false};
  // Only touched by the consumer:
  double wait_seconds_ = 0.0;
  // The waits and the work between them of the last deliveries (the first
  // one, which waits for the pipeline to fill, left out).
  std::deque<std::pair<double, double>> recent_waits_;
  std::optional<std::chrono::steady_clock::time_point> last_delivery_;
  std::vector<std::thread> workers_;  // Grows only in the consumer's thread.
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_MINIBATCH_LOADER_H_
