#include "bench/load_mix.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace distsage {
namespace {

// Rows per call while reading the reference: small answers, whatever the
// dataset.
constexpr int64_t kReferenceChunk = 1000;

KVTensorSpec LoadTensorSpec(const char* name) {
  KVTensorSpec spec;
  spec.name = name;
  spec.dim = kLoadTensorDim;
  const bool pushed = std::string(name) == kLoadPushedTensor;
  spec.init = pushed ? "zeros" : "uniform";
  spec.init_scale = pushed ? 0.0f : 1.0f;
  spec.seed = 7;
  spec.optimizer = *ParseOptimizer(pushed ? "sgd" : "none", pushed ? 1.0f : 0.0f, 0, 0, 0);
  return spec;
}

// Every row of KV tensor `name`, in chunks.
absl::StatusOr<std::vector<float>> PullAllRows(KVClient& kv, const std::string& name,
                                               int64_t num_nodes) {
  std::vector<float> rows(num_nodes * kLoadTensorDim);
  for (int64_t begin = 0; begin < num_nodes; begin += kReferenceChunk) {
    std::vector<int64_t> ids(std::min(kReferenceChunk, num_nodes - begin));
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = begin + static_cast<int64_t>(i);
    DS_RETURN_IF_ERROR(kv.Pull(name, ids, rows.data() + begin * kLoadTensorDim));
  }
  return rows;
}

// Gradients of 1 pushed to each node by successful pushes, by all threads.
using PushCounts = std::vector<std::atomic<int32_t>>;

void NoteWrong(LoadCallStats& stats, const std::string& what) {
  if (stats.wrong_answers++ == 0) stats.first_wrong_answer = what;
}

// "" when `sampled` is a correct answer for `seeds` at `fanout` without
// replacement: each seed gets min(fanout, in-degree) of its in-neighbours.
std::string CheckSample(const LoadReference& reference, const std::vector<int64_t>& seeds,
                        int fanout, const SampledNeighbors& sampled) {
  if (sampled.offsets.size() != seeds.size() + 1 || sampled.offsets[0] != 0 ||
      sampled.offsets.back() != static_cast<int64_t>(sampled.src.size())) {
    return absl::StrCat("offsets malformed: ", sampled.offsets.size(), " offsets for ",
                        seeds.size(), " seeds and ", sampled.src.size(), " edges");
  }
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::vector<int64_t>& neighbors = reference.in_neighbors[seeds[i]];
    const int64_t count = sampled.offsets[i + 1] - sampled.offsets[i];
    const int64_t expected = std::min<int64_t>(fanout, static_cast<int64_t>(neighbors.size()));
    if (count != expected) {
      return absl::StrCat("seed ", seeds[i], " got ", count, " edges at fan-out ", fanout,
                          ", expected ", expected, " (in-degree ", neighbors.size(), ")");
    }
    for (int64_t e = sampled.offsets[i]; e < sampled.offsets[i + 1]; ++e) {
      if (!std::binary_search(neighbors.begin(), neighbors.end(), sampled.src[e])) {
        return absl::StrCat("seed ", seeds[i], " got ", sampled.src[e],
                            ", which is not one of its in-neighbours");
      }
    }
  }
  return "";
}

// "" when `rows` (ids.size() x dim) are the reference's rows of `ids`.
std::string CheckRows(const std::vector<float>& reference, int64_t dim,
                      const std::vector<int64_t>& ids, const std::vector<float>& rows) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (std::memcmp(rows.data() + i * dim, reference.data() + ids[i] * dim, dim * sizeof(float)) !=
        0) {
      return absl::StrCat("row ", i, " (node ", ids[i], ") differs from the reference");
    }
  }
  return "";
}

