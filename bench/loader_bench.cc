// The trainer's mini-batch loader on its own: builds --batches batches of a
// graph held in this process (the standalone trainer's path with a
// 1-partition graph; with more partitions, a trainer's that maps every
// partition on its machine: GraphClient::OpenInProcess, MiniBatchLoader,
// BlockSampler, InputRows), with
// no model step, and prints one JSON object: the loader threads' CPU time per
// batch in each stage (thread CPU clock, so other load on a shared machine
// inflates it little), the wall time per batch, the batch shape, and a
// checksum of every batch's blocks (of a first layer the loader aggregated,
// what the model reads of it), features and labels, which must not change
// when the loader is made faster; and the feature matrix's size and
// the process's peak RSS (float32 vs bfloat16 storage). bench/loader_bench.sh runs it.
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/graph_client.h"
#include "common/bfloat16.h"
#include "common/buffer_pool.h"
#include "common/status_macros.h"
#include "server/partition_store.h"
#include "trainer/block_sampler.h"
#include "trainer/graph_sage_trainer.h"
#include "trainer/minibatch_loader.h"
#include "trainer/train_options.h"

ABSL_FLAG(std::string, part_config, "",
          "config JSON of a graph (partition_graph), every partition loaded in this process");
ABSL_FLAG(std::string, feature_name, "feat", "node feature the batches read");
ABSL_FLAG(int64_t, batches, 30, "batches measured");
ABSL_FLAG(int64_t, warmup_batches, 8,
          "batches built first and left out of the figures: until the feature buffer pool "
          "holds its prefetch + loader_threads + 1 buffers, each batch's rows land on fresh "
          "pages (first-touch faults that a 197-batch epoch pays only a few times)");
ABSL_FLAG(int64_t, batch_size, 1000, "seeds per batch");
ABSL_FLAG(std::string, fan_out, "10,25", "fan-out per layer, input layer first");
ABSL_FLAG(int, reverse_from_layer, 0,
          "blocks of layers >= this get their transposed CSR, as the trainer asks when the "
          "first layer projects before aggregating (hidden < input width: 0) or not (1)");
ABSL_FLAG(int, loader_threads, 1, "loader worker threads (trainer --num_loader_threads)");
ABSL_FLAG(int, prefetch, 2, "batches built ahead (trainer --prefetch)");
ABSL_FLAG(bool, aggregate_first_layer, false,
          "the loader also computes the first layer's neighbour means and hands over only "
          "those and the first layer's destinations' rows (trainer --aggregate_in_loader, on "
          "where it applies); the checksum then covers the means instead of all input rows");
ABSL_FLAG(int64_t, projected_width, 0,
          "with --aggregate_first_layer: the first layer's output width when it projects first "
          "(trainer: --num_hidden when below the feature width), so that the loader aggregates "
          "only where LoaderMeansAreCheaper; 0: every batch");
ABSL_FLAG(uint64_t, seed, 1, "seed of the seed order and of the draws (trainer --seed)");
ABSL_FLAG(bool, sum_rows_in_place, false,
          "with --aggregate_first_layer: sum the means from the rows where they are, not from "
          "a copy of every input row (trainer --loader_sums_in_place)");
ABSL_FLAG(bool, checksum_features_as_bfloat16, false,
          "hash the batches' features rounded to bfloat16, so that a graph stored as float32 "
          "and the same graph stored as bfloat16 (partition_graph --feature_dtype) give the same "
          "checksum when they build the same batches");

