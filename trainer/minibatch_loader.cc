#include "trainer/minibatch_loader.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/bfloat16.h"
#include "common/prefetch.h"
#include "common/status_macros.h"
#include "common/thread_cpu_clock.h"
#include "common/thread_priority.h"
#include "trainer/feature_rows.h"
#include "trainer/neighbor_mean.h"

namespace distsage {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A tensor of `sizes` (float32, or `dtype`) in a buffer of `pool`, given
// back when the tensor (and every view of it) dies; plain allocation without
// a pool.
at::Tensor PooledRows(const std::shared_ptr<BufferPool>& pool, at::IntArrayRef sizes,
                      at::ScalarType dtype = at::kFloat) {
  const at::TensorOptions options = at::TensorOptions().dtype(dtype);
  if (pool == nullptr) return at::empty(sizes, options);
  int64_t values = 1;
  for (const int64_t size : sizes) values *= size;
  return at::from_blob(
      pool->Acquire(static_cast<size_t>(values) * at::elementSize(dtype)), sizes,
      [pool](void* data) { pool->Release(data); }, options);
}

// A destination's row as the batch holds it: float32 rows copied or rounded
// to bfloat16 (as the model would round them), bfloat16 rows copied or
// widened exactly.
void CopyRow(const float* row, int64_t width, float* out) { std::copy_n(row, width, out); }
void CopyRow(const float* row, int64_t width, c10::BFloat16* out) {
  RoundToBFloat16(row, width, out);
}
void CopyRow(const uint16_t* row, int64_t width, c10::BFloat16* out) {
  std::memcpy(out, row, width * sizeof(uint16_t));
}
void CopyRow(const uint16_t* row, int64_t width, float* out) {
  BFloat16ToFloat(absl::MakeConstSpan(row, width), out);
}

// The first layer's destinations' rows into `features` and their
// neighbours' means into `means`, from `rows` (the address of each of
// first's source rows, as stored). The means of float32 batches read the
// destinations' rows from the copy just made (~9 MB at products scale,
// which the cache holds better than rows spread over the whole partition):
// the same values, as the copy is exact.
template <typename Stored, typename Out>
void TakeDestinationsAndMeans(std::vector<const Stored*>& rows, int64_t width, const Block& first,
                              Out* features, Out* means) {
  VisitRowsPrefetched(rows.data(), first.num_dst, width, [&](const Stored* row, int64_t i) {
    CopyRow(row, width, features + i * width);
  });
  if constexpr (std::is_same_v<Stored, Out>) {
    for (int64_t i = 0; i < first.num_dst; ++i) rows[i] = features + i * width;
  }
  NeighborMeanRows(rows.data(), width, first, means);
}

}  // namespace

bool LoaderMeansAreCheaper(const Block& first, int64_t projected_width) {
  return projected_width == 0 ||
         first.num_edges() * kMeanAddCost < first.num_src() * projected_width;
}

MiniBatchLoader::MiniBatchLoader(GraphClient* client, const BlockSampler* sampler,
                                 std::vector<int64_t> seeds, const LoaderOptions& options,
                                 uint64_t rng_seed)
    : client_(client),
      sampler_(sampler),
      seeds_(std::move(seeds)),
      options_(options),
      rng_seed_(rng_seed),
      num_batches_((static_cast<int64_t>(seeds_.size()) + options.batch_size - 1) /
                   options.batch_size),
      per_edge_possible_(options.aggregate_first_layer && options.sum_rows_in_place &&
                         options.input.AreStoredRows() &&
                         options.input.graph->LocatesEveryRowInPlace(options.input.feature_name)),
      bfloat16_rows_in_place_(
          per_edge_possible_ &&
          options.input.graph->LocatesEveryRowInPlaceAsBFloat16(options.input.feature_name)),
      next_to_build_(std::clamp<int64_t>(options.first_batch, 0, num_batches_)),
      next_to_deliver_(next_to_build_) {
  const int num_workers = static_cast<int>(
      std::max<int64_t>(1, std::min<int64_t>(options.num_workers, num_batches_ - next_to_build_)));
  for (int i = 0; i < num_workers; ++i) {
    workers_.emplace_back([this] { WorkerLoop(options_.worker_sched_idle); });
  }
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this, num_workers] { return workers_started_ == num_workers; });
}

