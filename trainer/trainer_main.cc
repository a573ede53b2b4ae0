// trainer: mini-batch GraphSAGE training in the shape of DGL's
// examples/distributed/graphsage (train_dist.py / node_classification.py).
//   * Distributed mode (--servers ip_config.txt): one of --world_size
//     data-parallel trainers; the graph comes from graph_server processes,
//     gradients are averaged with c10d's ProcessGroupGloo every step.
//   * Standalone mode (--standalone): a 1-partition graph in this one process,
//     with the graph server's store and sampler linked in (no sockets).
//
// DGL's own command lines run unchanged: its hyphenated spellings
// (--graph-name, --num-epochs, ...; common/dgl_flag_spellings.h), --conf_path,
// the settings DGL's launch passes in the environment (DGL_CONF_PATH,
// DGL_NUM_SERVER), and --ip_config next to --standalone (ignored there).
//
// Output: progress and one line per epoch on stderr; one JSON line on stdout:
// the final accuracies, timings and hyper-parameters (rank 0 and standalone,
// with every rank's timings), or this rank's own figures (other ranks).
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "client/graph_client.h"
#include "client/kv_client.h"
#include "client/shared_partition.h"
#include "common/dgl_flag_spellings.h"
#include "common/partition_config.h"
#include "common/status_macros.h"
#include "proto/transport_security.h"
#include "trainer/epoch_metrics.h"
#include "trainer/graph_sage_trainer.h"
#include "trainer/node_split.h"
#include "trainer/precision.h"
#include "trainer/progress_reporter.h"
#include "trainer/train_options.h"
#include "trainer/trainer_group.h"

ABSL_FLAG(std::string, graph_name, "",
          "Graph name; when given it must match the partition config's graph_name (DGL: "
          "--graph-name).");
ABSL_FLAG(std::string, part_config, "",
          "Partition config JSON written by partition_graph (OUT/<graph_name>.json). Required: "
          "this flag, --conf_path, or $DGL_CONF_PATH (as DGL's launch sets it).");
ABSL_FLAG(std::string, conf_path, "", "DGL's older name for --part_config.");
ABSL_FLAG(bool, standalone, false,
          "Train in this one process on a 1-partition graph, the store linked in (no servers); "
          "an --ip_config/--servers given as well is ignored, with a note.");
ABSL_FLAG(std::string, servers, "",
          "Distributed mode: the ip_config.txt of the graph servers (one line per machine, "
          "\"IP [PORT]\"; machine i serves partition i). Same as --ip_config.");
ABSL_FLAG(std::string, ip_config, "", "DGL's name for --servers.");
ABSL_FLAG(int, num_servers, -1,
          "Graph servers per machine (graph_server --num_servers; default: $DGL_NUM_SERVER, as "
          "DGL's launch sets it, else 1).");
ABSL_FLAG(int, num_trainers, 0,
          "DGL's trainers per machine. Checked only: --world_size must be a multiple of it (the "
          "home partition, rank * num_parts / world_size, already places trainer r on machine "
          "r / num_trainers).");
ABSL_FLAG(int, num_client, 0,
          "DGL's total number of trainers (--num-client). Checked only: must equal the world "
          "size.");
ABSL_FLAG(int, num_samplers, 0,
          "DGL's sampler processes per trainer: here the loader threads (--num_loader_threads); "
          "0: not given.");
ABSL_FLAG(int, num_gpus, -1,
          "DGL's GPUs per machine (--num-gpus). This trainer runs on the CPU: -1 or 0 are "
          "accepted, more is refused.");
ABSL_FLAG(int, rank, -1, "This trainer's rank in [0, --world_size) (default: $RANK, else 0).");
ABSL_FLAG(int, world_size, -1, "Number of trainers (default: $WORLD_SIZE, else 1).");
ABSL_FLAG(std::string, master_addr, "",
          "Host of rank 0, where the trainers meet (default: $MASTER_ADDR, else 127.0.0.1).");
ABSL_FLAG(int, master_port, -1,
          "Free TCP port on --master_addr for the rendezvous (default: $MASTER_PORT, else 29500). "
          "0 on rank 0: any free port, printed as '[rank 0] rendezvous at HOST:PORT'.");
ABSL_FLAG(int, part_id, -1,
          "The partition on this trainer's machine, whose nodes it prefers to train on "
          "(-1: rank * num_parts / world_size, as the launch tool places trainers).");
ABSL_FLAG(std::string, local_partition, "auto",
          "How this trainer reads the partition on its own machine (--part_id): auto (the "
          "shared-memory segment its graph server publishes when that server is on this machine "
          "and has one, else as server; one line says which and why), shm (the segment, or "
          "fail), server (through its graph server, over a Unix socket where possible) or "
          "inprocess (open the partition files read-only in this process: holds a second copy "
          "in memory).");
ABSL_FLAG(bool, map_other_local_partitions, true,
          "With --local_partition auto or shm: also read the other partitions whose graph "
          "servers run on this machine from the segments they publish (quietly over gRPC where "
          "one has none). false: only the home partition, as when each partition has a machine "
          "of its own (e.g. to measure a cluster's traffic on one machine).");
ABSL_FLAG(std::string, uds_dir, "",
          "The graph servers' --uds_dir: servers on this machine are reached through their Unix "
          "sockets there; empty: TCP for every server.");
ABSL_FLAG(int, connect_timeout_s, 120,
          "How long to wait for graph servers that are not up yet before failing.");
ABSL_FLAG(int, rpc_timeout_s, 60, "Deadline of each graph server call.");
ABSL_FLAG(int, server_restart_timeout_s, 60,
          "A graph server found down mid-training: sampling and pulls go to a backup of its "
          "partition at once, or are retried for up to this long while it restarts (0: fail at "
          "once).");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA certificate that signed the servers' certificates: dial them over TLS and "
          "verify them (deploy/make_certs). With --tls_cert/--tls_key as well, the trainers' "
          "rendezvous is mutual TLS too.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate (with --tls_key) presented to servers that require mutual TLS; rank 0 "
          "also serves the rendezvous with it, so it must be valid for --master_addr "
          "(deploy/make_certs' trainer certificate is)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, auth_token_file, "",
          "file (mode 600) holding the bearer token of the servers' --auth_token_file, sent with "
          "every call (needed for KV pushes and --shutdown_servers on such servers); the "
          "trainers' rendezvous requires it too");
ABSL_FLAG(int, keepalive_s, 5,
          "Ping each graph server connection after this many idle seconds, and drop it when a "
          "ping goes unanswered as long: a server machine that vanishes without closing its "
          "connections fails the next call within seconds, not at --rpc_timeout_s.");
ABSL_FLAG(int, collective_timeout_s, 300,
          "How long a trainer waits for the others (start-up and each gradient all-reduce) "
          "before failing.");
ABSL_FLAG(bool, shutdown_servers, false,
          "When training ends, rank 0 asks every graph server to shut down (DGL's behaviour; by "
          "default servers keep running for the next job).");
