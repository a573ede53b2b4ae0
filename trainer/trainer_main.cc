// trainer: mini-batch GraphSAGE training in the shape of DGL's
// examples/distributed/graphsage (train_dist.py / node_classification.py).
// Standalone mode (--standalone) trains on a 1-partition graph in this one
// process, with the graph server's store and sampler linked in (no sockets).
//
// Output: progress and one line per epoch on stderr; one JSON line with the
// final accuracies, timings and hyper-parameters on stdout.
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/partition_config.h"
#include "common/status_macros.h"
#include "trainer/epoch_metrics.h"
#include "trainer/graph_sage_trainer.h"
#include "trainer/local_graph_client.h"
#include "trainer/progress_reporter.h"
#include "trainer/train_options.h"

ABSL_FLAG(std::string, graph_name, "",
          "Graph name; when given it must match the partition config's graph_name.");
ABSL_FLAG(std::string, part_config, "",
          "Partition config JSON written by partition_graph (OUT/<graph_name>.json). Required.");
ABSL_FLAG(bool, standalone, false,
          "Train in this one process on a 1-partition graph, the store linked in (no servers).");
ABSL_FLAG(int, num_epochs, 20, "Training epochs (DGL default 20).");
ABSL_FLAG(int64_t, batch_size, 1000, "Seeds per training mini-batch (DGL default 1000).");
ABSL_FLAG(int64_t, batch_size_eval, 100000,
          "Destination nodes per batch of layer-wise evaluation (DGL default 100000).");
ABSL_FLAG(std::string, fan_out, "10,25",
          "Neighbours sampled per layer, input layer first, as DGL's \"10,25\" (the seeds get 25). "
          "-1: all in-edges; 0: the layer aggregates nothing, in training and evaluation (the "
          "features-only ablation).");
ABSL_FLAG(int, num_hidden, 16, "Hidden width (DGL default 16).");
ABSL_FLAG(int, num_layers, 2, "GraphSAGE layers; must equal the number of fan-outs (default 2).");
ABSL_FLAG(double, lr, 0.003, "Adam learning rate (DGL default 0.003).");
ABSL_FLAG(double, dropout, 0.5, "Dropout between layers (DGL default 0.5).");
ABSL_FLAG(double, input_dropout, 0.0,
          "Dropout on the input features (as DGL's full-graph GraphSAGE example), default 0.");
ABSL_FLAG(double, weight_decay, 0.0, "Adam weight decay (L2), default 0.");
ABSL_FLAG(int, eval_every, 5,
          "Evaluate validation/test accuracy every N epochs and after the last (DGL default 5; "
          "0: only after the last).");
ABSL_FLAG(int, log_every, 20,
          "When stderr is not a terminal, print a progress line every N batches (DGL default 20).");
ABSL_FLAG(uint64_t, seed, 0, "Seed of initialisation, shuffling, sampling and dropout.");
ABSL_FLAG(int, num_threads, 0,
          "LibTorch intra/inter-op threads; loader threads default to half of it (0: all cores).");
ABSL_FLAG(int, num_loader_threads, 0,
          "Threads sampling and pulling upcoming batches (0: max(1, num_threads / 2)).");
ABSL_FLAG(int, prefetch, 4, "Batches the loader may prepare ahead of the model step.");
ABSL_FLAG(std::string, feature_name, "feat", "Node feature to train on.");
ABSL_FLAG(std::string, feature_norm, "none",
          "Input feature normalisation: none, or row (each row divided by its sum).");
ABSL_FLAG(bool, layer_norm, false, "LayerNorm after every hidden layer.");
ABSL_FLAG(std::string, metrics_out, "", "Write per-epoch figures to this CSV file.");
ABSL_FLAG(std::string, save_model, "",
          "Save the trained model to this folder (model.pt parameters + model.json shape).");
ABSL_FLAG(std::string, load_model, "",
          "Start from the model saved in this folder; its model.json replaces --num_hidden, "
          "--num_layers, --fan_out, --dropout, --input_dropout, --layer_norm and --feature_norm.");
ABSL_FLAG(bool, eval_only, false, "Only evaluate the model given by --load_model.");
ABSL_FLAG(std::string, store_cache, "memory",
          "How the in-process store holds the partition: memory, or none (read from RocksDB).");
ABSL_FLAG(int64_t, bench_batches, 0,
          "Benchmark instead of training: N batches through the prefetching loader, then the "
          "same N model steps over batches built beforehand; prints one JSON line.");

