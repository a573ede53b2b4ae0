#include "trainer/graph_sage_trainer.h"

#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/thread_cpu_clock.h"
#include "trainer/block_sampler.h"
#include "trainer/layerwise_inference.h"
#include "trainer/minibatch_loader.h"
#include "trainer/model_checkpoint.h"
#include "trainer/model_thread_trial.h"
#include "trainer/precision.h"
#include "trainer/sage_model.h"
#include "trainer/sparse_gradient_exchange.h"
#include "trainer/trainer_group.h"
#include "trainer/training_checkpoint.h"

namespace distsage {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int ResolveThreads(int num_threads) {
  if (num_threads > 0) return num_threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Loader workers when not given: half the cores, at least two. At the
// model's priority more loader threads competed with the model threads for
// the same cores (bench/RESULTS-trainer.md); at a lower priority
// (--loader_nice) a second one only takes what the model leaves idle, which
// on 2 cores shortened the loader-bound pipeline of hidden 16
// (bench/results/loader_priority.md).
int LoaderWorkers(const TrainOptions& options) {
  if (options.num_loader_threads > 0) return options.num_loader_threads;
  return std::max(2, ResolveThreads(options.num_threads) / 2);
}

// The KV save that goes with the training checkpoint at `position`.
std::string EmbeddingCheckpointLabel(CheckpointPosition position) {
  std::string label = absl::StrCat("checkpoint-epoch-", position.epoch);
  if (position.batch > 0) absl::StrAppend(&label, "-batch-", position.batch);
  return label;
}

// The first layer whose blocks get their reverse CSR from the sampler, so
// that NeighborMean's backward pass can run there: the input features need
// none, unless they are learnable embeddings or the first layer projects
// them before aggregating; with the loader's means, the loader builds it for
// the batches it leaves to the model.
int ReverseFromLayer(const TrainOptions& options, GraphSageImpl& model) {
  if (options.model.embedding_dim > 0) return 0;
  if (options.AggregatesInLoader()) return 1;
  return model.layer(0)->project_first() ? 0 : 1;
}

// Figures of one model step, summed by the caller.
struct StepResult {
  double loss_sum = 0.0;  // Loss times seeds.
  int64_t correct = 0;
  double allreduce_seconds = 0.0;
};

absl::Status CheckModelFitsGraph(const ModelOptions& model, const PartitionConfig& config,
                                 const TrainOptions& options, const std::string& source) {
  const FeatureSpec* feature = config.FindFeature(options.feature_name);
  const int64_t feature_dim = feature == nullptr ? 0 : feature->dim;
  if (feature_dim + model.embedding_dim != model.in_dim ||
      config.num_classes != model.num_classes) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, " was trained on ", model.in_dim - model.embedding_dim, " input features (+",
        model.embedding_dim, " embedding columns) and ", model.num_classes, " classes, but graph '",
        config.graph_name, "' has ", feature_dim, " (feature '", options.feature_name, "') and ",
        config.num_classes, "; load it on the graph and --feature_name it was trained on"));
  }
  return absl::OkStatus();
}

// The KV tensor of the node embeddings for `options`.
absl::StatusOr<KVTensorSpec> EmbeddingSpec(const TrainOptions& options) {
  KVTensorSpec spec;
  spec.name = kNodeEmbeddingTensor;
  spec.dim = static_cast<int>(options.model.embedding_dim);
  // DGL's distributed examples initialise embeddings uniform(-1, 1).
  spec.init = "uniform";
  spec.init_scale = 1.0f;
  spec.seed = options.seed;
  DS_ASSIGN_OR_RETURN(
      spec.optimizer,
      ParseOptimizer(options.sparse_optimizer, static_cast<float>(options.sparse_lr), 0, 0, 0));
  if (spec.optimizer.kind == OptimizerKind::kNone) {
    return absl::InvalidArgumentError(
        "--sparse_optimizer must be sgd, adagrad or adam to learn node embeddings");
  }
  return spec;
}

}  // namespace

double PeakRssMegabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux.
}

void ConfigureTorchThreads(int num_threads) {
  const int threads = ResolveThreads(num_threads);
  at::set_num_threads(threads);
  at::set_num_interop_threads(threads);
}