ABSL_FLAG(int, num_epochs, 20, "Training epochs (DGL default 20).");
ABSL_FLAG(int64_t, batch_size, 1000,
          "Seeds per training mini-batch (DGL default 1000). Distributed: the global batch, each "
          "of the M trainers taking batch_size / M (rounded up), so that the same flags train "
          "the same way as standalone; see --per_trainer_batch.");
ABSL_FLAG(bool, per_trainer_batch, false,
          "Distributed: --batch_size seeds per trainer per step, as DGL's train_dist.py (a global "
          "batch of M * batch_size: fewer, larger steps per epoch).");
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
          "0: only after the last; -1: never, e.g. to time epochs).");
ABSL_FLAG(int, log_every, 20,
          "When stderr is not a terminal, print a progress line every N batches (DGL default 20).");
ABSL_FLAG(uint64_t, seed, 0, "Seed of initialisation, shuffling, sampling and dropout.");
ABSL_FLAG(int, num_threads, 0,
          "LibTorch intra/inter-op threads; loader threads default to half of it (0: all cores).");
ABSL_FLAG(int, model_threads, 0,
          "LibTorch intra-op threads of the training steps (evaluation uses --num_threads). 0: "
          "--num_threads, unless the loader's CPU bounds the pipeline (measured on steps 5-8); "
          "then the trainer also tries one thread, in turns, up to step 28, and keeps it where "
          "its estimate of the pipeline's time per batch is lower (a narrow model's many small "
          "operations can cost the loader more CPU than the second thread gains). JSON "
          "model_threads and model_threads_trial say which and why; any count computes the "
          "same bits.");
ABSL_FLAG(int, num_loader_threads, 0,
          "Threads sampling and pulling upcoming batches (0: max(2, num_threads / 2)).");
ABSL_FLAG(int, prefetch, 2,
          "Batches the loader may prepare ahead of the model step, ready or being built (each "
          "holds its input rows: at products scale ~20 MB; 4 before: within the noise as fast on "
          "2 cores, with 43-90 MB more memory, bench/results/prefetch.md).");
ABSL_FLAG(int, loader_nice, 19,
          "Nice levels (0-19) the loader threads run below the model's threads: they then build "
          "batches on the cores the model step leaves idle instead of preempting its threads (a "
          "matrix product waits for its slowest thread), and still get every core while the "
          "model waits for a batch. They yield to other busy processes on the machine too: where "
          "other work keeps the cores busy, 0 with --loader_sched_idle=false (the same priority, "
          "as before these flags) keeps the loader's share.");
ABSL_FLAG(bool, loader_sched_idle, true,
          "The loader threads also run under Linux's SCHED_IDLE policy, below every nice level: "
          "a model thread that wakes up takes its core back at once instead of at the "
          "scheduler's next check (hidden 256 at products scale: pipeline 0.93x, "
          "bench/results/loader_sched_idle.md). Like --loader_nice they yield to any other busy "
          "process, only more so: where other work keeps every core busy they get almost no CPU "
          "(epochs 4.3-7.2x nice 19's, bench/results/busy_machine.md), so the loader leaves "
          "SCHED_IDLE by itself once the model waits on it longer than it works (over 4 "
          "batches, or 1 s for the first; loader_left_sched_idle in the JSON line; "
          "bench/results/busy_machine-adaptive.md). false with --loader_nice=0 keeps the loader "
          "at the model's priority.");
ABSL_FLAG(std::string, dropout_masks, "counter",
          "How dropout masks are drawn: 'torch' (LibTorch's dropout: on Debian's LibTorch one "
          "value at a time from one generator, in one thread) or 'counter' (the same "
          "distribution from another random stream: a hash of a per-call key and each "
          "element's index, in parallel; within 0.15 points of torch's accuracy over 10 seeds "
          "of each bundled recipe). Both follow --seed and resume exactly; 'torch' reproduces "
          "the runs published before counter became the default.");
ABSL_FLAG(bool, aggregate_in_loader, true,
          "The loader also computes the first layer's neighbour means, for the batches where "
          "that costs less than the model projecting every input row first, so that those "
          "batches carry 2 rows per first-layer destination instead of one per input node and "
          "the model projects only those (the same function: the mean is linear). Applies "
          "without --input_dropout and --node_embedding_dim; false: the model aggregates every "
          "batch, as DGL does.");
ABSL_FLAG(bool, loader_sums_in_place, true,
          "With the loader's first-layer means: sum them from the rows where they are (the "
          "home partition's shared-memory segment or this process's store; only remote rows "
          "are pulled) instead of from a copy of every input row: the same bits, less memory (at "
          "products scale 70 MiB per loader thread) for about the same loader CPU (random reads "
          "per edge instead of per input row). Applies with --feature_norm=none; false: the "
          "copy, the default before.");
ABSL_FLAG(std::string, feature_name, "feat",
          "Node feature to train on; empty: none (learnable node embeddings only).");
ABSL_FLAG(int64_t, node_embedding_dim, 0,
          "Learn a D-dim embedding per node (DGL's DistEmbedding), held by the graph servers' KV "
          "store (in process when standalone) and updated there by --sparse_optimizer; "
          "concatenated to the feature, or alone without one. 0: none.");
ABSL_FLAG(std::string, sparse_optimizer, "adam",
          "Optimizer of the node embeddings, applied by their KV servers: sgd, adagrad or adam.");
ABSL_FLAG(double, sparse_lr, 0.01, "Learning rate of the node embeddings' optimizer.");
ABSL_FLAG(std::string, feature_norm, "none",
          "Input feature normalisation: none, or row (each row divided by its sum).");
ABSL_FLAG(bool, layer_norm, false, "LayerNorm after every hidden layer.");
ABSL_FLAG(std::string, precision, "auto",
          "Arithmetic of the dense layers: fp32, or bf16 (bfloat16 matrix products on the CPU's "
          "AVX512-BF16/AMX units, float32 master weights, optimiser state and loss; within 0.3 "
          "points of fp32's accuracy on the bundled datasets). Without those units bf16 falls "
          "back to fp32, with a note. auto: bf16 where the CPU has those units, else fp32; the "
          "JSON line's hyperparameters.precision says which ran.");
ABSL_FLAG(std::string, feature_wire_dtype, "auto",
          "How feature rows travel from graph servers: float32, or bfloat16 (rounded on the "
          "server: half the bytes). auto: bfloat16 when the rows are stored as bfloat16 "
          "(partition_graph --feature_dtype), or when the model computes in bf16 "
          "(--precision=bf16) with --feature_norm=none, where it rounds the rows the same way "
          "itself (the same run where the model takes the first layer's means, "
          "--aggregate_in_loader=false; else the loader averages rounded rows); else float32.");
ABSL_FLAG(std::string, feature_memory_dtype, "auto",
          "How this process's own store (--standalone, --local_partition=inprocess) holds the "
          "feature rows: stored (as partition_graph wrote them), or bfloat16 (float32 rows "
          "rounded once at load: half the memory and half the bytes per row read; the run is "
          "that of a partition written with --feature_dtype bfloat16). auto: bfloat16 when the "
          "model computes in bf16 with --feature_norm=none (it rounds its input rows to bf16 "
          "itself) and the store is in memory, unless --load_model (whose model.json may say "
          "otherwise) or, in distributed mode, --precision=auto (another rank may settle it to "
          "fp32); else stored. The JSON line's feature_memory_dtype says which.");