namespace distsage {
namespace {

absl::StatusOr<TrainOptions> OptionsFromFlags(const PartitionConfig& config) {
  TrainOptions options;
  DS_ASSIGN_OR_RETURN(options.model.fanouts, ParseFanouts(absl::GetFlag(FLAGS_fan_out)));
  DS_ASSIGN_OR_RETURN(options.model.feature_norm,
                      ParseFeatureNorm(absl::GetFlag(FLAGS_feature_norm)));
  options.model.num_hidden = absl::GetFlag(FLAGS_num_hidden);
  options.model.num_layers = absl::GetFlag(FLAGS_num_layers);
  options.model.dropout = absl::GetFlag(FLAGS_dropout);
  options.model.input_dropout = absl::GetFlag(FLAGS_input_dropout);
  options.model.layer_norm = absl::GetFlag(FLAGS_layer_norm);
  options.feature_name = absl::GetFlag(FLAGS_feature_name);
  options.num_epochs = absl::GetFlag(FLAGS_num_epochs);
  options.batch_size = absl::GetFlag(FLAGS_batch_size);
  options.batch_size_eval = absl::GetFlag(FLAGS_batch_size_eval);
  options.lr = absl::GetFlag(FLAGS_lr);
  options.weight_decay = absl::GetFlag(FLAGS_weight_decay);
  options.eval_every = absl::GetFlag(FLAGS_eval_every);
  options.log_every = absl::GetFlag(FLAGS_log_every);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.num_threads = absl::GetFlag(FLAGS_num_threads);
  options.num_loader_threads = absl::GetFlag(FLAGS_num_loader_threads);
  options.prefetch = absl::GetFlag(FLAGS_prefetch);
  options.metrics_out = absl::GetFlag(FLAGS_metrics_out);
  options.save_model = absl::GetFlag(FLAGS_save_model);
  DS_RETURN_IF_ERROR(ValidateTrainOptions(config, &options));
  return options;
}

nlohmann::json HyperParameters(const TrainOptions& options) {
  const ModelOptions& model = options.model;
  return {{"num_epochs", options.num_epochs},
          {"batch_size", options.batch_size},
          {"batch_size_eval", options.batch_size_eval},
          {"fan_out", model.fanouts},
          {"num_hidden", model.num_hidden},
          {"num_layers", model.num_layers},
          {"lr", options.lr},
          {"dropout", model.dropout},
          {"input_dropout", model.input_dropout},
          {"weight_decay", options.weight_decay},
          {"feature_norm", FeatureNormName(model.feature_norm)},
          {"layer_norm", model.layer_norm},
          {"seed", options.seed},
          {"num_threads", options.num_threads}};
}

absl::Status Run() {
  const std::string config_path = absl::GetFlag(FLAGS_part_config);
  if (config_path.empty()) {
    return absl::InvalidArgumentError(
        "--part_config is required: the JSON partition_graph wrote, e.g. data/cora.json");
  }
  DS_ASSIGN_OR_RETURN(const PartitionConfig config, PartitionConfig::Load(config_path));
  const std::string graph_name = absl::GetFlag(FLAGS_graph_name);
  if (!graph_name.empty() && graph_name != config.graph_name) {
    return absl::InvalidArgumentError(absl::StrCat("--graph_name=", graph_name, " but ",
                                                   config_path, " describes graph '",
                                                   config.graph_name, "'"));
  }
  if (!absl::GetFlag(FLAGS_standalone)) {
    return absl::InvalidArgumentError(
        "only standalone mode is available in this trainer: pass --standalone with a "
        "1-partition config");
  }
  if (config.num_parts() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        config_path, " has ", config.num_parts(),
        " partitions; --standalone trains on a 1-partition graph (partition_graph --num_parts 1)"));
  }
  const bool eval_only = absl::GetFlag(FLAGS_eval_only);
  const std::string load_model = absl::GetFlag(FLAGS_load_model);
  if (eval_only && load_model.empty()) {
    return absl::InvalidArgumentError("--eval_only needs --load_model=DIR (a --save_model folder)");
  }
  DS_ASSIGN_OR_RETURN(TrainOptions options, OptionsFromFlags(config));
  std::unique_ptr<MetricsCsvWriter> csv;
  if (!options.metrics_out.empty()) {
    DS_ASSIGN_OR_RETURN(csv, MetricsCsvWriter::Create(options.metrics_out));
  }

  ConfigureTorchThreads(options.num_threads);
  LocalGraphClientOptions client_options;
  DS_ASSIGN_OR_RETURN(client_options.store.cache, ParseCacheMode(absl::GetFlag(FLAGS_store_cache)));
  DS_ASSIGN_OR_RETURN(std::unique_ptr<GraphClient> client,
                      OpenLocalGraphClient(config, client_options));
  DS_ASSIGN_OR_RETURN(const TrainerShare share, WholeGraphShare(client.get()));
  std::unique_ptr<GraphSageTrainer> trainer;
  if (load_model.empty()) {
    DS_ASSIGN_OR_RETURN(trainer, GraphSageTrainer::Create(client.get(), options));
  } else {
    DS_ASSIGN_OR_RETURN(trainer, GraphSageTrainer::Load(client.get(), options, load_model));
  }
  std::fprintf(stderr, "%s: %zu train / %zu val / %zu test nodes, %lld features, %lld classes\n",
               config.graph_name.c_str(), share.train_nodes.size(), share.val_nodes.size(),
               share.test_nodes.size(), static_cast<long long>(trainer->options().model.in_dim),
               static_cast<long long>(trainer->options().model.num_classes));

