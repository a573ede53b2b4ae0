// A trainer-shaped mix of calls against running graph_servers, from many
// client threads at once, with every answer checked against a reference:
// sampling (SampleNeighbors at GraphSAGE fan-outs), feature pulls of random
// batches, and KV pulls and pushes (KVStoreService, hosted by the same
// servers). bench/load_bench.cc reports its latencies and the servers'
// memory; tests/server/load_mix_test.cc asserts that it sees no error and no
// wrong answer.
//
// Each client is what one trainer process holds: a GraphClient and a
// KVClient over channels of its own (separate connections); its threads
// share them, as a trainer's loader threads do.
#ifndef DISTSAGE_BENCH_LOAD_MIX_H_
#define DISTSAGE_BENCH_LOAD_MIX_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/graph_client.h"
#include "client/kv_client.h"

namespace distsage {

enum class LoadCall { kSampleNeighbors = 0, kPullFeatures = 1, kKVPull = 2, kKVPush = 3 };
inline constexpr int kNumLoadCalls = 4;
// "SampleNeighbors", "PullFeatures", "KV Pull", "KV Push".
const char* LoadCallName(LoadCall call);

// The KV tensors the mix uses: one it only pulls (no optimiser, so its rows
// never change) and one it pushes to (SGD with lr 1 from zeros, so that each
// row ends at minus the number of gradients of 1 pushed to it, exactly).
inline constexpr char kLoadPulledTensor[] = "load_mix_pulled";
inline constexpr char kLoadPushedTensor[] = "load_mix_pushed";
inline constexpr int kLoadTensorDim = 16;

struct LoadMixOptions {
  int clients = 8;             // Trainer processes' worth of clients.
  int threads_per_client = 8;  // Threads sharing each client.
  // Each thread stops after `calls_per_thread` calls when it is > 0, else
  // when `duration` has passed.
  absl::Duration duration = absl::Seconds(60);
  int64_t calls_per_thread = 0;
  int sample_seeds = 512;               // Seeds per SampleNeighbors.
  std::vector<int> fanouts = {10, 25};  // Each sample uses one, in turn.
  int pull_rows = 1024;                 // Random node IDs per feature or KV pull.
  int push_rows = 256;                  // Random node IDs per KV push.
  // Relative frequencies of the calls, by LoadCall.
  std::array<int, kNumLoadCalls> weights = {4, 3, 2, 1};
  uint64_t seed = 1;
};

// The right answers: what the servers answer when idle
// (ReadLoadReference), or what the dataset's own files say (tests).
struct LoadReference {
  int64_t num_nodes = 0;
  // By global node ID, sorted.
  std::vector<std::vector<int64_t>> in_neighbors;
  std::string feature;  // The pulled feature.
  int64_t feature_dim = 0;
  std::vector<float> features;     // num_nodes x feature_dim.
  std::vector<float> pulled_rows;  // kLoadPulledTensor, num_nodes x kLoadTensorDim.
};

struct LoadCallStats {
  int64_t calls = 0;                  // Answered OK or not.
  int64_t errors = 0;                 // Not OK.
  int64_t wrong_answers = 0;          // OK but not the reference's answer.
  int64_t items = 0;                  // Edges sampled, or rows pulled or pushed.
  std::vector<int64_t> latencies_ns;  // Of every call, sorted.
  std::string first_error;
  std::string first_wrong_answer;

  // The q-quantile (0..1) of the latencies, in microseconds (0 with none).
  double LatencyMicros(double q) const;
};

struct LoadMixResult {
  std::array<LoadCallStats, kNumLoadCalls> calls;
  absl::Duration elapsed;
  // Rows of kLoadPushedTensor that after the run are not their value before
  // minus the gradients pushed to them (lost or doubled pushes).
  int64_t pushed_rows_wrong = 0;
  std::string first_pushed_row_wrong;

  int64_t total_errors() const;
  int64_t total_wrong_answers() const;  // Pushed rows included.
};

// What the mix runs on: a fresh client with channels of its own (one per
// LoadMixOptions::clients).
using ConnectLoadClient = std::function<absl::StatusOr<std::unique_ptr<GraphClient>>()>;

// Creates the mix's KV tensors, or checks that they exist (idempotent).
absl::Status CreateLoadTensors(KVClient& kv);

// The reference as the servers answer it: every node's in-neighbours
// (fan-out -1), every row of the config's first feature and of
// kLoadPulledTensor (created if missing).
absl::StatusOr<LoadReference> ReadLoadReference(GraphClient& graph);

// Runs the mix (connects options.clients clients first, creates the
// tensors) and checks every answer against `reference`, and at the end the
// pushed tensor against the pushes made. Errors of single calls are counted,
// not returned; a failure to connect or to read the pushed tensor is.
absl::StatusOr<LoadMixResult> RunLoadMix(const ConnectLoadClient& connect,
                                         const LoadReference& reference,
                                         const LoadMixOptions& options);

}  // namespace distsage

#endif  // DISTSAGE_BENCH_LOAD_MIX_H_