ABSL_FLAG(bool, allow_emulated_bf16, false,
          "Keep --precision=bf16 on a CPU without bf16 matrix units, emulated: bf16's roundings "
          "with float32 products (bf16's accuracy at fp32's speed, for checking it anywhere).");
ABSL_FLAG(std::string, metrics_out, "", "Write per-epoch figures to this CSV file.");
ABSL_FLAG(std::string, save_model, "",
          "Save the trained model to this folder (model.pt parameters + model.json shape); in "
          "distributed mode rank 0 saves it.");
ABSL_FLAG(std::string, load_model, "",
          "Start from the model saved in this folder; its model.json replaces --num_hidden, "
          "--num_layers, --fan_out, --dropout, --input_dropout, --layer_norm and --feature_norm.");
ABSL_FLAG(bool, eval_only, false, "Only evaluate the model given by --load_model.");
ABSL_FLAG(std::string, checkpoint_dir, "",
          "Checkpoint training here (model, optimiser, RNG and epoch; one rank-<r> folder per "
          "trainer), every --checkpoint_every epochs and after the last.");
ABSL_FLAG(int, checkpoint_every, 1, "Epochs between checkpoints (with --checkpoint_dir).");
ABSL_FLAG(int64_t, checkpoint_every_batches, 0,
          "Also checkpoint after every N-th batch of the run, mid-epoch too (with "
          "--checkpoint_dir; for long epochs). 0: at epoch ends only.");
ABSL_FLAG(bool, resume, false,
          "Continue from the last checkpoint in --checkpoint_dir (every rank's, in distributed "
          "mode); start from epoch 1 when there is none yet. The final parameters equal an "
          "uninterrupted run's.");
ABSL_FLAG(std::string, store_cache, "memory",
          "How the in-process store holds the partition: memory, or none (read from RocksDB).");
ABSL_FLAG(int64_t, bench_batches, 0,
          "Benchmark instead of training: N batches through the prefetching loader, then the "
          "same N model steps over batches built beforehand; prints one JSON line.");
ABSL_FLAG(int64_t, bench_warmup_batches, 5,
          "With --bench_batches: batches trained through the loader first and not timed (the "
          "process's first steps: page faults, LibTorch's first calls), at least the 28 of "
          "--model_threads' trial when it runs; fewer where the epoch has fewer batches than "
          "both (JSON bench.warmup_batches).");

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
  std::string precision_note;
  DS_ASSIGN_OR_RETURN(options.model.precision,
                      ChoosePrecision(absl::GetFlag(FLAGS_precision), DetectBf16Support(),
                                      absl::GetFlag(FLAGS_allow_emulated_bf16), &precision_note));
  if (!precision_note.empty()) std::fprintf(stderr, "trainer: %s\n", precision_note.c_str());
  options.feature_name = absl::GetFlag(FLAGS_feature_name);
  options.model.embedding_dim = absl::GetFlag(FLAGS_node_embedding_dim);
  options.sparse_optimizer = absl::GetFlag(FLAGS_sparse_optimizer);
  options.sparse_lr = absl::GetFlag(FLAGS_sparse_lr);
  options.num_epochs = absl::GetFlag(FLAGS_num_epochs);
  options.batch_size = absl::GetFlag(FLAGS_batch_size);
  options.batch_size_eval = absl::GetFlag(FLAGS_batch_size_eval);
  options.lr = absl::GetFlag(FLAGS_lr);
  options.weight_decay = absl::GetFlag(FLAGS_weight_decay);
  options.eval_every = absl::GetFlag(FLAGS_eval_every);
  options.log_every = absl::GetFlag(FLAGS_log_every);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.num_threads = absl::GetFlag(FLAGS_num_threads);
  options.model_threads = absl::GetFlag(FLAGS_model_threads);
  options.num_loader_threads = absl::GetFlag(FLAGS_num_loader_threads);
  const int num_samplers = absl::GetFlag(FLAGS_num_samplers);
  if (num_samplers < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--num_samplers=", num_samplers, ": expected 0 or more loader threads"));
  }
  if (num_samplers > 0) {
    if (options.num_loader_threads != 0 && options.num_loader_threads != num_samplers) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--num_samplers=", num_samplers, " and --num_loader_threads=", options.num_loader_threads,
          " set the same thing (loader threads); give one of them"));
    }
    options.num_loader_threads = num_samplers;
  }
  if (absl::GetFlag(FLAGS_num_gpus) > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--num_gpus=", absl::GetFlag(FLAGS_num_gpus),
                     ": this trainer trains on the CPU (LibTorch CPU build); drop the flag or "
                     "give -1 or 0"));
  }
  options.prefetch = absl::GetFlag(FLAGS_prefetch);
  options.loader_nice = absl::GetFlag(FLAGS_loader_nice);
  options.loader_sched_idle = absl::GetFlag(FLAGS_loader_sched_idle);
  DS_ASSIGN_OR_RETURN(options.model.dropout_masks,
                      ParseDropoutMasks(absl::GetFlag(FLAGS_dropout_masks)));
  options.aggregate_in_loader = absl::GetFlag(FLAGS_aggregate_in_loader);
  options.loader_sums_in_place = absl::GetFlag(FLAGS_loader_sums_in_place);
  options.metrics_out = absl::GetFlag(FLAGS_metrics_out);
  options.save_model = absl::GetFlag(FLAGS_save_model);
  options.checkpoint_dir = absl::GetFlag(FLAGS_checkpoint_dir);
  options.checkpoint_every = absl::GetFlag(FLAGS_checkpoint_every);
  options.checkpoint_every_batches = absl::GetFlag(FLAGS_checkpoint_every_batches);
  options.resume = absl::GetFlag(FLAGS_resume);
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
          {"precision", PrecisionName(model.precision)},
          {"dropout_masks", DropoutMasksName(model.dropout_masks)},
          {"aggregate_in_loader", options.AggregatesInLoader()},
          {"loader_sums_in_place", options.LoaderSumsInPlace()},
          {"seed", options.seed},
          {"num_threads", options.num_threads},
          {"feature_name", options.feature_name},
          {"node_embedding_dim", model.embedding_dim},
          {"sparse_optimizer", options.sparse_optimizer},
          {"sparse_lr", options.sparse_lr}};
}

// The graph, the trainer group and this trainer's nodes: everything that
// differs between standalone and distributed mode.
struct Setup {
  std::unique_ptr<GraphClient> client;
  std::unique_ptr<KVClient> kv;         // The KV tensors (node embeddings), beside the graph.
  std::unique_ptr<TrainerGroup> group;  // Set in distributed mode.
  TrainerShare share;
  int home_part = 0;
  // How the home partition's rows read in this process are held (an
  // in-process store's or a mapped segment's dtype); empty: pulled.
  std::string feature_memory_dtype;
};