namespace distsage {
namespace {

// FNV-1a over 8-byte words (then the tail bytes), chained: one number that
// changes when any batch does, cheap enough for 75 MB of features a batch.
uint64_t HashBytes(uint64_t hash, const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    hash = (hash ^ word) * 0x100000001b3ULL;
  }
  for (; i < bytes; ++i) hash = (hash ^ static_cast<unsigned char>(p[i])) * 0x100000001b3ULL;
  return hash;
}

template <typename T>
uint64_t HashVector(uint64_t hash, const std::vector<T>& values) {
  return HashBytes(hash, values.data(), values.size() * sizeof(T));
}

uint64_t HashBatch(uint64_t hash, const MiniBatch& batch, bool features_as_bfloat16) {
  for (const Block& block : batch.blocks) {
    hash = HashVector(hash, block.indptr);
    // Of a first layer the loader aggregated, the model reads only the
    // destinations' rows and means and the degrees (indptr): the sources
    // and edges are the loader's own business (deduplicated or one per
    // edge, InputSources), and both must give the same batch.
    if (&block == &batch.blocks.front() && batch.neighbor_mean.defined()) continue;
    hash = HashVector(hash, block.src_nodes);
    hash = HashVector(hash, block.indices);
    hash = HashVector(hash, block.rev_indptr);
    hash = HashVector(hash, block.rev_indices);
  }
  for (const at::Tensor& rows : {batch.features, batch.neighbor_mean}) {
    if (!rows.defined()) continue;
    const size_t values = static_cast<size_t>(rows.numel());
    if (features_as_bfloat16) {
      thread_local std::vector<uint16_t> rounded;
      rounded.resize(values);
      RoundToBFloat16(absl::MakeConstSpan(rows.data_ptr<float>(), values), rounded.data());
      hash = HashVector(hash, rounded);
    } else {
      hash = HashBytes(hash, rows.data_ptr(), values * sizeof(float));
    }
  }
  return HashBytes(hash, batch.labels.data_ptr(), batch.labels.numel() * sizeof(int64_t));
}

absl::Status Run() {
  DS_ASSIGN_OR_RETURN(const PartitionConfig config,
                      PartitionConfig::Load(absl::GetFlag(FLAGS_part_config)));
  const FeatureSpec* feature = config.FindFeature(absl::GetFlag(FLAGS_feature_name));
  if (feature == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("graph '", config.graph_name,
                                                   "' has no node feature '",
                                                   absl::GetFlag(FLAGS_feature_name), "'"));
  }
  DS_ASSIGN_OR_RETURN(const std::vector<int> fanouts, ParseFanouts(absl::GetFlag(FLAGS_fan_out)));
  const int64_t warmup = absl::GetFlag(FLAGS_warmup_batches);
  const int64_t measured = absl::GetFlag(FLAGS_batches);
  const int64_t batch_size = absl::GetFlag(FLAGS_batch_size);
  if (measured < 1 || warmup < 0 || batch_size < 1) {
    return absl::InvalidArgumentError(
        "--batches and --batch_size must be >= 1, --warmup_batches >= 0");
  }

  const absl::Time load_start = absl::Now();
  PartitionStoreOptions store_options;
  store_options.cache = CacheMode::kMemory;
  DS_ASSIGN_OR_RETURN(std::unique_ptr<GraphClient> client,
                      GraphClient::OpenInProcess(config, store_options));
  std::fprintf(stderr, "loaded %s (features stored as %s) in %.1f s\n", config.graph_name.c_str(),
               feature->dtype.c_str(), absl::ToDoubleSeconds(absl::Now() - load_start));
  // Every partition's training nodes, as a lone trainer trains on them.
  DS_ASSIGN_OR_RETURN(TrainerShare share, WholeGraphShare(client.get()));
  std::vector<int64_t> seeds = std::move(share.train_nodes);
  // The trainer's epoch-1 order (GraphSageTrainer's ShuffledSeeds).
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  std::mt19937_64 rng(MixSeed(seed, {1, 0x5eed}));
  std::shuffle(seeds.begin(), seeds.end(), rng);
  const int64_t wanted = (warmup + measured) * batch_size;
  if (static_cast<int64_t>(seeds.size()) < wanted) {
    return absl::InvalidArgumentError(
        absl::StrCat("the graph has ", seeds.size(), " training nodes, fewer than the ", wanted,
                     " that --warmup_batches + --batches of --batch_size ask for"));
  }
  seeds.resize(wanted);

  BlockSampler sampler(client.get(), fanouts, absl::GetFlag(FLAGS_reverse_from_layer));
  LoaderOptions options;
  options.batch_size = batch_size;
  options.num_workers = absl::GetFlag(FLAGS_loader_threads);
  options.prefetch = absl::GetFlag(FLAGS_prefetch);
  options.input.graph = client.get();
  options.input.feature_name = feature->name;
  options.input.feature_dim = feature->dim;
  options.num_classes = config.num_classes;
  // As the trainer sizes its pool: queued, being built, in use.
  options.feature_buffers =
      std::make_shared<BufferPool>(static_cast<size_t>(options.prefetch + options.num_workers + 1));
  options.aggregate_first_layer = absl::GetFlag(FLAGS_aggregate_first_layer);
  options.first_layer_projected_width = absl::GetFlag(FLAGS_projected_width);
  options.sum_rows_in_place = absl::GetFlag(FLAGS_sum_rows_in_place);
  options.gather_buffers = std::make_shared<BufferPool>(static_cast<size_t>(options.num_workers));
  MiniBatchLoader loader(client.get(), &sampler, std::move(seeds), options, MixSeed(seed, {1}));