// One client thread: calls chosen by weight until `stop` (or its count).
void RunThread(GraphClient& graph, KVClient& kv, const LoadReference& reference,
               const LoadMixOptions& options, uint64_t thread_seed, absl::Time stop,
               std::array<LoadCallStats, kNumLoadCalls>* record, PushCounts* pushes) {
  std::mt19937_64 random(thread_seed);
  std::uniform_int_distribution<int64_t> node(0, reference.num_nodes - 1);
  std::discrete_distribution<int> pick(options.weights.begin(), options.weights.end());
  std::vector<int64_t> ids;
  std::vector<float> rows;
  std::vector<float> grads;
  SampledNeighbors sampled;
  auto random_ids = [&](int count) {
    ids.resize(count);
    for (int64_t& id : ids) id = node(random);
  };
  for (int64_t n = 0;; ++n) {
    if (options.calls_per_thread > 0 ? n >= options.calls_per_thread : absl::Now() >= stop) {
      break;
    }
    const auto call = static_cast<LoadCall>(pick(random));
    LoadCallStats& stats = (*record)[static_cast<int>(call)];
    absl::Status status;
    int fanout = 0;
    int64_t start_ns = 0;
    switch (call) {
      case LoadCall::kSampleNeighbors:
        random_ids(options.sample_seeds);
        fanout = options.fanouts[n % options.fanouts.size()];
        start_ns = absl::GetCurrentTimeNanos();
        status = graph.SampleNeighbors(ids, {fanout, false, random()}, &sampled);
        break;
      case LoadCall::kPullFeatures:
        random_ids(options.pull_rows);
        rows.resize(ids.size() * reference.feature_dim);
        start_ns = absl::GetCurrentTimeNanos();
        status = graph.PullFeatures(reference.feature, ids, rows.data());
        break;
      case LoadCall::kKVPull:
        random_ids(options.pull_rows);
        rows.resize(ids.size() * kLoadTensorDim);
        start_ns = absl::GetCurrentTimeNanos();
        status = kv.Pull(kLoadPulledTensor, ids, rows.data());
        break;
      case LoadCall::kKVPush:
        random_ids(options.push_rows);
        grads.assign(ids.size() * kLoadTensorDim, 1.0f);
        start_ns = absl::GetCurrentTimeNanos();
        status = kv.Push(kLoadPushedTensor, ids, grads);
        break;
    }
    stats.latencies_ns.push_back(absl::GetCurrentTimeNanos() - start_ns);
    ++stats.calls;
    if (!status.ok()) {
      if (stats.errors++ == 0) stats.first_error = status.ToString();
      continue;
    }
    std::string wrong;
    switch (call) {
      case LoadCall::kSampleNeighbors:
        wrong = CheckSample(reference, ids, fanout, sampled);
        stats.items += static_cast<int64_t>(sampled.src.size());
        break;
      case LoadCall::kPullFeatures:
        wrong = CheckRows(reference.features, reference.feature_dim, ids, rows);
        stats.items += static_cast<int64_t>(ids.size());
        break;
      case LoadCall::kKVPull:
        wrong = CheckRows(reference.pulled_rows, kLoadTensorDim, ids, rows);
        stats.items += static_cast<int64_t>(ids.size());
        break;
      case LoadCall::kKVPush:
        for (const int64_t id : ids) (*pushes)[id].fetch_add(1, std::memory_order_relaxed);
        stats.items += static_cast<int64_t>(ids.size());
        break;
    }
    if (!wrong.empty()) NoteWrong(stats, wrong);
  }
}

}  // namespace

const char* LoadCallName(LoadCall call) {
  switch (call) {
    case LoadCall::kSampleNeighbors:
      return "SampleNeighbors";
    case LoadCall::kPullFeatures:
      return "PullFeatures";
    case LoadCall::kKVPull:
      return "KV Pull";
    case LoadCall::kKVPush:
      return "KV Push";
  }
  return "?";
}

double LoadCallStats::LatencyMicros(double q) const {
  if (latencies_ns.empty()) return 0;
  // Nearest rank: the smallest latency at or above a q share of the calls.
  const int64_t rank = static_cast<int64_t>(std::ceil(q * latencies_ns.size()));
  const int64_t at = std::clamp<int64_t>(rank - 1, 0, latencies_ns.size() - 1);
  return latencies_ns[at] / 1e3;
}

int64_t LoadMixResult::total_errors() const {
  int64_t total = 0;
  for (const LoadCallStats& stats : calls) total += stats.errors;
  return total;
}

int64_t LoadMixResult::total_wrong_answers() const {
  int64_t total = pushed_rows_wrong;
  for (const LoadCallStats& stats : calls) total += stats.wrong_answers;
  return total;
}

absl::Status CreateLoadTensors(KVClient& kv) {
  DS_RETURN_IF_ERROR(kv.CreateTensor(LoadTensorSpec(kLoadPulledTensor)));
  return kv.CreateTensor(LoadTensorSpec(kLoadPushedTensor));
}