// The options of a store opened in this process (--store_cache,
// --feature_memory_dtype).
absl::StatusOr<PartitionStoreOptions> InProcessStoreOptions(const TrainOptions& options,
                                                            bool standalone) {
  PartitionStoreOptions store_options;
  DS_ASSIGN_OR_RETURN(store_options.cache, ParseCacheMode(absl::GetFlag(FLAGS_store_cache)));
  const std::string held = absl::GetFlag(FLAGS_feature_memory_dtype);
  if (held == "bfloat16") {
    if (store_options.cache != CacheMode::kMemory) {
      return absl::InvalidArgumentError(
          "--feature_memory_dtype=bfloat16 needs --store_cache=memory: with none the rows are "
          "read from RocksDB as stored");
    }
    store_options.hold_features_bfloat16 = true;
  } else if (held == "auto") {
    // The model rounds its input rows to bf16 first thing: rounding them at
    // load instead changes only the loader's first-layer means, now of
    // rounded rows (as a partition stored as bfloat16 gives). Not where the
    // model could still turn out fp32 or normalise the rows first.
    store_options.hold_features_bfloat16 =
        store_options.cache == CacheMode::kMemory &&
        options.model.precision != Precision::kFloat32 &&
        options.model.feature_norm == FeatureNorm::kNone &&
        absl::GetFlag(FLAGS_load_model).empty() &&
        (standalone || absl::GetFlag(FLAGS_precision) != kAutoPrecision);
  } else if (held != "stored") {
    return absl::InvalidArgumentError(
        absl::StrCat("--feature_memory_dtype=", held, ": expected auto, stored or bfloat16"));
  }
  return store_options;
}

// How a store holds feature `name` (its meta's dtype), for the JSON line.
std::string FeatureDtypeHeldBy(const PartitionStore& store, const std::string& name) {
  const absl::StatusOr<const FeatureSpec*> spec = store.FindFeature(name);
  return spec.ok() ? (*spec)->dtype : "";
}

absl::StatusOr<Setup> SetUpStandalone(const PartitionConfig& config, const std::string& config_path,
                                      const TrainOptions& options) {
  if (config.num_parts() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        config_path, " has ", config.num_parts(),
        " partitions; --standalone trains on a 1-partition graph (partition_graph --num_parts 1)"));
  }
  Setup setup;
  DS_ASSIGN_OR_RETURN(const PartitionStoreOptions store_options,
                      InProcessStoreOptions(options, /*standalone=*/true));
  DS_ASSIGN_OR_RETURN(setup.client, GraphClient::OpenInProcess(config, store_options));
  if (const FeatureSpec* feature = config.FindFeature(options.feature_name); feature != nullptr) {
    setup.feature_memory_dtype =
        store_options.hold_features_bfloat16 ? kBFloat16Dtype : feature->dtype;
  }
  DS_ASSIGN_OR_RETURN(setup.kv, KVClient::OpenInProcess(config));
  DS_ASSIGN_OR_RETURN(setup.share, WholeGraphShare(setup.client.get()));
  return setup;
}

absl::StatusOr<TrainerGroupOptions> GroupOptionsFromFlags() {
  TrainerGroupOptions options;
  DS_RETURN_IF_ERROR(ApplyTorchDistributedEnvironment(&options));
  if (absl::GetFlag(FLAGS_rank) >= 0) options.rank = absl::GetFlag(FLAGS_rank);
  if (absl::GetFlag(FLAGS_world_size) >= 0) options.world_size = absl::GetFlag(FLAGS_world_size);
  if (!absl::GetFlag(FLAGS_master_addr).empty()) {
    options.master_addr = absl::GetFlag(FLAGS_master_addr);
  }
  if (absl::GetFlag(FLAGS_master_port) >= 0) options.master_port = absl::GetFlag(FLAGS_master_port);
  // The other ranks (and a launcher that let rank 0 pick the port) read it here.
  options.on_master_ready = [master_addr = options.master_addr](int port) {
    std::fprintf(stderr, "[rank 0] rendezvous at %s:%d\n", master_addr.c_str(), port);
  };
  if (absl::GetFlag(FLAGS_collective_timeout_s) <= 0) {
    return absl::InvalidArgumentError("--collective_timeout_s must be positive");
  }
  options.timeout = absl::Seconds(absl::GetFlag(FLAGS_collective_timeout_s));
  // The rendezvous speaks what the trainers use toward the servers.
  options.tls = {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                 absl::GetFlag(FLAGS_tls_ca)};
  if (!absl::GetFlag(FLAGS_auth_token_file).empty()) {
    DS_ASSIGN_OR_RETURN(options.auth_token, ReadAuthToken(absl::GetFlag(FLAGS_auth_token_file)));
  }
  if (options.world_size < 1 || options.rank < 0 || options.rank >= options.world_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rank ", options.rank, " with world size ", options.world_size,
        ": give each trainer a distinct --rank in [0, --world_size) (or RANK/WORLD_SIZE)"));
  }
  const int num_client = absl::GetFlag(FLAGS_num_client);
  if (num_client != 0 && num_client != options.world_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("--num_client=", num_client, " but the world size is ", options.world_size,
                     " (--world_size or $WORLD_SIZE): they count the same trainers"));
  }
  const int num_trainers = absl::GetFlag(FLAGS_num_trainers);
  if (num_trainers < 0 || (num_trainers > 0 && options.world_size % num_trainers != 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--num_trainers=", num_trainers, " (per machine) does not divide the world size ",
        options.world_size, " (--world_size or $WORLD_SIZE)"));
  }
  return options;
}

// This rank's share of one split: the split's nodes per partition, dealt out
// by NodeShare over every rank's home partition.
absl::StatusOr<std::vector<int64_t>> ShareOfSplit(GraphClient* client, Split split,
                                                  absl::Span<const int> home_parts, int rank) {
  std::vector<std::vector<int64_t>> nodes_by_part(client->config().num_parts());
  for (int part = 0; part < client->config().num_parts(); ++part) {
    DS_ASSIGN_OR_RETURN(nodes_by_part[part], client->SplitNodes(part, split));
  }
  return NodeShare(nodes_by_part, home_parts, rank);
}

// --num_servers, else DGL_NUM_SERVER (DGL's launch sets it for its trainers), else 1.
absl::StatusOr<int> ServersPerMachine() {
  int num_servers = absl::GetFlag(FLAGS_num_servers);
  if (num_servers >= 0) return num_servers;
  const char* from_launch = std::getenv("DGL_NUM_SERVER");
  if (from_launch == nullptr || *from_launch == '\0') return 1;
  if (!absl::SimpleAtoi(from_launch, &num_servers) || num_servers < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "$DGL_NUM_SERVER='", from_launch, "': expected the servers per machine, 1 or more"));
  }
  return num_servers;
}