namespace {

// Appends the nodes of `split` of every partition of the client's graph.
absl::Status AppendWholeSplit(GraphClient* client, Split split, std::vector<int64_t>* nodes) {
  for (int part = 0; part < client->config().num_parts(); ++part) {
    DS_ASSIGN_OR_RETURN(const std::vector<int64_t> of_part, client->SplitNodes(part, split));
    nodes->insert(nodes->end(), of_part.begin(), of_part.end());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TrainerShare> WholeGraphShare(GraphClient* client) {
  TrainerShare share;
  DS_RETURN_IF_ERROR(AppendWholeSplit(client, Split::kTrain, &share.train_nodes));
  share.num_val = client->config().num_valid;
  share.num_test = client->config().num_test;
  share.fetch_eval_nodes = [client](Split split, std::vector<int64_t>* nodes) {
    return AppendWholeSplit(client, split, nodes);
  };
  return share;
}

struct GraphSageTrainer::State {
  State(GraphClient* client_in, const TrainOptions& options_in, GraphSage model_in,
        TrainerGroup* group_in, KVClient* kv_in)
      : client(client_in),
        group(group_in),
        kv(kv_in),
        options(options_in),
        model(std::move(model_in)),
        sampler(client_in, options_in.model.fanouts, ReverseFromLayer(options_in, *model)),
        optimizer(model->parameters(),
                  torch::optim::AdamOptions(options_in.lr).weight_decay(options_in.weight_decay)) {}

  LoaderOptions MakeLoaderOptions() const {
    LoaderOptions loader;
    loader.batch_size = options.batch_size;
    loader.num_workers = LoaderWorkers(options);
    loader.prefetch = options.prefetch;
    loader.worker_nice = options.loader_nice;
    // Once an epoch's loader left SCHED_IDLE, the later ones start without.
    loader.worker_sched_idle = options.loader_sched_idle && !loader_left_sched_idle;
    loader.input = Input();
    // Learnable embeddings are read at step time (Step), not ahead.
    loader.input.kv = nullptr;
    loader.input.embedding_name.clear();
    loader.input.embedding_dim = 0;
    loader.num_classes = options.model.num_classes;
    loader.aggregate_first_layer = options.AggregatesInLoader();
    loader.sum_rows_in_place = options.LoaderSumsInPlace();
    loader.aggregated_rows_bfloat16 = RoundsToBFloat16(options.model.precision);
    if (loader.aggregate_first_layer && model->layer(0)->project_first()) {
      loader.first_layer_projected_width = model->layer(0)->out_dim();
    }
    loader.feature_buffers = feature_buffers;
    loader.gather_buffers = gather_buffers;
    return loader;
  }

  // The model's input rows: the feature's columns, then the embedding's.
  InputRows Input() const {
    InputRows input;
    input.graph = client;
    const int64_t embedding_dim = options.model.embedding_dim;
    if (!options.feature_name.empty()) {
      input.feature_name = options.feature_name;
      input.feature_dim = options.model.in_dim - embedding_dim;
      input.feature_norm = options.model.feature_norm;
    }
    if (embedding_dim > 0) {
      input.kv = kv;
      input.embedding_name = kNodeEmbeddingTensor;
      input.embedding_dim = embedding_dim;
    }
    return input;
  }

  // This trainer's training nodes in epoch `epoch`'s order.
  std::vector<int64_t> ShuffledSeeds(const std::vector<int64_t>& nodes, int epoch) const {
    std::vector<int64_t> seeds = nodes;
    std::mt19937_64 rng(MixSeed(options.seed, {static_cast<uint64_t>(epoch), 0x5eed}));
    std::shuffle(seeds.begin(), seeds.end(), rng);
    return seeds;
  }

  absl::StatusOr<StepResult> Step(const MiniBatch& batch) {
    model->train();
    // The embedding columns become a leaf whose gradient goes to the KV store.
    at::Tensor input = batch.features;
    at::Tensor embedding;
    const int64_t embedding_dim = options.model.embedding_dim;
    if (embedding_dim > 0) {
      // Read now rather than by the loader ahead of time, as DGL's
      // DistEmbedding reads them in the forward pass: the rows hold every
      // earlier step's pushes (every rank's, since they precede the
      // gradient all-reduce), so no step trains on stale rows, and a
      // resumed run reads what an uninterrupted one would.
      const std::vector<int64_t>& nodes = batch.blocks.front().src_nodes;
      embedding = at::empty({static_cast<int64_t>(nodes.size()), embedding_dim});
      DS_RETURN_IF_ERROR(kv->Pull(kNodeEmbeddingTensor, nodes, embedding.data_ptr<float>()));
      embedding.requires_grad_(true);
      input = batch.features.size(1) == 0 ? embedding : at::cat({batch.features, embedding}, 1);
    }
    const at::Tensor logits =
        batch.neighbor_mean.defined()
            ? model->ForwardAggregated(batch.features, batch.neighbor_mean, batch.blocks)
            : model->Forward(input, batch.blocks);
    const at::Tensor loss = torch::nn::functional::cross_entropy(logits, batch.labels);
    optimizer.zero_grad();
    loss.backward();
    if (embedding_dim > 0) {
      DS_RETURN_IF_ERROR(PushEmbeddingGradient(batch.blocks.front().src_nodes, embedding.grad()));
    }
    StepResult result;
    if (group != nullptr) {
      const Clock::time_point start = Clock::now();
      DS_RETURN_IF_ERROR(group->AverageGradients(model->parameters()));
      result.allreduce_seconds = SecondsSince(start);
    }
    optimizer.step();
    result.loss_sum = loss.item<double>() * static_cast<double>(batch.seeds.size());
    result.correct = CountCorrect(logits, batch.labels);
    return result;
  }

  // Sends the gradient of the embedding rows of `nodes` to the KV store.
  // Each rank's loss is the mean over its share of the global batch, so the
  // ranks' gradients, each divided by the world size, add up to the global
  // batch's. With several ranks they are summed by the rank each row belongs
  // to (trainer/sparse_gradient_exchange.h), which pushes the row once: one
  // optimiser update per row per step, the same on every run. The pushes
  // are synchronous and precede the gradient all-reduce, so every rank's
  // are applied before any rank pulls the next step's rows.
  absl::Status PushEmbeddingGradient(const std::vector<int64_t>& nodes, const at::Tensor& grad) {
    if (group == nullptr || group->world_size() == 1) {
      const at::Tensor rows = grad.contiguous();
      return kv->Push(
          kNodeEmbeddingTensor, nodes,
          absl::MakeConstSpan(rows.data_ptr<float>(), static_cast<size_t>(rows.numel())));
    }
    DS_ASSIGN_OR_RETURN(
        const SummedRows summed,
        ExchangeEmbeddingGradients(*group, client->config().Book(), nodes,
                                   grad / static_cast<double>(group->world_size())));
    return kv->Push(kNodeEmbeddingTensor, summed.ids, summed.grads);
  }

  // Data-parallel start: every rank takes rank 0's parameters (equal seeds
  // would give equal ones, but a loaded or differently seeded model would
  // not), then draws its own dropout masks.
  // What a checkpoint must have been made with to be resumed by this run
  // (the epoch count may grow: resuming can train for longer).
  std::string Plan() const {
    nlohmann::json plan = nlohmann::json::parse(options.model.ToJson());
    plan["batch_size"] = options.batch_size;
    plan["lr"] = options.lr;
    plan["weight_decay"] = options.weight_decay;
    plan["seed"] = options.seed;
    plan["feature_name"] = options.feature_name;
    plan["precision"] = PrecisionName(options.model.precision);
    // Only when not LibTorch's, so that checkpoints from before the flag
    // (LibTorch's masks) match a run with --dropout_masks=torch, and not a
    // run with the counter masks, which would draw other ones.
    if (options.model.dropout_masks != DropoutMasks::kTorch) {
      plan["dropout_masks"] = DropoutMasksName(options.model.dropout_masks);
    }
    // The loader's means round otherwise than the model's own aggregation
    // (the same function up to rounding); only when they were not taken, so
    // that checkpoints from before the key match a run with the default.
    TrainOptions loader_means = options;
    loader_means.aggregate_in_loader = true;
    if (loader_means.AggregatesInLoader() && !options.AggregatesInLoader()) {
      plan["aggregate_in_loader"] = false;
    }
    plan["world_size"] = group == nullptr ? 1 : group->world_size();
    return plan.dump();
  }

  // Plan, and what this rank's model computes on that the flags of this
  // process alone do not say: which partitions' float32 feature rows reach
  // it rounded to bfloat16 (held so here or by their server, or sent so).
  // Only when some do, so that checkpoints from before the key match runs
  // on exact rows. Ranks may differ in it (each reads its home partition
  // from its own machine), so SynchronizeStart compares Plan only.
  std::string CheckpointPlan() const {
    nlohmann::json plan = nlohmann::json::parse(Plan());
    if (!options.feature_name.empty()) {
      const std::vector<int> rounded = client->PartitionsRoundingFeature(options.feature_name);
      if (!rounded.empty()) plan["feature_rows_rounded_to_bfloat16"] = rounded;
    }
    return plan.dump();
  }

  // The last checkpoint every rank has, restored with its partial epoch;
  // position (0, 0) when there is none.
  absl::StatusOr<std::pair<CheckpointPosition, PartialEpoch>> Resume(
      const TrainingCheckpoints& checkpoints, ProgressReporter* reporter) {
    DS_ASSIGN_OR_RETURN(const std::vector<CheckpointPosition> mine, checkpoints.Positions());
    int64_t chosen = mine.empty() ? 0 : mine.back().Encoded();
    if (group != nullptr) {
      // Each rank keeps its last two: ranks killed on either side of a
      // checkpoint differ by one, and share the older.
      std::vector<int64_t> last_two = {0, 0};
      for (size_t i = 0; i < std::min<size_t>(2, mine.size()); ++i) {
        last_two[i] = mine[mine.size() - 1 - i].Encoded();
      }
      DS_ASSIGN_OR_RETURN(const std::vector<std::vector<int64_t>> all, group->AllGather(last_two));
      chosen = 0;
      for (const int64_t candidate : all[0]) {
        bool everywhere = candidate > 0;
        for (const std::vector<int64_t>& rank : all) {
          everywhere &= std::find(rank.begin(), rank.end(), candidate) != rank.end();
        }
        if (everywhere) chosen = std::max(chosen, candidate);
      }
      bool any = false;
      for (const std::vector<int64_t>& rank : all) any |= rank[0] > 0;
      if (chosen == 0 && any) {
        std::vector<std::string> names;
        for (const CheckpointPosition& position : mine) names.push_back(position.ToString());
        return absl::FailedPreconditionError(
            absl::StrCat("--resume: the ranks share no checkpoint (this rank has [",
                         absl::StrJoin(names, "; "), "] in '", checkpoints.rank_dir(),
                         "'); every rank needs its own rank-<r> folder of the same run"));
      }
    }
    if (chosen == 0) {
      reporter->Line(absl::StrCat("--resume: no checkpoint in '", checkpoints.rank_dir(),
                                  "' yet; starting from epoch 1"));
      return std::make_pair(CheckpointPosition(), PartialEpoch());
    }
    const CheckpointPosition position = CheckpointPosition::Decode(chosen);
    DS_ASSIGN_OR_RETURN(const PartialEpoch partial,
                        checkpoints.Restore(position, CheckpointPlan(), model, optimizer));
    DS_RETURN_IF_ERROR(OnRankZeroInStep(
        "load the node embeddings", [&] { return kv->Load(EmbeddingCheckpointLabel(position)); }));
    reporter->Line(absl::StrCat("resumed after ", position.ToString(), " from '",
                                checkpoints.rank_dir(), "'"));
    return std::make_pair(position, partial);
  }

  // With learnable embeddings: runs `act` (a KV save or load) once, on rank
  // 0, between two barriers, so that it sees every rank's pushes so far and
  // no later ones; every rank returns its error. Without embeddings: OK.
  template <typename Act>
  absl::Status OnRankZeroInStep(absl::string_view what, Act act) {
    if (options.model.embedding_dim == 0) return absl::OkStatus();
    std::vector<double> failed = {0.0};
    if (group != nullptr) DS_RETURN_IF_ERROR(group->SumInPlace(&failed));  // Pushes are in.
    absl::Status status;
    if (group == nullptr || group->rank() == 0) {
      status = act();
      failed[0] = status.ok() ? 0.0 : 1.0;
    }
    if (group != nullptr) DS_RETURN_IF_ERROR(group->SumInPlace(&failed));
    if (!status.ok()) return status;
    if (failed[0] > 0) {
      return absl::AbortedError(absl::StrCat("rank 0 could not ", what, " (see its log)"));
    }
    return absl::OkStatus();
  }

  absl::Status SynchronizeStart() {
    if (group == nullptr) return absl::OkStatus();
    // Ranks started with different model shapes or schedules would exchange
    // mismatched buffers (or step counts) and fail obscurely; compare first.
    // --resume too: resuming ranks agree on a checkpoint in a collective.
    const std::string plan =
        absl::StrCat(Plan(), " epochs ", options.num_epochs, options.resume ? " resume" : "");
    DS_ASSIGN_OR_RETURN(const int differing, group->FirstRankDifferingFromRankZero(crc32(
                                                 0L, reinterpret_cast<const Bytef*>(plan.data()),
                                                 static_cast<uInt>(plan.size()))));
    if (differing >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("trainer rank ", differing,
                       " was started with other model or schedule flags than rank 0 "
                       "(this rank: ",
                       plan, "); start every trainer with the same flags"));
    }
    DS_RETURN_IF_ERROR(group->BroadcastFromRankZero(model->parameters()));
    torch::manual_seed(MixSeed(options.seed, {static_cast<uint64_t>(group->rank()), 0xd70c}));
    return absl::OkStatus();
  }

  // Fails when the ranks' parameters are no longer bit-identical (they
  // would silently train different models otherwise).
  absl::Status CheckReplicasAgree(uint32_t checksum) {
    if (group == nullptr) return absl::OkStatus();
    DS_ASSIGN_OR_RETURN(const int differing, group->FirstRankDifferingFromRankZero(checksum));
    if (differing >= 0) {
      return absl::InternalError(absl::StrCat(
          "model replicas diverged: rank ", differing,
          "'s parameters differ from rank 0's (this rank's checksum: ", absl::Hex(checksum),
          "); the trainers must run the same binary with the same hyper-parameters"));
    }
    return absl::OkStatus();
  }

  // Trains on every batch `loader` yields, adding the pipeline's figures
  // (all but wall and wait time) to `figures`, then calls after_step(batch,
  // step), which returns a Status: an error stops the training.
  template <typename AfterStep>
  absl::Status TrainOnLoader(MiniBatchLoader& loader, PipelineFigures* figures,
                             AfterStep after_step) {
    MiniBatch batch;
    double cycle_cpu_start = ProcessCpuSeconds();
    while (true) {
      DS_ASSIGN_OR_RETURN(const bool more, loader.Next(&batch));
      if (!more) break;
      UseThreads(thread_trial.threads());
      const Clock::time_point step_start = Clock::now();
      DS_ASSIGN_OR_RETURN(const StepResult step, Step(batch));
      const double step_seconds = SecondsSince(step_start);
      figures->compute_seconds += step_seconds;
      if (!thread_trial.decided()) {
        const double cpu_now = ProcessCpuSeconds();
        thread_trial.Record(step_seconds, cpu_now - cycle_cpu_start);
        cycle_cpu_start = cpu_now;
      }
      figures->allreduce_seconds += step.allreduce_seconds;
      figures->num_batches += 1;
      figures->num_seeds += static_cast<int64_t>(batch.seeds.size());
      figures->num_input_nodes += batch.num_input_nodes;
      figures->num_aggregated_batches += batch.neighbor_mean.defined() ? 1 : 0;
      figures->sample_seconds += batch.sample_seconds;
      figures->pull_seconds += batch.pull_seconds;
      DS_RETURN_IF_ERROR(after_step(batch, step));
    }
    // Evaluation's large operations keep every thread.
    UseThreads(ResolveThreads(options.num_threads));
    return absl::OkStatus();
  }

  // Runs LibTorch's operations from here on with `threads` intra-op threads.
  void UseThreads(int threads) {
    if (threads != at::get_num_threads()) at::set_num_threads(threads);
  }

  GraphClient* client;
  TrainerGroup* group;  // Null when training alone.
  KVClient* kv;         // Null without node embeddings.
  TrainOptions options;
  // Whether a training epoch's loader left SCHED_IDLE
  // (LoaderOptions::worker_sched_idle).
  bool loader_left_sched_idle = false;
  // The training steps' intra-op threads.
  ModelThreadTrial thread_trial{
      options.model_threads > 0 ? options.model_threads : ResolveThreads(options.num_threads),
      ResolveThreads(0), options.model_threads == 0};
  // Enough buffers for the batches in flight: queued, being built, in use.
  std::shared_ptr<BufferPool> feature_buffers = std::make_shared<BufferPool>(
      static_cast<size_t>(options.prefetch + LoaderWorkers(options) + 1));
  // The full input rows a worker gathers before it aggregates them.
  std::shared_ptr<BufferPool> gather_buffers =
      std::make_shared<BufferPool>(static_cast<size_t>(LoaderWorkers(options)));
  GraphSage model;
  BlockSampler sampler;
  torch::optim::Adam optimizer;
  CheckpointPosition resumed_from;
};

GraphSageTrainer::GraphSageTrainer(std::unique_ptr<State> state) : state_(std::move(state)) {}
GraphSageTrainer::~GraphSageTrainer() = default;

const TrainOptions& GraphSageTrainer::options() const { return state_->options; }

absl::StatusOr<std::unique_ptr<GraphSageTrainer>> GraphSageTrainer::Create(
    GraphClient* client, const TrainOptions& options, TrainerGroup* group, KVClient* kv) {
  if (options.model.embedding_dim > 0) {
    if (kv == nullptr) return absl::InvalidArgumentError("node embeddings need a KV client");
    DS_ASSIGN_OR_RETURN(const KVTensorSpec spec, EmbeddingSpec(options));
    DS_RETURN_IF_ERROR(kv->CreateTensor(spec));
  }
  torch::manual_seed(options.seed);
  GraphSage model(options.model);
  auto state = std::make_unique<State>(client, options, std::move(model), group, kv);
  DS_RETURN_IF_ERROR(state->SynchronizeStart());
  return std::unique_ptr<GraphSageTrainer>(new GraphSageTrainer(std::move(state)));
}

absl::StatusOr<std::unique_ptr<GraphSageTrainer>> GraphSageTrainer::Load(GraphClient* client,
                                                                         TrainOptions options,
                                                                         const std::string& dir,
                                                                         TrainerGroup* group,
                                                                         KVClient* kv) {
  torch::manual_seed(options.seed);
  DS_ASSIGN_OR_RETURN(GraphSage model, LoadModel(dir));
  DS_RETURN_IF_ERROR(CheckModelFitsGraph(model->options(), client->config(), options,
                                         absl::StrCat("the model in '", dir, "'")));
  model->SetPrecision(options.model.precision);
  model->SetDropoutMasks(options.model.dropout_masks);
  options.model = model->options();
  if (options.model.embedding_dim > 0) {
    if (kv == nullptr) return absl::InvalidArgumentError("node embeddings need a KV client");
    DS_RETURN_IF_ERROR(kv->Load());
    const absl::StatusOr<KVTensorSpec> saved = kv->Describe(kNodeEmbeddingTensor);
    if (!saved.ok() || saved->dim != options.model.embedding_dim) {
      return absl::FailedPreconditionError(
          absl::StrCat("the model in '", dir, "' was trained on ", options.model.embedding_dim,
                       "-dim node embeddings, but the KV store's last save ",
                       saved.ok() ? absl::StrCat("holds ", saved->dim, "-dim ones")
                                  : std::string(saved.status().message()),
                       "; load it with the partitions (and their .kv folders) it was saved with"));
    }
  }
  auto state = std::make_unique<State>(client, options, std::move(model), group, kv);
  DS_RETURN_IF_ERROR(state->SynchronizeStart());
  return std::unique_ptr<GraphSageTrainer>(new GraphSageTrainer(std::move(state)));
}

absl::Status GraphSageTrainer::Train(const TrainerShare& share, ProgressReporter* reporter,
                                     MetricsCsvWriter* csv, std::vector<EpochMetrics>* history) {
  State& s = *state_;
  if (share.train_nodes.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("graph '", s.client->config().graph_name,
                                                      "' has no training nodes for this trainer"));
  }
  std::optional<TrainingCheckpoints> checkpoints;
  PartialEpoch resumed_partial;
  if (!s.options.checkpoint_dir.empty()) {
    checkpoints.emplace(s.options.checkpoint_dir, s.group == nullptr ? 0 : s.group->rank());
    if (s.options.resume) {
      DS_ASSIGN_OR_RETURN(std::tie(s.resumed_from, resumed_partial),
                          s.Resume(*checkpoints, reporter));
    }
  }
  // Writes the checkpoint at `position`: the embeddings first, since a
  // rank's checkpoint promises that the KV save of its position exists.
  const auto write_checkpoint = [&](CheckpointPosition position, const PartialEpoch& partial) {
    DS_RETURN_IF_ERROR(s.OnRankZeroInStep("save the node embeddings", [&] {
      return s.kv->Save(EmbeddingCheckpointLabel(position));
    }));
    return checkpoints->Write(position, partial, s.CheckpointPlan(), ParameterChecksum(), s.model,
                              s.optimizer);
  };
  int64_t kill_after_batches = -1;
  if (const char* hook = std::getenv("DISTSAGE_TRAINER_KILL_AFTER_BATCHES"); hook != nullptr) {
    (void)absl::SimpleAtoi(hook, &kill_after_batches);
  }
  int64_t batches_trained = 0;  // By this process.
  const int64_t every_batches = s.options.checkpoint_every_batches;
  for (int epoch = s.resumed_from.epoch + 1; epoch <= s.options.num_epochs; ++epoch) {
    EpochMetrics metrics;
    metrics.epoch = epoch;
    const Clock::time_point epoch_start = Clock::now();
    LoaderOptions loader_options = s.MakeLoaderOptions();
    // The batches a mid-epoch checkpoint covers are not trained again.
    PartialEpoch partial;
    if (epoch == s.resumed_from.epoch + 1 && s.resumed_from.batch > 0) {
      partial = resumed_partial;
      loader_options.first_batch = s.resumed_from.batch;
    }
    MiniBatchLoader loader(s.client, &s.sampler, s.ShuffledSeeds(share.train_nodes, epoch),
                           loader_options, MixSeed(s.options.seed, {static_cast<uint64_t>(epoch)}));
    if (partial.batches_per_epoch != 0 && partial.batches_per_epoch != loader.num_batches()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the checkpoint resumed from was taken in epochs of ", partial.batches_per_epoch,
          " batches, but this run's have ", loader.num_batches(),
          "; resume with the partitions and trainers it was started with"));
    }
    partial.batches_per_epoch = loader.num_batches();
    // Batches before this epoch, over the whole run (the checkpoint clock).
    const int64_t batches_before = static_cast<int64_t>(epoch - 1) * loader.num_batches();
    reporter->StartEpoch(epoch, loader.num_batches());
    DS_RETURN_IF_ERROR(s.TrainOnLoader(
        loader, &metrics.pipeline, [&](const MiniBatch& batch, const StepResult& step) {
          partial.loss_sum += step.loss_sum;
          partial.correct += step.correct;
          partial.num_seeds += static_cast<int64_t>(batch.seeds.size());
          if (++batches_trained == kill_after_batches) raise(SIGKILL);
          const int64_t done = batch.index + 1;
          reporter->BatchDone(done, step.loss_sum / batch.seeds.size(),
                              static_cast<double>(step.correct) / batch.seeds.size(),
                              metrics.pipeline.num_seeds / SecondsSince(epoch_start));
          // The epoch's last batch is checkpointed at the epoch's end, after
          // the evaluation.
          if (checkpoints.has_value() && every_batches > 0 && done < loader.num_batches() &&
              (batches_before + done) % every_batches == 0) {
            return write_checkpoint({epoch - 1, done}, partial);
          }
          return absl::OkStatus();
        }));
    metrics.pipeline.wall_seconds = SecondsSince(epoch_start);
    metrics.pipeline.wait_seconds = loader.wait_seconds();
    if (loader.left_sched_idle()) s.loader_left_sched_idle = true;
    metrics.loss = partial.loss_sum / partial.num_seeds;
    metrics.train_acc = static_cast<double>(partial.correct) / partial.num_seeds;
    const bool evaluate = (s.options.eval_every > 0 && epoch % s.options.eval_every == 0) ||
                          (s.options.eval_every >= 0 && epoch == s.options.num_epochs);
    if (evaluate) {
      DS_ASSIGN_OR_RETURN(const Accuracies accuracies, Evaluate(share));
      metrics.evaluated = true;
      metrics.val_acc = accuracies.val;
      metrics.test_acc = accuracies.test;
      metrics.eval_seconds = accuracies.seconds;
    }
    // Every evaluation, and the end of training, checks the replicas.
    if (evaluate || epoch == s.options.num_epochs) {
      DS_RETURN_IF_ERROR(s.CheckReplicasAgree(ParameterChecksum()));
    }
    reporter->Line(metrics.ToLine());
    if (checkpoints.has_value() &&
        (epoch % s.options.checkpoint_every == 0 || epoch == s.options.num_epochs ||
         (every_batches > 0 && (batches_before + loader.num_batches()) % every_batches == 0))) {
      DS_RETURN_IF_ERROR(write_checkpoint({epoch, 0}, PartialEpoch()));
    }
    if (csv != nullptr) DS_RETURN_IF_ERROR(csv->Append(metrics));
    history->push_back(metrics);
  }
  return absl::OkStatus();
}