MiniBatchLoader::~MiniBatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void MiniBatchLoader::WorkerLoop(bool sched_idle) {
  absl::Status lowered = LowerCallingThreadPriority(options_.worker_nice);
  if (lowered.ok() && sched_idle) lowered = MakeCallingThreadIdle();
  if (!lowered.ok()) {
    // Not worth failing the run for: the batches are the same, built at
    // the model's priority (or at the nice level) as before. Said once per
    // process.
    static std::atomic<bool> said{false};
    if (!said.exchange(true)) {
      std::fprintf(stderr, "loader: workers stay at a higher priority than asked: %s\n",
                   std::string(lowered.message()).c_str());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++workers_started_;
  }
  changed_.notify_all();
  while (true) {
    int64_t index = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto retired = [this, sched_idle] { return sched_idle && idle_retired_.load(); };
      changed_.wait(lock, [&] {
        return stopping_ || !error_.ok() || retired() || next_to_build_ >= num_batches_ ||
               next_to_build_ < next_to_deliver_ + options_.prefetch;
      });
      if (stopping_ || !error_.ok() || retired() || next_to_build_ >= num_batches_) return;
      index = next_to_build_++;
    }
    MiniBatch batch;
    absl::Status status = Build(index, sched_idle, &batch);
    // A retired idle worker's batch is built again by those that took over
    // (LeaveSchedIdle): dropped, whatever came of it.
    if (sched_idle && idle_retired_.load()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!status.ok()) {
        if (error_.ok()) error_ = status;
      } else if (index >= next_to_deliver_) {
        ready_.emplace(index, std::move(batch));  // Kept if built twice.
      }
    }
    changed_.notify_all();
  }
}

absl::Span<const int64_t> MiniBatchLoader::BatchSeeds(int64_t index) const {
  const int64_t begin = index * options_.batch_size;
  const int64_t end = std::min<int64_t>(begin + options_.batch_size, seeds_.size());
  return absl::MakeConstSpan(seeds_).subspan(begin, end - begin);
}

absl::StatusOr<bool> MiniBatchLoader::AggregatesThisEpoch() const {
  if (!options_.aggregate_first_layer) return false;
  if (options_.first_layer_projected_width == 0) return true;
  std::lock_guard<std::mutex> lock(verdict_mu_);
  if (!aggregates_this_epoch_.has_value()) {
    // Batch 0's first layer, its sources then counted once each: the same
    // block as deduplicated for the model, without growing this thread's ID
    // table (BlockSampler's LocalIdMap, kept for the thread's life) to that
    // layer's size, 8 MiB at products scale, which loader threads sampling
    // it per edge never need.
    std::vector<Block> probe;
    DS_RETURN_IF_ERROR(sampler_->Sample(BatchSeeds(0), MixSeed(rng_seed_, {0}), &probe, nullptr,
                                        InputSources::kPerEdge));
    Block& first = probe.front();
    std::sort(first.src_nodes.begin(), first.src_nodes.end());
    first.src_nodes.erase(std::unique(first.src_nodes.begin(), first.src_nodes.end()),
                          first.src_nodes.end());
    aggregates_this_epoch_ = LoaderMeansAreCheaper(first, options_.first_layer_projected_width);
  }
  return *aggregates_this_epoch_;
}