// Whether feature rows from servers travel as bfloat16 (--feature_wire_dtype).
absl::StatusOr<bool> FeatureRowsBFloat16(const TrainOptions& options,
                                         const PartitionConfig& config) {
  const std::string wire = absl::GetFlag(FLAGS_feature_wire_dtype);
  if (wire == "float32") return false;
  if (wire == "bfloat16") return true;
  if (wire != "auto") {
    return absl::InvalidArgumentError(
        absl::StrCat("--feature_wire_dtype=", wire, ": expected auto, float32 or bfloat16"));
  }
  // Rows stored as bfloat16 lose nothing on a bfloat16 wire. And the model
  // rounds its input rows to bf16 itself: rounding them on the server first
  // gives the same rows, unless something is done to them in between (row
  // normalisation, or the loader's first-layer means, then of rounded rows).
  const FeatureSpec* feature = config.FindFeature(options.feature_name);
  if (feature != nullptr && feature->stored_bfloat16()) return true;
  return options.model.precision != Precision::kFloat32 &&
         options.model.feature_norm == FeatureNorm::kNone;
}

absl::StatusOr<Setup> SetUpDistributed(const PartitionConfig& config, const std::string& ip_config,
                                       const TrainOptions& options) {
  Setup setup;
  DS_ASSIGN_OR_RETURN(const TrainerGroupOptions group_options, GroupOptionsFromFlags());
  const int num_parts = config.num_parts();
  setup.home_part = absl::GetFlag(FLAGS_part_id);
  if (setup.home_part < 0) {
    setup.home_part = DefaultHomePartition(group_options.rank, group_options.world_size, num_parts);
  }
  if (setup.home_part >= num_parts) {
    return absl::InvalidArgumentError(absl::StrCat("--part_id=", setup.home_part, " but graph '",
                                                   config.graph_name, "' has ", num_parts,
                                                   " partitions (0..", num_parts - 1, ")"));
  }
  GraphClientOptions client_options;
  DS_ASSIGN_OR_RETURN(client_options.num_servers, ServersPerMachine());
  DS_ASSIGN_OR_RETURN(client_options.feature_rows_bfloat16, FeatureRowsBFloat16(options, config));
  client_options.channels.rpc_timeout = absl::Seconds(absl::GetFlag(FLAGS_rpc_timeout_s));
  client_options.channels.connect_timeout = absl::Seconds(absl::GetFlag(FLAGS_connect_timeout_s));
  if (absl::GetFlag(FLAGS_keepalive_s) < 1) {
    return absl::InvalidArgumentError("--keepalive_s must be at least 1");
  }
  client_options.channels.keepalive_time = absl::Seconds(absl::GetFlag(FLAGS_keepalive_s));
  client_options.channels.keepalive_timeout = absl::Seconds(absl::GetFlag(FLAGS_keepalive_s));
  client_options.channels.uds_dir = absl::GetFlag(FLAGS_uds_dir);
  if (absl::GetFlag(FLAGS_server_restart_timeout_s) < 0) {
    return absl::InvalidArgumentError("--server_restart_timeout_s must be 0 (no retries) or more");
  }
  client_options.channels.server_restart_timeout =
      absl::Seconds(absl::GetFlag(FLAGS_server_restart_timeout_s));
  // The same TLS files and token as the rendezvous (GroupOptionsFromFlags read them).
  DS_ASSIGN_OR_RETURN(client_options.channels.credentials,
                      ChannelCredentialsFrom(group_options.tls));
  client_options.channels.auth_token = group_options.auth_token;
  DS_ASSIGN_OR_RETURN(const LocalPartitionMode local_mode,
                      ParseLocalPartitionMode(absl::GetFlag(FLAGS_local_partition)));
  if (local_mode == LocalPartitionMode::kInProcess) {
    DS_ASSIGN_OR_RETURN(const PartitionStoreOptions store_options,
                        InProcessStoreOptions(options, /*standalone=*/false));
    DS_ASSIGN_OR_RETURN(std::shared_ptr<const PartitionStore> store,
                        PartitionStore::Open(config, setup.home_part, store_options));
    setup.feature_memory_dtype = FeatureDtypeHeldBy(*store, options.feature_name);
    client_options.local_parts[setup.home_part] = std::move(store);
  } else if (local_mode != LocalPartitionMode::kServer) {
    DS_ASSIGN_OR_RETURN(LocalPartitionChoice choice,
                        MapPartitionSegment(local_mode, ip_config, config, setup.home_part,
                                            client_options.num_servers, client_options.channels));
    std::fprintf(stderr, "trainer: --local_partition=%s: %s\n",
                 absl::GetFlag(FLAGS_local_partition).c_str(), choice.reason.c_str());
    if (choice.store != nullptr) {
      setup.feature_memory_dtype = FeatureDtypeHeldBy(*choice.store, options.feature_name);
      client_options.local_parts[setup.home_part] = choice.store;
    }
    for (int part = 0; part < config.num_parts() && absl::GetFlag(FLAGS_map_other_local_partitions);
         ++part) {
      if (part == setup.home_part) continue;
      DS_ASSIGN_OR_RETURN(LocalPartitionChoice other,
                          MapPartitionSegment(LocalPartitionMode::kAuto, ip_config, config, part,
                                              client_options.num_servers, client_options.channels));
      if (other.store == nullptr) continue;  // Not on this machine, or no segment: gRPC.
      std::fprintf(stderr, "trainer: --map_other_local_partitions: %s\n", other.reason.c_str());
      client_options.local_parts[part] = std::move(other.store);
    }
  }
  DS_ASSIGN_OR_RETURN(setup.client,
                      GraphClient::ConnectFromIpConfig(ip_config, config, client_options));
  DS_ASSIGN_OR_RETURN(setup.kv, KVClient::Connect(config, setup.client->channels()));
  DS_ASSIGN_OR_RETURN(setup.group, TrainerGroup::Join(group_options));

  // Every rank needs every rank's home partition to deal the nodes out.
  const int64_t home = setup.home_part;
  DS_ASSIGN_OR_RETURN(const std::vector<std::vector<int64_t>> homes,
                      setup.group->AllGather(absl::MakeConstSpan(&home, 1)));
  std::vector<int> home_parts;
  for (const std::vector<int64_t>& row : homes) home_parts.push_back(static_cast<int>(row[0]));
  const int rank = group_options.rank;
  GraphClient* client = setup.client.get();
  DS_ASSIGN_OR_RETURN(setup.share.train_nodes,
                      ShareOfSplit(client, Split::kTrain, home_parts, rank));
  const int world_size = group_options.world_size;
  setup.share.num_val = NodeShareSize(config.num_valid, world_size, rank);
  setup.share.num_test = NodeShareSize(config.num_test, world_size, rank);
  setup.share.fetch_eval_nodes = [client, home_parts, rank](
                                     Split split, std::vector<int64_t>* nodes) -> absl::Status {
    DS_ASSIGN_OR_RETURN(const std::vector<int64_t> share,
                        ShareOfSplit(client, split, home_parts, rank));
    nodes->insert(nodes->end(), share.begin(), share.end());
    return absl::OkStatus();
  };
  // Equal steps on every rank: the shares differ by at most one node.
  const int64_t num_train = config.num_train;
  if (num_train < world_size) {
    return absl::FailedPreconditionError(absl::StrCat("graph '", config.graph_name, "' has ",
                                                      num_train, " training nodes, fewer than the ",
                                                      world_size, " trainers"));
  }
  PadShare((num_train + world_size - 1) / world_size, &setup.share.train_nodes);
  return setup;
}