absl::StatusOr<Accuracies> GraphSageTrainer::Evaluate(const TrainerShare& share) {
  State& s = *state_;
  const Clock::time_point start = Clock::now();
  // One inference pass serves both splits.
  std::vector<int64_t> targets;
  targets.reserve(share.num_val + share.num_test);
  DS_RETURN_IF_ERROR(share.fetch_eval_nodes(Split::kValid, &targets));
  const int64_t num_val = static_cast<int64_t>(targets.size());
  DS_RETURN_IF_ERROR(share.fetch_eval_nodes(Split::kTest, &targets));
  const int64_t num_test = static_cast<int64_t>(targets.size()) - num_val;
  DS_ASSIGN_OR_RETURN(const at::Tensor logits, InferLogits(s.model, s.client, s.Input(), targets,
                                                           s.options.batch_size_eval));
  at::Tensor labels = at::empty({static_cast<int64_t>(targets.size())}, at::kLong);
  DS_RETURN_IF_ERROR(s.client->PullLabels(targets, labels.data_ptr<int64_t>()));
  std::vector<double> counts = {
      static_cast<double>(CountCorrect(logits.narrow(0, 0, num_val), labels.narrow(0, 0, num_val))),
      static_cast<double>(num_val),
      static_cast<double>(
          CountCorrect(logits.narrow(0, num_val, num_test), labels.narrow(0, num_val, num_test))),
      static_cast<double>(num_test)};
  if (s.group != nullptr) DS_RETURN_IF_ERROR(s.group->SumInPlace(&counts));
  Accuracies accuracies;
  accuracies.val = counts[1] > 0 ? counts[0] / counts[1] : 0.0;
  accuracies.test = counts[3] > 0 ? counts[2] / counts[3] : 0.0;
  accuracies.seconds = SecondsSince(start);
  return accuracies;
}