absl::Status MiniBatchLoader::Build(int64_t index, bool sched_idle, MiniBatch* batch) const {
  // A retired idle worker stops at the next stage: its batch is rebuilt.
  const auto retired = [this, sched_idle] {
    return sched_idle && idle_retired_.load() ? absl::CancelledError("worker retired")
                                              : absl::OkStatus();
  };
  const absl::Span<const int64_t> seeds = BatchSeeds(index);
  batch->index = index;
  batch->seeds.assign(seeds.begin(), seeds.end());

  auto start = std::chrono::steady_clock::now();
  DS_ASSIGN_OR_RETURN(const bool aggregate, AggregatesThisEpoch());
  const bool per_edge = aggregate && per_edge_possible_;
  DS_RETURN_IF_ERROR(sampler_->Sample(
      batch->seeds, MixSeed(rng_seed_, {static_cast<uint64_t>(index)}), &batch->blocks,
      &batch->cpu.sample, per_edge ? InputSources::kPerEdge : InputSources::kDistinct));
  batch->sample_seconds = SecondsSince(start);
  DS_RETURN_IF_ERROR(retired());
  batch->num_input_nodes = batch->blocks.front().num_src();

  start = std::chrono::steady_clock::now();
  double cpu_mark = ThreadCpuSeconds();
  const auto cpu_lap = [&cpu_mark] {  // CPU seconds since the last lap.
    const double now = ThreadCpuSeconds();
    const double lap = now - cpu_mark;
    cpu_mark = now;
    return lap;
  };
  Block& first = batch->blocks.front();
  const int64_t width = options_.input.width();
  if (width == 0) {
    // Nothing to gather ahead (the trainer reads learnable embeddings at
    // step time).
    batch->features = at::empty({first.num_src(), 0}, at::TensorOptions().dtype(at::kFloat));
    batch->cpu.gather = cpu_lap();
  } else if (!aggregate) {
    if (options_.first_layer_projected_width > 0 && first.rev_indptr.empty()) {
      // The model aggregates the projected rows: its backward pass walks
      // the reverse CSR, which the sampler left to the loader.
      first.BuildReverse();
      batch->cpu.sample.reverse += cpu_lap();
    }
    batch->features = PooledRows(options_.feature_buffers, {first.num_src(), width});
    DS_RETURN_IF_ERROR(options_.input.Pull(first.src_nodes, batch->features.data_ptr<float>()));
    batch->cpu.gather = cpu_lap();
  } else {
    // One buffer for both halves: the destinations' rows, then their means.
    const bool bf16 = options_.aggregated_rows_bfloat16;
    const at::Tensor both = PooledRows(options_.feature_buffers, {2, first.num_dst, width},
                                       bf16 ? at::kBFloat16 : at::kFloat);
    batch->features = both.select(0, 0);
    batch->neighbor_mean = both.select(0, 1);
    if (options_.sum_rows_in_place && options_.input.AreStoredRows()) {
      // Summed where they are: the rows of partitions in this process (a
      // server's mapped segment) are not copied; only the others are pulled,
      // into a buffer this thread keeps.
      batch->summed_in_place = true;
      // The batch in the model's dtype: bfloat16 or float32 rows and means.
      const auto take = [&](auto& rows) {
        if (bf16) {
          TakeDestinationsAndMeans(rows, width, first, batch->features.data_ptr<c10::BFloat16>(),
                                   batch->neighbor_mean.data_ptr<c10::BFloat16>());
        } else {
          TakeDestinationsAndMeans(rows, width, first, batch->features.data_ptr<float>(),
                                   batch->neighbor_mean.data_ptr<float>());
        }
      };
      if (bfloat16_rows_in_place_) {
        // Held as bfloat16 and all in this process: read as held (half the
        // bytes of float32 rows), widened exactly as a pull would.
        thread_local std::vector<const uint16_t*> stored;
        stored.resize(first.num_src());
        DS_RETURN_IF_ERROR(options_.input.graph->LocateBFloat16Rows(
            options_.input.feature_name, first.src_nodes, stored.data()));
        batch->cpu.gather = cpu_lap();
        take(stored);
      } else {
        thread_local std::vector<float> pulled;
        thread_local std::vector<const float*> rows;
        rows.resize(first.num_src());
        DS_RETURN_IF_ERROR(options_.input.graph->LocateFeatureRows(
            options_.input.feature_name, first.src_nodes, rows.data(), &pulled));
        batch->cpu.gather = cpu_lap();
        take(rows);
      }
    } else {
      const at::Tensor inputs = PooledRows(options_.gather_buffers, {first.num_src(), width});
      DS_RETURN_IF_ERROR(options_.input.Pull(first.src_nodes, inputs.data_ptr<float>()));
      batch->cpu.gather = cpu_lap();
      const float* input = inputs.data_ptr<float>();
      if (bf16) {
        c10::BFloat16* features = batch->features.data_ptr<c10::BFloat16>();
        RoundToBFloat16(input, first.num_dst * width, features);
        NeighborMeanRows(input, width, first, batch->neighbor_mean.data_ptr<c10::BFloat16>());
      } else {
        std::copy_n(input, first.num_dst * width, batch->features.data_ptr<float>());
        NeighborMeanRows(input, width, first, batch->neighbor_mean.data_ptr<float>());
      }
    }
    // The rest of the block is the loader's alone; not kept while the batch
    // waits and trains (at products scale ~4 MB a batch).
    first.KeepOnlyDestinationsAndDegrees();
    batch->cpu.aggregate = cpu_lap();
  }
  DS_RETURN_IF_ERROR(retired());
  batch->labels =
      at::empty({static_cast<int64_t>(batch->seeds.size())}, at::TensorOptions().dtype(at::kLong));
  int64_t* labels = batch->labels.data_ptr<int64_t>();
  DS_RETURN_IF_ERROR(client_->PullLabels(batch->seeds, labels));
  for (size_t i = 0; i < batch->seeds.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= options_.num_classes) {
      return absl::FailedPreconditionError(absl::StrCat(
          "training node ", batch->seeds[i], " has label ", labels[i], ", outside [0, ",
          options_.num_classes, "); the partition's labels do not match its config"));
    }
  }
  batch->cpu.labels = cpu_lap();
  batch->pull_seconds = SecondsSince(start);
  return absl::OkStatus();
}