// The trainer's graph name / config / mode flags, checked: the partition
// config, and the ip_config path ("" for standalone mode).
struct RunMode {
  PartitionConfig config;
  std::string config_path;
  std::string ip_config;
  bool standalone = false;
};

// --part_config, or DGL's --conf_path, or DGL_CONF_PATH (set by DGL's launch).
absl::StatusOr<std::string> PartConfigPath() {
  const std::string part_config = absl::GetFlag(FLAGS_part_config);
  const std::string conf_path = absl::GetFlag(FLAGS_conf_path);
  if (!part_config.empty() && !conf_path.empty() && part_config != conf_path) {
    return absl::InvalidArgumentError(
        absl::StrCat("--part_config=", part_config, " and --conf_path=", conf_path,
                     " are the same flag (DGL's older name); give one "
                     "of them"));
  }
  if (!part_config.empty()) return part_config;
  if (!conf_path.empty()) return conf_path;
  const char* from_launch = std::getenv("DGL_CONF_PATH");
  if (from_launch != nullptr && *from_launch != '\0') return std::string(from_launch);
  return absl::InvalidArgumentError(
      "--part_config is required: the JSON partition_graph wrote, e.g. data/cora.json (DGL's "
      "--conf_path and $DGL_CONF_PATH work too)");
}

absl::StatusOr<RunMode> ModeFromFlags() {
  RunMode mode;
  DS_ASSIGN_OR_RETURN(mode.config_path, PartConfigPath());
  DS_ASSIGN_OR_RETURN(mode.config, PartitionConfig::Load(mode.config_path));
  const std::string graph_name = absl::GetFlag(FLAGS_graph_name);
  if (!graph_name.empty() && graph_name != mode.config.graph_name) {
    return absl::InvalidArgumentError(absl::StrCat("--graph_name=", graph_name, " but ",
                                                   mode.config_path, " describes graph '",
                                                   mode.config.graph_name, "'"));
  }
  mode.ip_config = absl::GetFlag(FLAGS_servers);
  const std::string ip_config_alias = absl::GetFlag(FLAGS_ip_config);
  if (!mode.ip_config.empty() && !ip_config_alias.empty() && mode.ip_config != ip_config_alias) {
    return absl::InvalidArgumentError(
        "--servers and --ip_config are the same flag; give one of them");
  }
  if (mode.ip_config.empty()) mode.ip_config = ip_config_alias;
  mode.standalone = absl::GetFlag(FLAGS_standalone);
  if (mode.standalone && !mode.ip_config.empty()) {
    // DGL's standalone command line names an ip_config too, and DGL ignores it.
    std::fprintf(stderr, "trainer: --standalone: ignoring --ip_config/--servers %s (no servers)\n",
                 mode.ip_config.c_str());
    mode.ip_config.clear();
  }
  if (!mode.standalone && mode.ip_config.empty()) {
    return absl::InvalidArgumentError(
        "pick a mode: --servers ip_config.txt (distributed, with graph_server processes) or "
        "--standalone (one process, a 1-partition graph)");
  }
  if (absl::GetFlag(FLAGS_eval_only) && absl::GetFlag(FLAGS_load_model).empty()) {
    return absl::InvalidArgumentError("--eval_only needs --load_model=DIR (a --save_model folder)");
  }
  return mode;
}

// The run's JSON summary before any result: mode, shares, hyper-parameters.
nlohmann::json SummaryHeader(const RunMode& mode, const Setup& setup, const TrainOptions& options,
                             int64_t global_batch_size) {
  nlohmann::json summary = {{"mode", mode.standalone ? "standalone" : "distributed"},
                            {"graph_name", mode.config.graph_name}};
  const TrainerGroup* group = setup.group.get();
  if (group != nullptr) {
    summary["rank"] = group->rank();
    summary["world_size"] = group->world_size();
    summary["home_part"] = setup.home_part;
  }
  if (!setup.feature_memory_dtype.empty()) {
    summary["feature_memory_dtype"] = setup.feature_memory_dtype;
  }
  summary["num_train"] = setup.share.train_nodes.size();
  summary["num_val"] = setup.share.num_val;
  summary["num_test"] = setup.share.num_test;
  summary["hyperparameters"] = HyperParameters(options);
  if (group != nullptr) {
    summary["hyperparameters"]["batch_size"] = global_batch_size;
    summary["hyperparameters"]["batch_size_per_trainer"] = options.batch_size;
    summary["hyperparameters"]["world_size"] = group->world_size();
  }
  return summary;
}

// The training steps' threads, and the trial that chose them: how much the
// loader bounded the pipeline, and its estimates (ms per batch at each
// count) when it tried one thread.
void AddModelThreads(const GraphSageTrainer& trainer, nlohmann::json* out) {
  (*out)["model_threads"] = trainer.model_threads();
  const ModelThreadTrial& trial = trainer.model_thread_trial();
  if (trial.loader_bound() > 0.0) {
    nlohmann::json figures = {{"loader_bound", trial.loader_bound()}};
    if (trial.one_estimate() > 0.0) {
      figures["configured_ms"] = 1e3 * trial.configured_estimate();
      figures["one_ms"] = 1e3 * trial.one_estimate();
    }
    (*out)["model_threads_trial"] = figures;
  }
}

// --bench_batches: the loader pipeline, then the model steps alone. Adds the
// figures to `summary`; returns the pipeline's.
absl::StatusOr<PipelineFigures> RunBenchmark(GraphSageTrainer* trainer, const Setup& setup,
                                             int64_t num_batches, nlohmann::json* summary) {
  const int64_t warmup_batches = absl::GetFlag(FLAGS_bench_warmup_batches);
  DS_ASSIGN_OR_RETURN(const BenchmarkResult bench,
                      trainer->Benchmark(setup.share.train_nodes, num_batches, warmup_batches));
  const PipelineFigures& pipeline = bench.pipeline;
  nlohmann::json figures = {
      {"warmup_batches", bench.warmup_batches},
      {"num_batches", pipeline.num_batches},
      {"num_seeds", pipeline.num_seeds},
      {"num_input_nodes", pipeline.num_input_nodes},
      {"num_aggregated_batches", pipeline.num_aggregated_batches},
      {"num_edges", bench.num_edges},
      {"model_only_s", bench.model_only_seconds},
      {"pipeline_cpu_s", bench.pipeline_cpu_seconds},
      {"model_only_cpu_s", bench.model_only_cpu_seconds},
      {"pipeline_loader_cpu_s", bench.pipeline_loader_cpu_seconds},
      {"peak_rss_mb_pipeline", bench.peak_rss_mb_after_pipeline},
      {"pipeline_over_model_only", pipeline.wall_seconds / bench.model_only_seconds},
      {"bytes_moved", bench.bytes_moved}};
  AddModelThreads(*trainer, &figures);
  for (const auto& [name, seconds] : pipeline.NamedSeconds("pipeline", "_s")) {
    figures[name] = seconds;
  }
  (*summary)["bench"] = figures;
  return pipeline;
}

