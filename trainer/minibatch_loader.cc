#include "trainer/minibatch_loader.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/thread_cpu_clock.h"
#include "trainer/feature_rows.h"

namespace distsage {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

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
      next_to_build_(std::clamp<int64_t>(options.first_batch, 0, num_batches_)),
      next_to_deliver_(next_to_build_) {
  const int num_workers = static_cast<int>(
      std::max<int64_t>(1, std::min<int64_t>(options.num_workers, num_batches_ - next_to_build_)));
  for (int i = 0; i < num_workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

MiniBatchLoader::~MiniBatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void MiniBatchLoader::WorkerLoop() {
  while (true) {
    int64_t index = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] {
        return stopping_ || !error_.ok() || next_to_build_ >= num_batches_ ||
               next_to_build_ < next_to_deliver_ + options_.prefetch;
      });
      if (stopping_ || !error_.ok() || next_to_build_ >= num_batches_) return;
      index = next_to_build_++;
    }
    MiniBatch batch;
    absl::Status status = Build(index, &batch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!status.ok()) {
        if (error_.ok()) error_ = status;
      } else {
        ready_.emplace(index, std::move(batch));
      }
    }
    changed_.notify_all();
  }
}

absl::Status MiniBatchLoader::Build(int64_t index, MiniBatch* batch) const {
  const int64_t begin = index * options_.batch_size;
  const int64_t end = std::min<int64_t>(begin + options_.batch_size, seeds_.size());
  batch->index = index;
  batch->seeds.assign(seeds_.begin() + begin, seeds_.begin() + end);

  auto start = std::chrono::steady_clock::now();
  DS_RETURN_IF_ERROR(sampler_->Sample(batch->seeds,
                                      MixSeed(rng_seed_, {static_cast<uint64_t>(index)}),
                                      &batch->blocks, &batch->cpu.sample));
  batch->sample_seconds = SecondsSince(start);

  start = std::chrono::steady_clock::now();
  double cpu_mark = ThreadCpuSeconds();
  const std::vector<int64_t>& inputs = batch->blocks.front().src_nodes;
  const int64_t num_inputs = static_cast<int64_t>(inputs.size());
  if (options_.input.width() == 0) {
    // Nothing to gather ahead (the trainer reads learnable embeddings at
    // step time).
    batch->features = at::empty({num_inputs, 0}, at::TensorOptions().dtype(at::kFloat));
  } else {
    if (options_.feature_buffers != nullptr) {
      std::shared_ptr<BufferPool> pool = options_.feature_buffers;
      batch->features = at::from_blob(
          pool->Acquire(num_inputs * options_.input.width() * sizeof(float)),
          {num_inputs, options_.input.width()}, [pool](void* data) { pool->Release(data); },
          at::TensorOptions().dtype(at::kFloat));
    } else {
      batch->features =
          at::empty({num_inputs, options_.input.width()}, at::TensorOptions().dtype(at::kFloat));
    }
    DS_RETURN_IF_ERROR(options_.input.Pull(inputs, batch->features.data_ptr<float>()));
  }
  batch->cpu.gather = ThreadCpuSeconds() - cpu_mark;
  cpu_mark = ThreadCpuSeconds();
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
  batch->cpu.labels = ThreadCpuSeconds() - cpu_mark;
  batch->pull_seconds = SecondsSince(start);
  return absl::OkStatus();
}

absl::StatusOr<bool> MiniBatchLoader::Next(MiniBatch* batch) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  if (next_to_deliver_ >= num_batches_) return false;
  changed_.wait(lock, [this] { return !error_.ok() || ready_.count(next_to_deliver_) > 0; });
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
  wait_seconds_ += SecondsSince(start);
  return true;
}

}  // namespace distsage