  LoaderStageSeconds cpu;
  double sample_wall = 0.0, pull_wall = 0.0;
  int64_t input_nodes = 0, edges = 0, first_layer_destinations = 0, first_layer_edges = 0,
          aggregated = 0, in_place = 0;
  uint64_t checksum = 0xcbf29ce484222325ULL;
  const bool features_as_bfloat16 = absl::GetFlag(FLAGS_checksum_features_as_bfloat16);
  absl::Time measure_start = absl::Now();
  MiniBatch batch;
  for (int64_t i = 0; i < warmup + measured; ++i) {
    if (i == warmup) measure_start = absl::Now();
    DS_ASSIGN_OR_RETURN(const bool more, loader.Next(&batch));
    if (!more) return absl::InternalError("the loader ended early");
    checksum = HashBatch(checksum, batch, features_as_bfloat16);
    if (i < warmup) continue;
    cpu.sample.neighbors += batch.cpu.sample.neighbors;
    cpu.sample.relabel += batch.cpu.sample.relabel;
    cpu.sample.reverse += batch.cpu.sample.reverse;
    cpu.gather += batch.cpu.gather;
    cpu.aggregate += batch.cpu.aggregate;
    cpu.labels += batch.cpu.labels;
    sample_wall += batch.sample_seconds;
    pull_wall += batch.pull_seconds;
    input_nodes += batch.num_input_nodes;
    first_layer_destinations += batch.blocks.front().num_dst;
    first_layer_edges += batch.blocks.front().num_edges();
    aggregated += batch.neighbor_mean.defined() ? 1 : 0;
    in_place += batch.summed_in_place ? 1 : 0;
    for (const Block& block : batch.blocks) edges += block.num_edges();
  }
  const double wall = absl::ToDoubleSeconds(absl::Now() - measure_start);
  const double ms = 1e3 / static_cast<double>(measured);
  const double total = cpu.total();
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  // The checksum's low 48 bits: exact as a JSON number (a double). Feature
  // bytes: the in-memory store's feature matrix (rows x stored row bytes);
  // peak RSS: the whole process, the store included.
  std::printf(
      "{\"neighbors_cpu_ms\": %.3f, \"relabel_cpu_ms\": %.3f, \"reverse_cpu_ms\": %.3f, "
      "\"gather_cpu_ms\": %.3f, \"aggregate_cpu_ms\": %.3f, \"labels_cpu_ms\": %.3f, "
      "\"total_cpu_ms\": %.3f, "
      "\"sample_wall_ms\": %.3f, \"pull_wall_ms\": %.3f, \"batch_wall_ms\": %.3f, "
      "\"input_nodes\": %.1f, \"first_layer_destinations\": %.1f, \"first_layer_edges\": %.1f, "
      "\"aggregated_batches\": %lld, \"in_place_batches\": %lld, "
      "\"edges\": %.1f, \"feature_mib\": %.1f, \"max_rss_mib\": %.1f, \"checksum\": %llu}\n",
      cpu.sample.neighbors * ms, cpu.sample.relabel * ms, cpu.sample.reverse * ms, cpu.gather * ms,
      cpu.aggregate * ms, cpu.labels * ms, total * ms, sample_wall * ms, pull_wall * ms, wall * ms,
      static_cast<double>(input_nodes) / measured,
      static_cast<double>(first_layer_destinations) / measured,
      static_cast<double>(first_layer_edges) / measured, static_cast<long long>(aggregated),
      static_cast<long long>(in_place), static_cast<double>(edges) / measured,
      static_cast<double>(config.num_nodes) * static_cast<double>(feature->row_bytes()) / (1 << 20),
      static_cast<double>(usage.ru_maxrss) / 1024.0,
      static_cast<unsigned long long>(checksum & ((uint64_t{1} << 48) - 1)));
  return absl::OkStatus();
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  // The trainer's malloc thresholds (trainer_main.cc): batches of megabytes
  // reuse heap pages instead of page-faulting fresh mappings.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = distsage::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "loader_bench: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