  nlohmann::json summary = {{"mode", "standalone"},
                            {"graph_name", config.graph_name},
                            {"num_train", share.train_nodes.size()},
                            {"num_val", share.val_nodes.size()},
                            {"num_test", share.test_nodes.size()},
                            {"hyperparameters", HyperParameters(trainer->options())}};
  const int64_t bench_batches = absl::GetFlag(FLAGS_bench_batches);
  if (bench_batches > 0) {
    DS_ASSIGN_OR_RETURN(const BenchmarkResult bench,
                        trainer->Benchmark(share.train_nodes, bench_batches));
    summary["bench"] = {
        {"num_batches", bench.num_batches},
        {"num_seeds", bench.num_seeds},
        {"num_input_nodes", bench.num_input_nodes},
        {"num_edges", bench.num_edges},
        {"pipeline_s", bench.pipeline_seconds},
        {"sample_s", bench.sample_seconds},
        {"pull_s", bench.pull_seconds},
        {"compute_s", bench.compute_seconds},
        {"wait_s", bench.wait_seconds},
        {"model_only_s", bench.model_only_seconds},
        {"peak_rss_mb_pipeline", bench.peak_rss_mb_after_pipeline},
        {"pipeline_over_model_only", bench.pipeline_seconds / bench.model_only_seconds}};
  } else if (eval_only) {
    DS_ASSIGN_OR_RETURN(const Accuracies accuracies, trainer->Evaluate(share));
    summary["final_val_acc"] = accuracies.val;
    summary["final_test_acc"] = accuracies.test;
    summary["eval_s"] = accuracies.seconds;
  } else {
    ProgressReporter reporter(stderr, isatty(STDERR_FILENO) == 1, options.log_every);
    std::vector<EpochMetrics> history;
    DS_RETURN_IF_ERROR(trainer->Train(share, &reporter, csv.get(), &history));
    EpochMetrics total;
    for (const EpochMetrics& epoch : history) {
      total.epoch_seconds += epoch.epoch_seconds;
      total.sample_seconds += epoch.sample_seconds;
      total.pull_seconds += epoch.pull_seconds;
      total.compute_seconds += epoch.compute_seconds;
      total.wait_seconds += epoch.wait_seconds;
      total.eval_seconds += epoch.eval_seconds;
    }
    const double epochs = std::max<size_t>(1, history.size());
    if (!history.empty()) {
      summary["final_val_acc"] = history.back().val_acc;
      summary["final_test_acc"] = history.back().test_acc;
      summary["final_train_acc"] = history.back().train_acc;
      summary["final_loss"] = history.back().loss;
    }
    summary["epoch_s_mean"] = total.epoch_seconds / epochs;
    summary["sample_s_mean"] = total.sample_seconds / epochs;
    summary["pull_s_mean"] = total.pull_seconds / epochs;
    summary["compute_s_mean"] = total.compute_seconds / epochs;
    summary["wait_s_mean"] = total.wait_seconds / epochs;
    summary["train_s_total"] = total.epoch_seconds;
    summary["eval_s_total"] = total.eval_seconds;
    if (!options.save_model.empty()) DS_RETURN_IF_ERROR(trainer->Save(options.save_model));
  }
  summary["peak_rss_mb"] = PeakRssMegabytes();
  std::printf("%s\n", summary.dump().c_str());
  std::fflush(stdout);
  return absl::OkStatus();
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  // LibTorch and OpenBLAS run on libgomp, whose idle threads spin by default.
  // The loader threads share the cores with them, so spinning threads steal
  // the loader's (and each other's) time: on 2 cores, passive waiting made
  // Amazon Computers epochs 2-3x faster. libgomp reads the policy when it is
  // loaded, before main, so set it and start over once (a user's own
  // OMP_WAIT_POLICY is kept).
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);
    std::perror("trainer: cannot re-execute itself with OMP_WAIT_POLICY=PASSIVE");
  }
  // Every step allocates and frees tensors of megabytes (activations,
  // gradients, feature batches). Above glibc's default mmap threshold each
  // one is a fresh mapping that page-faults on first touch; keeping them in
  // the heap, and the heap untrimmed, makes them reusable memory (on Amazon
  // Computers, hidden 256: 40% less epoch time).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  absl::SetProgramUsageMessage(
      "Mini-batch GraphSAGE training (DGL's train_dist.py, in C++).\n"
      "  trainer --standalone --part_config data/cora.json --num_epochs 3 --batch_size 1000");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    std::fprintf(stderr, "trainer: unexpected argument '%s' (flags are --name=value)\n",
                 positional[1]);
    return 2;
  }
  const absl::Status status = distsage::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "trainer: error: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