double MiniBatchLoader::RecentWork() const {
  double worked = 0.0;
  for (const auto& [wait, work] : recent_waits_) worked += work;
  return worked;
}

void MiniBatchLoader::CheckIdleWorkers(double wait, double work) {
  recent_waits_.emplace_back(wait, work);
  if (recent_waits_.size() > kIdleCheckBatches) recent_waits_.pop_front();
  if (recent_waits_.size() < kIdleCheckBatches) return;
  double waited = 0.0;
  for (const auto& [one_wait, one_work] : recent_waits_) waited += one_wait;
  const double worked = RecentWork();
  if (waited > worked) {
    LeaveSchedIdle(
        absl::StrFormat("waited %.1f ms for its last %zu batches and worked %.1f ms "
                        "between them",
                        waited * 1e3, recent_waits_.size(), worked * 1e3));
  }
}

void MiniBatchLoader::LeaveSchedIdle(const std::string& why) {
  // The consumer is not the bound: SCHED_IDLE gains nothing here and risks
  // everything where other processes keep the cores busy.
  int num_workers = 0;
  int started = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_retired_ = true;
    // The batches the idle workers are building may take them long: the
    // new workers build them again, from the next one to deliver.
    next_to_build_ = next_to_deliver_;
    num_workers = static_cast<int>(workers_.size());
    started = workers_started_;
  }
  changed_.notify_all();
  for (int i = 0; i < num_workers; ++i) workers_.emplace_back([this] { WorkerLoop(false); });
  {
    // As the constructor: back once they run at their priority.
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return workers_started_ >= started + num_workers; });
  }
  static std::atomic<bool> said{false};
  if (!said.exchange(true)) {
    std::fprintf(stderr,
                 "loader: the model %s: loader threads now run at nice %d instead of SCHED_IDLE "
                 "(--loader_sched_idle)\n",
                 why.c_str(), options_.worker_nice);
  }
}

absl::StatusOr<bool> MiniBatchLoader::Next(MiniBatch* batch) {
  const auto start = std::chrono::steady_clock::now();
  const double work = last_delivery_.has_value()
                          ? std::chrono::duration<double>(start - *last_delivery_).count()
                          : -1.0;
  const auto ready = [this] { return !error_.ok() || ready_.count(next_to_deliver_) > 0; };
  std::unique_lock<std::mutex> lock(mu_);
  if (next_to_deliver_ >= num_batches_) return false;
  if (options_.worker_sched_idle && !idle_retired_.load()) {
    // Idle workers starved by other processes can take seconds a batch:
    // do not wait for kIdleCheckBatches of them. Waiting for one batch
    // longer than the consumer worked over its last ones (or than
    // kFirstBatchPatience before any) is enough.
    while (!changed_.wait_for(lock, kIdleWaitCheck, ready)) {
      const double waiting = SecondsSince(start);
      const double worked = RecentWork() + std::max(work, 0.0);
      const double patience = recent_waits_.empty() && work < 0.0 ? kFirstBatchPatience : worked;
      if (waiting > patience) {
        lock.unlock();
        LeaveSchedIdle(absl::StrFormat(
            "waited %.1f ms for one batch, having worked %.1f ms over its last %zu", waiting * 1e3,
            worked * 1e3, recent_waits_.size() + (work >= 0.0 ? 1 : 0)));
        lock.lock();
        break;
      }
    }
  }
  changed_.wait(lock, ready);
  if (!error_.ok()) {
    const absl::Status error = error_;
    stopping_ = true;
    lock.unlock();
    changed_.notify_all();
    return error;
  }
  auto it = ready_.find(next_to_deliver_);
  *batch = std::move(it->second);
  ready_.erase(it);
  ++next_to_deliver_;
  lock.unlock();
  changed_.notify_all();
  const double wait = SecondsSince(start);
  wait_seconds_ += wait;
  if (options_.worker_sched_idle && !idle_retired_.load() && work >= 0.0) {
    CheckIdleWorkers(wait, work);
  }
  last_delivery_ = std::chrono::steady_clock::now();
  return true;
}

}  // namespace distsage