// Trains for the configured epochs. Adds the final accuracies and per-epoch
// means to `summary`; returns the per-epoch means of the pipeline figures.
absl::StatusOr<PipelineFigures> RunTraining(GraphSageTrainer* trainer, const Setup& setup,
                                            const TrainOptions& options, int rank,
                                            const std::string& who, MetricsCsvWriter* csv,
                                            nlohmann::json* summary) {
  // One progress bar per terminal: other ranks log plain lines.
  ProgressReporter reporter(stderr, isatty(STDERR_FILENO) == 1 && rank == 0, options.log_every,
                            who);
  std::vector<EpochMetrics> history;
  DS_RETURN_IF_ERROR(trainer->Train(setup.share, &reporter, csv, &history));
  // Epoch 1 pays the warm-up (first-touch page faults, allocator growth,
  // thread pools starting), so with two or more epochs the per-epoch means
  // are over epochs 2..N, as benchmarks compare them; the summary says so.
  const size_t warmup_epochs = history.size() >= 2 ? 1 : 0;
  PipelineFigures total;
  PipelineFigures after_warmup;
  double eval_seconds = 0.0;
  for (size_t i = 0; i < history.size(); ++i) {
    total += history[i].pipeline;
    if (i >= warmup_epochs) after_warmup += history[i].pipeline;
    eval_seconds += history[i].eval_seconds;
  }
  const PipelineFigures mean =
      after_warmup.DividedBy(std::max<size_t>(1, history.size() - warmup_epochs));
  (*summary)["epoch_means_exclude_first_epochs"] = warmup_epochs;
  if (!history.empty()) (*summary)["epoch_s_first"] = history.front().pipeline.wall_seconds;
  if (!history.empty()) {
    if (history.back().evaluated) {
      (*summary)["final_val_acc"] = history.back().val_acc;
      (*summary)["final_test_acc"] = history.back().test_acc;
    }
    (*summary)["final_train_acc"] = history.back().train_acc;
    (*summary)["final_loss"] = history.back().loss;
  }
  for (const auto& [name, seconds] : mean.NamedSeconds("epoch", "_s_mean")) {
    if (name != "allreduce_s_mean" || setup.group != nullptr) (*summary)[name] = seconds;
  }
  (*summary)["train_s_total"] = total.wall_seconds;
  (*summary)["aggregated_batches"] = total.num_aggregated_batches;
  if (options.loader_sched_idle) {
    (*summary)["loader_left_sched_idle"] = trainer->loader_left_sched_idle();
  }
  AddModelThreads(*trainer, summary);
  if (options.resume) {
    (*summary)["resumed_from_epoch"] = trainer->resumed_from_epoch();
    (*summary)["resumed_from_batch"] = trainer->resumed_from_batch();
  }
  (*summary)["eval_s_total"] = eval_seconds;
  if (!options.save_model.empty()) DS_RETURN_IF_ERROR(trainer->Save(options.save_model));
  return mean;
}

// Distributed mode, after training: every rank's figures to rank 0's
// summary, the transports in use, and the servers shut down when asked. The
// gather is the last collective: once it returns no rank needs the servers.
absl::Status FinishDistributed(const Setup& setup, const PipelineFigures& mean,
                               const std::string& graph_name, nlohmann::json* summary) {
  TrainerGroup* group = setup.group.get();
  std::vector<std::pair<std::string, double>> figures = mean.NamedSeconds("epoch", "_s_mean");
  figures.emplace_back("num_train", static_cast<double>(setup.share.train_nodes.size()));
  figures.emplace_back("peak_rss_mb", PeakRssMegabytes());
  std::vector<double> values;
  for (const auto& [name, value] : figures) values.push_back(value);
  DS_ASSIGN_OR_RETURN(const std::vector<std::vector<double>> all, group->AllGather(values));
  if (group->rank() == 0) {
    nlohmann::json per_rank = nlohmann::json::array();
    for (int r = 0; r < group->world_size(); ++r) {
      nlohmann::json row = {{"rank", r}};
      for (size_t i = 0; i < figures.size(); ++i) row[figures[i].first] = all[r][i];
      per_rank.push_back(row);
    }
    (*summary)["per_rank"] = per_rank;
  }
  nlohmann::json transports = nlohmann::json::object();
  for (const ServerConnectionInfo& server : setup.client->ServerConnections()) {
    transports[server.address] = server.transport;
  }
  (*summary)["transports"] = transports;
  (*summary)["feature_wire_dtype"] = setup.client->feature_rows_bfloat16() ? "bfloat16" : "float32";
  if (group->rank() == 0 && absl::GetFlag(FLAGS_shutdown_servers)) {
    DS_RETURN_IF_ERROR(
        setup.client->ShutdownServers(absl::StrCat("trainer rank 0 (", graph_name, ")")));
    (*summary)["servers_shut_down"] = true;
  }
  return absl::OkStatus();
}

// --precision auto in a group of trainers: a rank whose CPU made it bf16
// trains in fp32 if another rank computes in fp32 (that CPU has no bf16
// units, or was given --precision=fp32), so that a default run does not stop
// over machines with different CPUs; its feature rows then travel as the
// fp32 model needs them. Every rank takes part, whatever its --precision.
absl::Status SettleAutoPrecision(const PartitionConfig& config, const Setup& setup,
                                 TrainOptions* options) {
  const int64_t computes_bf16 = options->model.precision == Precision::kFloat32 ? 0 : 1;
  DS_ASSIGN_OR_RETURN(const std::vector<std::vector<int64_t>> all,
                      setup.group->AllGather(absl::MakeConstSpan(&computes_bf16, 1)));
  if (absl::GetFlag(FLAGS_precision) != kAutoPrecision || computes_bf16 == 0) {
    return absl::OkStatus();
  }
  for (size_t rank = 0; rank < all.size(); ++rank) {
    if (all[rank][0] != 0) continue;
    std::fprintf(stderr,
                 "trainer: --precision auto: trainer rank %zu computes in fp32 (its CPU has no "
                 "bf16 matrix units, or it was given --precision=fp32), so this rank does too\n",
                 rank);
    options->model.precision = Precision::kFloat32;
    DS_ASSIGN_OR_RETURN(const bool rows_bfloat16, FeatureRowsBFloat16(*options, config));
    setup.client->set_feature_rows_bfloat16(rows_bfloat16);
    break;
  }
  return absl::OkStatus();
}