absl::StatusOr<LoadReference> ReadLoadReference(GraphClient& graph) {
  const PartitionConfig& config = graph.config();
  if (config.node_features.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("graph '", config.graph_name, "' has no node features to pull"));
  }
  LoadReference reference;
  reference.num_nodes = config.num_nodes;
  reference.feature = config.node_features[0].name;
  reference.feature_dim = config.node_features[0].dim;
  reference.in_neighbors.resize(reference.num_nodes);
  reference.features.resize(reference.num_nodes * reference.feature_dim);
  for (int64_t begin = 0; begin < reference.num_nodes; begin += kReferenceChunk) {
    std::vector<int64_t> ids(std::min(kReferenceChunk, reference.num_nodes - begin));
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = begin + static_cast<int64_t>(i);
    SampledNeighbors all;
    DS_RETURN_IF_ERROR(graph.SampleNeighbors(ids, {-1, false, 0}, &all));
    for (size_t i = 0; i < ids.size(); ++i) {
      std::vector<int64_t>& neighbors = reference.in_neighbors[ids[i]];
      neighbors.assign(all.src.begin() + all.offsets[i], all.src.begin() + all.offsets[i + 1]);
      std::sort(neighbors.begin(), neighbors.end());
    }
    DS_RETURN_IF_ERROR(graph.PullFeatures(
        reference.feature, ids, reference.features.data() + begin * reference.feature_dim));
  }
  DS_ASSIGN_OR_RETURN(std::unique_ptr<KVClient> kv, KVClient::Connect(config, graph.channels()));
  DS_RETURN_IF_ERROR(CreateLoadTensors(*kv));
  DS_ASSIGN_OR_RETURN(reference.pulled_rows,
                      PullAllRows(*kv, kLoadPulledTensor, reference.num_nodes));
  return reference;
}

absl::StatusOr<LoadMixResult> RunLoadMix(const ConnectLoadClient& connect,
                                         const LoadReference& reference,
                                         const LoadMixOptions& options) {
  if (options.clients < 1 || options.threads_per_client < 1 || options.fanouts.empty()) {
    return absl::InvalidArgumentError("the load mix needs a client, a thread and a fan-out");
  }
  std::vector<std::unique_ptr<GraphClient>> graphs;
  std::vector<std::unique_ptr<KVClient>> kvs;
  for (int c = 0; c < options.clients; ++c) {
    DS_ASSIGN_OR_RETURN(std::unique_ptr<GraphClient> graph, connect());
    DS_ASSIGN_OR_RETURN(std::unique_ptr<KVClient> kv,
                        KVClient::Connect(graph->config(), graph->channels()));
    DS_RETURN_IF_ERROR(CreateLoadTensors(*kv));
    graphs.push_back(std::move(graph));
    kvs.push_back(std::move(kv));
  }
  // The pushed tensor's rows before: the run moves each by minus its pushes.
  DS_ASSIGN_OR_RETURN(const std::vector<float> before,
                      PullAllRows(*kvs[0], kLoadPushedTensor, reference.num_nodes));

  const int num_threads = options.clients * options.threads_per_client;
  std::vector<std::array<LoadCallStats, kNumLoadCalls>> records(num_threads);
  PushCounts pushes(reference.num_nodes);
  const absl::Time start = absl::Now();
  const absl::Time stop = start + options.duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < num_threads; ++t) {
    const int c = t % options.clients;
    threads.emplace_back(RunThread, std::ref(*graphs[c]), std::ref(*kvs[c]), std::cref(reference),
                         std::cref(options), options.seed * 1000003 + t, stop, &records[t],
                         &pushes);
  }
  for (std::thread& thread : threads) thread.join();

  LoadMixResult result;
  result.elapsed = absl::Now() - start;
  for (const std::array<LoadCallStats, kNumLoadCalls>& record : records) {
    for (int k = 0; k < kNumLoadCalls; ++k) {
      LoadCallStats& into = result.calls[k];
      const LoadCallStats& from = record[k];
      into.calls += from.calls;
      into.errors += from.errors;
      into.wrong_answers += from.wrong_answers;
      into.items += from.items;
      into.latencies_ns.insert(into.latencies_ns.end(), from.latencies_ns.begin(),
                               from.latencies_ns.end());
      if (into.first_error.empty()) into.first_error = from.first_error;
      if (into.first_wrong_answer.empty()) into.first_wrong_answer = from.first_wrong_answer;
    }
  }
  for (LoadCallStats& stats : result.calls) {
    std::sort(stats.latencies_ns.begin(), stats.latencies_ns.end());
  }
  DS_ASSIGN_OR_RETURN(const std::vector<float> after,
                      PullAllRows(*kvs[0], kLoadPushedTensor, reference.num_nodes));
  for (int64_t v = 0; v < reference.num_nodes; ++v) {
    for (int k = 0; k < kLoadTensorDim; ++k) {
      const int32_t pushed = pushes[v].load();
      const float expected = before[v * kLoadTensorDim + k] - static_cast<float>(pushed);
      if (after[v * kLoadTensorDim + k] != expected) {
        if (result.pushed_rows_wrong++ == 0) {
          result.first_pushed_row_wrong = absl::StrFormat(
              "%s row %d is %g after %d pushes of 1 from %g, not %g", kLoadPushedTensor, v,
              after[v * kLoadTensorDim + k], pushed, before[v * kLoadTensorDim + k], expected);
        }
        break;
      }
    }
  }
  return result;
}

}  // namespace distsage