uint32_t GraphSageTrainer::ParameterChecksum() const {
  return distsage::ParameterChecksum(state_->model);
}

int GraphSageTrainer::resumed_from_epoch() const { return state_->resumed_from.epoch; }
int64_t GraphSageTrainer::resumed_from_batch() const { return state_->resumed_from.batch; }
bool GraphSageTrainer::loader_left_sched_idle() const { return state_->loader_left_sched_idle; }

int GraphSageTrainer::model_threads() const { return state_->thread_trial.threads(); }

const ModelThreadTrial& GraphSageTrainer::model_thread_trial() const {
  return state_->thread_trial;
}

absl::Status GraphSageTrainer::Save(const std::string& dir) {
  DS_RETURN_IF_ERROR(SaveModel(state_->model, dir));
  if (state_->options.model.embedding_dim > 0) DS_RETURN_IF_ERROR(state_->kv->Save());
  return absl::OkStatus();
}

absl::StatusOr<BenchmarkResult> GraphSageTrainer::Benchmark(const std::vector<int64_t>& train_nodes,
                                                            int64_t num_batches,
                                                            int64_t warmup_batches) {
  State& s = *state_;
  std::vector<int64_t> seeds = s.ShuffledSeeds(train_nodes, 1);
  const int64_t batch_size = s.options.batch_size;
  const int64_t epoch_batches = (static_cast<int64_t>(seeds.size()) + batch_size - 1) / batch_size;
  const int64_t timed = std::min(num_batches, epoch_batches);
  BenchmarkResult result;
  const int64_t max_warmup = epoch_batches - timed;
  result.warmup_batches = std::clamp<int64_t>(warmup_batches, 0, max_warmup);
  if (!s.thread_trial.decided()) {
    // The warm-up also covers the trial of thread counts, a one-time cost
    // like the others, where the epoch has the batches.
    result.warmup_batches = std::max<int64_t>(
        result.warmup_batches, std::min<int64_t>(s.thread_trial.trial_steps(), max_warmup));
  }
  seeds.resize(std::min<int64_t>(seeds.size(), (result.warmup_batches + timed) * batch_size));
  const uint64_t rng_seed = MixSeed(s.options.seed, {1});
  {
    MiniBatchLoader loader(s.client, &s.sampler, seeds, s.MakeLoaderOptions(), rng_seed);
    // The clocks start now, or once the warm-up batches have trained; from
    // then on the loader's figures count.
    Clock::time_point start = Clock::now();
    double cpu_start = ProcessCpuSeconds();
    double wait_before = 0.0;
    int64_t steps = 0;
    DS_RETURN_IF_ERROR(
        s.TrainOnLoader(loader, &result.pipeline, [&](const MiniBatch& batch, const StepResult&) {
          if (++steps <= result.warmup_batches) {
            if (steps == result.warmup_batches) {
              result.pipeline = PipelineFigures();
              wait_before = loader.wait_seconds();
              start = Clock::now();
              cpu_start = ProcessCpuSeconds();
            }
            return absl::OkStatus();
          }
          for (const Block& block : batch.blocks) result.num_edges += block.num_edges();
          result.pipeline_loader_cpu_seconds += batch.cpu.total();
          return absl::OkStatus();
        }));
    result.pipeline.wall_seconds = SecondsSince(start);
    result.pipeline_cpu_seconds = ProcessCpuSeconds() - cpu_start;
    result.pipeline.wait_seconds = loader.wait_seconds() - wait_before;
  }
  result.peak_rss_mb_after_pipeline = PeakRssMegabytes();
  std::vector<MiniBatch> batches;
  {
    // The timed batches again (a batch depends on its index, not on when
    // it is built).
    LoaderOptions options = s.MakeLoaderOptions();
    options.first_batch = result.warmup_batches;
    const ServerChannels::Traffic before = s.client->traffic();
    {
      MiniBatchLoader loader(s.client, &s.sampler, seeds, options, rng_seed);
      MiniBatch batch;
      while (true) {
        DS_ASSIGN_OR_RETURN(const bool more, loader.Next(&batch));
        if (!more) break;
        batches.push_back(std::move(batch));
      }
    }
    const ServerChannels::Traffic after = s.client->traffic();
    result.bytes_moved =
        after.bytes_sent + after.bytes_received - before.bytes_sent - before.bytes_received;
  }
  // With the threads the loader's pass settled on.
  s.UseThreads(s.thread_trial.threads());
  const Clock::time_point start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  for (const MiniBatch& batch : batches) DS_RETURN_IF_ERROR(s.Step(batch).status());
  result.model_only_seconds = SecondsSince(start);
  result.model_only_cpu_seconds = ProcessCpuSeconds() - cpu_start;
  s.UseThreads(ResolveThreads(s.options.num_threads));
  return result;
}

}  // namespace distsage