absl::Status Run() {
  DS_ASSIGN_OR_RETURN(const RunMode mode, ModeFromFlags());
  const PartitionConfig& config = mode.config;
  DS_ASSIGN_OR_RETURN(TrainOptions options, OptionsFromFlags(config));
  if (const int64_t warmup = absl::GetFlag(FLAGS_bench_warmup_batches); warmup < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--bench_warmup_batches=", warmup, " is negative; use 0 or more"));
  }
  ConfigureTorchThreads(options.num_threads);

  DS_ASSIGN_OR_RETURN(Setup setup, mode.standalone
                                       ? SetUpStandalone(config, mode.config_path, options)
                                       : SetUpDistributed(config, mode.ip_config, options));
  TrainerGroup* group = setup.group.get();
  if (group != nullptr) DS_RETURN_IF_ERROR(SettleAutoPrecision(config, setup, &options));
  if (options.model.precision == Precision::kFloat32 && !options.feature_name.empty()) {
    const std::vector<std::string> rounding =
        setup.client->ServersRoundingFeature(options.feature_name);
    if (!rounding.empty()) {
      const std::string more =
          rounding.size() > 1 ? absl::StrCat(" (and ", rounding.size() - 1, " more)") : "";
      std::fprintf(stderr,
                   "trainer: note: graph server %s%s holds feature '%s' (stored as float32) as "
                   "bfloat16 (graph_server --feature_memory_dtype bfloat16), so this fp32 model "
                   "trains on its rows rounded; start the servers with --feature_memory_dtype "
                   "stored for the exact rows\n",
                   rounding.front().c_str(), more.c_str(), options.feature_name.c_str());
    }
  }
  const int rank = group == nullptr ? 0 : group->rank();
  const int world_size = group == nullptr ? 1 : group->world_size();
  // Only rank 0 writes the run's files.
  if (rank != 0) options.save_model.clear();
  // Averaged over M ranks, M gradients of batch_size / M seeds each are the
  // gradient of one batch of batch_size seeds: the standalone step.
  const int64_t global_batch_size =
      absl::GetFlag(FLAGS_per_trainer_batch) ? options.batch_size * world_size : options.batch_size;
  options.batch_size = (global_batch_size + world_size - 1) / world_size;
  std::unique_ptr<MetricsCsvWriter> csv;
  if (!options.metrics_out.empty() && rank == 0) {
    DS_ASSIGN_OR_RETURN(csv, MetricsCsvWriter::Create(options.metrics_out));
  }
  const std::string load_model = absl::GetFlag(FLAGS_load_model);
  std::unique_ptr<GraphSageTrainer> trainer;
  if (load_model.empty()) {
    DS_ASSIGN_OR_RETURN(
        trainer, GraphSageTrainer::Create(setup.client.get(), options, group, setup.kv.get()));
  } else {
    DS_ASSIGN_OR_RETURN(trainer, GraphSageTrainer::Load(setup.client.get(), options, load_model,
                                                        group, setup.kv.get()));
  }
  const TrainerShare& share = setup.share;
  const std::string who = group == nullptr ? "" : absl::StrCat("[rank ", rank, "] ");
  std::fprintf(
      stderr, "%s%s: %zu train / %zu val / %zu test nodes, %lld features, %lld classes%s\n",
      who.c_str(), config.graph_name.c_str(), share.train_nodes.size(),
      static_cast<size_t>(share.num_val), static_cast<size_t>(share.num_test),
      static_cast<long long>(trainer->options().model.in_dim),
      static_cast<long long>(trainer->options().model.num_classes),
      group == nullptr
          ? ""
          : absl::StrCat(" (this rank's share; home partition ", setup.home_part, ")").c_str());

  nlohmann::json summary = SummaryHeader(mode, setup, trainer->options(), global_batch_size);
  PipelineFigures mean;  // This rank's per-epoch means.
  if (absl::GetFlag(FLAGS_bench_batches) > 0) {
    DS_ASSIGN_OR_RETURN(
        mean, RunBenchmark(trainer.get(), setup, absl::GetFlag(FLAGS_bench_batches), &summary));
  } else if (absl::GetFlag(FLAGS_eval_only)) {
    DS_ASSIGN_OR_RETURN(const Accuracies accuracies, trainer->Evaluate(share));
    summary["final_val_acc"] = accuracies.val;
    summary["final_test_acc"] = accuracies.test;
    summary["eval_s"] = accuracies.seconds;
  } else {
    DS_ASSIGN_OR_RETURN(mean,
                        RunTraining(trainer.get(), setup, options, rank, who, csv.get(), &summary));
  }
  summary["peak_rss_mb"] = PeakRssMegabytes();
  if (!mode.standalone) {
    summary["bytes_sent"] = setup.client->traffic().bytes_sent;
    summary["bytes_received"] = setup.client->traffic().bytes_received;
  }
  char checksum[16];
  std::snprintf(checksum, sizeof(checksum), "%08x", trainer->ParameterChecksum());
  summary["param_checksum"] = checksum;
  if (group != nullptr) {
    DS_RETURN_IF_ERROR(FinishDistributed(setup, mean, config.graph_name, &summary));
  }
  std::printf("%s\n", summary.dump().c_str());
  std::fflush(stdout);
  return absl::OkStatus();
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  // LibTorch's bf16 matrix products run oneDNN primitives, which oneDNN and
  // LibTorch's ideep layer each cache by shape (1024 of them by default),
  // and a cached primitive keeps buffers of its size. The model rounds its
  // row counts up to a few buckets (BucketedRows) so that shapes recur; 64
  // hold them all, where 1024 of the first layer's ever-new shapes grew the
  // trainer by 1.3 GB in one products-scale epoch at hidden 256
  // (bench/results/onednn_cache.md). Both are read at the first bf16
  // product, so setting them here is in time; a user's own values are kept.
  setenv("DNNL_PRIMITIVE_CACHE_CAPACITY", "64", /*overwrite=*/0);
  setenv("LRU_CACHE_CAPACITY", "64", /*overwrite=*/0);
  // LibTorch and OpenBLAS run on libgomp, whose idle threads spin by default
  // and take the cores from the loader threads and from other processes
  // (bench/omp_wait_bench.sh). libgomp reads the policy when it is loaded,
  // before main, so set it and start over once (a user's own OMP_WAIT_POLICY
  // is kept).
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);
    std::perror("trainer: cannot re-execute itself with OMP_WAIT_POLICY=PASSIVE");
  }
  // Every step allocates and frees tensors of megabytes (activations,
  // gradients, feature batches). Above glibc's default mmap threshold each
  // one is a fresh mapping that page-faults on first touch; keeping them in
  // the heap, and the heap untrimmed, makes them reusable memory
  // (bench/malloc_bench.sh).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  absl::SetProgramUsageMessage(
      "Mini-batch GraphSAGE training (DGL's train_dist.py, in C++).\n"
      "  trainer --standalone --part_config data/cora.json --num_epochs 3 --batch_size 1000\n"
      "  trainer --servers ip_config.txt --part_config data/cora.json --rank 0 --world_size 2 \\\n"
      "          --master_addr 127.0.0.1 --master_port 29500\n"
      "DGL's spellings work too: --graph-name, --num-epochs, --batch-size, --batch-size-eval,\n"
      "--num-hidden, --num-layers, --fan-out, --log-every, --eval-every, --num-gpus,\n"
      "--num-client, --conf_path, --ip_config.");
  std::vector<std::string> args = distsage::RewriteDglFlagSpellings(
      absl::MakeConstSpan(argv, argc), distsage::TrainDistHyphenatedFlags());
  std::vector<char*> arg_pointers = distsage::ArgvPointers(args);
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
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
