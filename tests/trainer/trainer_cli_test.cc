// Drives the trainer CLI the way a user does: partition a bundled dataset
// with partition_graph, then train, evaluate and load models with `trainer`.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/numbered_folders.h"
#include "tests/common/test_util.h"
#include "tests/trainer/trainer_run.h"
#include "trainer/precision.h"

namespace distsage {
namespace {

using testing::BinPath;
using testing::CommandResult;
using testing::CoraRecipe;
using testing::DatasetDir;
using testing::RunCommand;
using testing::TempDir;
using testing::TrainerSummary;

class TrainerCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const CommandResult result =
        RunCommand({BinPath("partition_graph"), "--dataset_dir=" + DatasetDir("cora"),
                    "--num_parts=1", "--out=" + dir_->Join("cora1")});
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string CoraConfig() { return dir_->Join("cora1/cora.json"); }

  static CommandResult Trainer(std::vector<std::string> flags) {
    flags.insert(flags.begin(), BinPath("trainer"));
    return RunCommand(flags);
  }

  // The trainer with `flags`, killed with SIGKILL by its fault hook after
  // `batches` batches; fails the test unless it was.
  static void TrainerKilledAfterBatches(const std::vector<std::string>& flags, int batches) {
    std::vector<std::string> argv = {"/usr/bin/env",
                                     absl::StrCat("DISTSAGE_TRAINER_KILL_AFTER_BATCHES=", batches),
                                     BinPath("trainer")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const CommandResult killed = RunCommand(argv);
    EXPECT_EQ(killed.exit_code, 128 + 9) << killed.output;
  }

  static nlohmann::json Summary(const CommandResult& result) {
    return TrainerSummary(result.output);
  }

  static std::vector<std::string> WithRecipe(std::vector<std::string> flags) {
    const std::vector<std::string> recipe = CoraRecipe(2);
    flags.insert(flags.end(), recipe.begin(), recipe.end());
    return flags;
  }

  static TempDir* dir_;
};

TempDir* TrainerCliTest::dir_ = nullptr;

TEST_F(TrainerCliTest, TrainsCoraAboveTheAccuracyFloorSavesAndReloads) {
  const std::string model_dir = dir_->Join("model");
  const std::string csv = dir_->Join("metrics.csv");
  const CommandResult result = Trainer(
      WithRecipe({"--standalone", "--part_config=" + CoraConfig(), "--seed=0", "--precision=fp32",
                  "--metrics_out=" + csv, "--save_model=" + model_dir}));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const nlohmann::json summary = Summary(result);
  EXPECT_EQ(summary.at("hyperparameters").at("precision"), "fp32");
  const double test_acc = summary.at("final_test_acc").get<double>();
  EXPECT_GE(test_acc, 0.79) << result.output;
  EXPECT_GE(summary.at("final_val_acc").get<double>(), 0.75);
  EXPECT_EQ(summary.at("num_train").get<int>(), 140);
  EXPECT_EQ(summary.at("hyperparameters").at("fan_out"), nlohmann::json({10, 25}));
  EXPECT_NE(result.output.find("Epoch 200 | loss"), std::string::npos);

  // One CSV row per epoch; only the last one evaluated (--eval_every=0).
  const std::vector<std::string> rows =
      absl::StrSplit(testing::ReadFile(csv), '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 201u);
  EXPECT_EQ(rows[0].rfind("epoch,loss,train_acc,val_acc,test_acc,", 0), 0u);
  EXPECT_NE(rows[1].find(",,"), std::string::npos);
  EXPECT_EQ(rows[200].rfind("200,", 0), 0u);

  // The saved model evaluates to the same accuracy.
  const CommandResult reloaded = Trainer({"--standalone", "--part_config=" + CoraConfig(),
                                          "--eval_only", "--load_model=" + model_dir});
  ASSERT_EQ(reloaded.exit_code, 0) << reloaded.output;
  EXPECT_DOUBLE_EQ(Summary(reloaded).at("final_test_acc").get<double>(), test_acc);
  EXPECT_EQ(Summary(reloaded).at("hyperparameters").at("feature_norm"), "row");
}

// Learnable node embeddings (the KV store, in process) stand in for Cora's
// features: training moves them (the model scores well above chance, 1/7,
// which untrained random embeddings cannot), --save_model saves them through
// the KV store, and a reloaded model evaluates to the same accuracy.
TEST_F(TrainerCliTest, TrainsOnNodeEmbeddingsAloneAndReloadsThem) {
  const std::string model_dir = dir_->Join("embedding_model");
  const std::vector<std::string> embeddings = {"--feature_name=", "--node_embedding_dim=32",
                                               "--sparse_optimizer=adam", "--sparse_lr=0.05"};
  std::vector<std::string> flags = {"--standalone",    "--part_config=" + CoraConfig(),
                                    "--seed=0",        "--num_epochs=60",
                                    "--lr=0.01",       "--eval_every=0",
                                    "--num_threads=2", "--save_model=" + model_dir};
  flags.insert(flags.end(), embeddings.begin(), embeddings.end());
  const CommandResult result = Trainer(flags);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const nlohmann::json summary = Summary(result);
  const double test_acc = summary.at("final_test_acc").get<double>();
  EXPECT_GE(test_acc, 0.35) << result.output;
  EXPECT_EQ(summary.at("hyperparameters").at("node_embedding_dim"), 32);
  EXPECT_TRUE(std::filesystem::exists(dir_->Join("cora1/part0.kv/CURRENT")));

  std::vector<std::string> reload = {"--standalone", "--part_config=" + CoraConfig(), "--eval_only",
                                     "--load_model=" + model_dir};
  reload.insert(reload.end(), embeddings.begin(), embeddings.end());
  const CommandResult reloaded = Trainer(reload);
  ASSERT_EQ(reloaded.exit_code, 0) << reloaded.output;
  EXPECT_DOUBLE_EQ(Summary(reloaded).at("final_test_acc").get<double>(), test_acc);

  // Features and embeddings side by side train too. On Cora the embeddings
  // of nodes rarely sampled stay near their random start and cost accuracy
  // against the feature alone, so only "trains" (well above chance) is
  // checked.
  const CommandResult both = Trainer(
      WithRecipe({"--standalone", "--part_config=" + CoraConfig(), "--node_embedding_dim=8"}));
  ASSERT_EQ(both.exit_code, 0) << both.output;
  EXPECT_GE(Summary(both).at("final_test_acc").get<double>(), 0.4) << both.output;
}

// A dataset without node features (master.csv has_node_attr=False, no
// node-feat.csv.gz): partition_graph takes it, and the trainer learns node
// embeddings instead, or says how to.
TEST_F(TrainerCliTest, TrainsOnAGraphWithoutFeatures) {
  namespace fs = std::filesystem;
  const fs::path root = dir_->Join("featureless");
  fs::create_directories(root);
  fs::copy(DatasetDir("cora"), root / "cora", fs::copy_options::recursive);
  fs::remove(root / "cora" / "raw" / "node-feat.csv.gz");
  {
    std::string master = testing::ReadFile(DatasetDir("cora") + "/../master.csv");
    const std::string row = "has_node_attr,True,True,True,True";
    ASSERT_NE(master.find(row), std::string::npos);
    master.replace(master.find(row), row.size(), "has_node_attr,True,False,True,True");
    std::ofstream(root / "master.csv") << master;
  }
  const CommandResult partitioned =
      RunCommand({BinPath("partition_graph"), "--dataset_dir=" + (root / "cora").string(),
                  "--num_parts=1", "--out=" + (root / "out").string(), "--verify"});
  ASSERT_EQ(partitioned.exit_code, 0) << partitioned.output;
  const std::string config = "--part_config=" + (root / "out" / "cora.json").string();

  const CommandResult refused = Trainer({"--standalone", config});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("has no node features"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("--node_embedding_dim"), std::string::npos) << refused.output;

  const CommandResult trained =
      Trainer({"--standalone", config, "--node_embedding_dim=32", "--sparse_lr=0.05", "--lr=0.01",
               "--num_epochs=60", "--eval_every=0", "--num_threads=2"});
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_GE(Summary(trained).at("final_test_acc").get<double>(), 0.35) << trained.output;
}

// With fan-out 0 no layer aggregates neighbours: what remains is an MLP on
// the node's own words, which Cora's 140 training nodes do not get far with.
// A broken neighbour aggregation would land here too.
TEST_F(TrainerCliTest, WithoutNeighbourAggregationCoraScoresFarLower) {
  std::vector<std::string> flags =
      WithRecipe({"--standalone", "--part_config=" + CoraConfig(), "--seed=0"});
  flags.push_back("--fan_out=0,0");  // Overrides the recipe's 10,25.
  const CommandResult result = Trainer(flags);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const double test_acc = Summary(result).at("final_test_acc").get<double>();
  EXPECT_LT(test_acc, 0.65) << result.output;
  EXPECT_GT(test_acc, 0.40) << "the features alone should still beat chance: " << result.output;
}

TEST_F(TrainerCliTest, ShortDefaultRunPrintsEpochLinesAndSummary) {
  const CommandResult result = Trainer(
      {"--standalone", "--part_config=" + CoraConfig(), "--num_epochs=3", "--batch_size=1000"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("Epoch 3 | loss"), std::string::npos) << result.output;
  const nlohmann::json summary = Summary(result);
  EXPECT_TRUE(summary.contains("final_test_acc"));
  EXPECT_EQ(summary.at("hyperparameters").at("num_hidden"), 16);
  // The per-epoch means leave out the warm-up epoch: epochs 2 and 3 plus
  // epoch 1 make up the whole training time.
  EXPECT_EQ(summary.at("epoch_means_exclude_first_epochs"), 1);
  const double first = summary.at("epoch_s_first").get<double>();
  const double mean = summary.at("epoch_s_mean").get<double>();
  EXPECT_NEAR(first + 2 * mean, summary.at("train_s_total").get<double>(), 1e-9);
}

// --bench_batches: the batches through the prefetching loader, then the
// same steps over batches built beforehand, in one JSON object; warm-up
// batches go first, untimed, from what the epoch has left; asking for more
// batches than the training set makes takes them all.
TEST_F(TrainerCliTest, BenchmarkTimesThePipelineThenTheSameStepsAlone) {
  struct Case {
    int asked;
    int expected;
    int expected_warmup;  // Of the default 5.
  };
  // Cora: 140 training nodes, 7 batches of 20.
  for (const Case& c : {Case{5, 5, 2}, Case{2, 2, 5}, Case{100, 7, 0}}) {
    const CommandResult result =
        Trainer({"--standalone", "--part_config=" + CoraConfig(), "--batch_size=20",
                 absl::StrCat("--bench_batches=", c.asked), "--num_threads=2"});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    const nlohmann::json bench = Summary(result).at("bench");
    const int expected = c.expected;
    EXPECT_EQ(bench.at("num_batches").get<int>(), expected) << bench;
    EXPECT_EQ(bench.at("warmup_batches").get<int>(), c.expected_warmup) << bench;
    // 140 training nodes in batches of 20.
    EXPECT_EQ(bench.at("num_seeds").get<int>(), std::min(140, 20 * expected)) << bench;
    EXPECT_GT(bench.at("num_edges").get<int64_t>(), 0);
    const double pipeline = bench.at("pipeline_s").get<double>();
    const double model_only = bench.at("model_only_s").get<double>();
    ASSERT_GT(pipeline, 0.0);
    ASSERT_GT(model_only, 0.0);
    EXPECT_DOUBLE_EQ(bench.at("pipeline_over_model_only").get<double>(), pipeline / model_only);
    // The process's CPU time in each pass: some, and never more than every
    // core of the machine for the whole pass (plus the clocks' granularity).
    const double cores = static_cast<double>(std::thread::hardware_concurrency());
    for (const auto& [cpu_name, wall] :
         {std::pair{"pipeline_cpu_s", pipeline}, std::pair{"model_only_cpu_s", model_only}}) {
      const double cpu = bench.at(cpu_name).get<double>();
      EXPECT_GT(cpu, 0.0) << cpu_name;
      EXPECT_LE(cpu, wall * cores + 0.01) << cpu_name << " over " << wall << " s of wall time";
    }
    // The loader threads' part of it.
    const double loader_cpu = bench.at("pipeline_loader_cpu_s").get<double>();
    EXPECT_GT(loader_cpu, 0.0);
    EXPECT_LE(loader_cpu, bench.at("pipeline_cpu_s").get<double>() + 0.01);
    // In place: no bytes over a socket.
    EXPECT_EQ(bench.at("bytes_moved").get<int64_t>(), 0);
  }
}

// The loader's first-layer means (the default where they apply) train the
// model that the model's own aggregation trains, up to rounding; where they
// do not apply (input dropout acts before the mean) the summary says so.
TEST_F(TrainerCliTest, LoaderAggregationTrainsTheSameModelUpToRounding) {
  const std::vector<std::string> flags = {"--standalone", "--part_config=" + CoraConfig(),
                                          "--num_epochs=3", "--num_threads=2", "--seed=0"};
  nlohmann::json summaries[2];
  for (const bool aggregate : {true, false}) {
    std::vector<std::string> run = flags;
    run.push_back(absl::StrCat("--aggregate_in_loader=", aggregate ? "true" : "false"));
    const CommandResult result = Trainer(run);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    summaries[aggregate] = Summary(result);
    EXPECT_EQ(summaries[aggregate].at("hyperparameters").at("aggregate_in_loader"), aggregate);
  }
  // Cora's batches cover ~2 edges per input row: the loader's means are the
  // cheaper way at hidden 16, so it took them.
  EXPECT_GT(summaries[true].at("aggregated_batches").get<int>(), 0);
  EXPECT_EQ(summaries[false].at("aggregated_batches").get<int>(), 0);
  const double loss = summaries[false].at("final_loss").get<double>();
  EXPECT_NEAR(summaries[true].at("final_loss").get<double>(), loss, 1e-4 * loss);
  EXPECT_NEAR(summaries[true].at("final_test_acc").get<double>(),
              summaries[false].at("final_test_acc").get<double>(), 0.005);

  // Summed from a copy of every input row instead of where the rows are
  // (this process's store, the default), the means are the same bits, so
  // the run is the same to the last bit; so it is with one loader thread at
  // the model's priority instead of the default two below it (the batches
  // depend on their index, not on the thread that builds them).
  std::vector<std::string> copy = flags;
  copy.push_back("--loader_sums_in_place=false");
  copy.push_back("--loader_nice=0");
  copy.push_back("--num_loader_threads=1");
  const CommandResult copy_result = Trainer(copy);
  ASSERT_EQ(copy_result.exit_code, 0) << copy_result.output;
  const nlohmann::json copy_summary = Summary(copy_result);
  EXPECT_EQ(copy_summary.at("hyperparameters").at("loader_sums_in_place"), false);
  EXPECT_EQ(summaries[true].at("hyperparameters").at("loader_sums_in_place"), true);
  EXPECT_EQ(copy_summary.at("param_checksum"), summaries[true].at("param_checksum"));

  std::vector<std::string> with_dropout = flags;
  with_dropout.push_back("--input_dropout=0.5");
  const CommandResult result = Trainer(with_dropout);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(Summary(result).at("hyperparameters").at("aggregate_in_loader"), false);
  EXPECT_EQ(Summary(result).at("aggregated_batches"), 0);
}

// A run killed with SIGKILL mid-training (the fault hook, after its 5th
// batch: Cora is one batch per epoch, so inside epoch 5, after the epoch-4
// checkpoint) and started again with --resume ends with exactly the
// parameters of a run that was never stopped.
// Dropout masks drawn in parallel (--dropout_masks=counter) follow the seed:
// the same run twice ends with the same parameters, other ones than
// LibTorch's masks give, and a run killed mid-training resumes to them too
// (the masks' keys come from the generator the checkpoint restores). A
// checkpoint of such a run is not resumed with LibTorch's masks.
TEST_F(TrainerCliTest, CounterDropoutMasksFollowTheSeedAndResumeExactly) {
  const std::vector<std::string> run = {"--standalone",
                                        "--part_config=" + CoraConfig(),
                                        "--seed=0",
                                        "--num_epochs=9",
                                        "--lr=0.01",
                                        "--eval_every=0",
                                        "--dropout=0.5",
                                        "--input_dropout=0.2",
                                        "--dropout_masks=counter"};
  const CommandResult first = Trainer(run);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(Summary(first).at("hyperparameters").at("dropout_masks"), "counter");
  const CommandResult second = Trainer(run);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(Summary(second).at("param_checksum"), Summary(first).at("param_checksum"));
  std::vector<std::string> torch_masks = run;
  torch_masks.back() = "--dropout_masks=torch";
  const CommandResult torch_run = Trainer(torch_masks);
  ASSERT_EQ(torch_run.exit_code, 0) << torch_run.output;
  EXPECT_NE(Summary(torch_run).at("param_checksum"), Summary(first).at("param_checksum"));

  const std::string checkpoints = dir_->Join("counter-checkpoints");
  std::vector<std::string> checkpointed = run;
  checkpointed.push_back("--checkpoint_dir=" + checkpoints);
  checkpointed.push_back("--checkpoint_every=2");
  TrainerKilledAfterBatches(checkpointed, 5);
  ASSERT_FALSE(HasFailure());
  std::vector<std::string> resume = checkpointed;
  resume.push_back("--resume");
  const CommandResult resumed = Trainer(resume);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(Summary(resumed).at("resumed_from_epoch"), 4);
  EXPECT_EQ(Summary(resumed).at("param_checksum"), Summary(first).at("param_checksum"));

  std::vector<std::string> other_masks = resume;
  std::replace(other_masks.begin(), other_masks.end(), std::string("--dropout_masks=counter"),
               std::string("--dropout_masks=torch"));
  const CommandResult refused = Trainer(other_masks);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("belongs to another run"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("dropout_masks: \"counter\" there, (not set) here"),
            std::string::npos)
      << refused.output;
}

// The training steps compute the same bits with one intra-op thread as with
// two, so --model_threads (whose default may take one thread after a trial)
// changes only the time: every way ends with the same parameters, and the
// JSON line says which count the steps used.
TEST_F(TrainerCliTest, ModelThreadCountsTrainTheSameParameters) {
  const std::vector<std::string> run = {"--standalone",    "--part_config=" + CoraConfig(),
                                        "--seed=0",        "--num_epochs=3",
                                        "--batch_size=20", "--eval_every=0",
                                        "--num_threads=2"};
  std::string checksum;
  for (const int threads : {1, 2, 0}) {
    std::vector<std::string> flags = run;
    flags.push_back(absl::StrCat("--model_threads=", threads));
    const CommandResult result = Trainer(flags);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    const nlohmann::json summary = Summary(result);
    const int used = summary.at("model_threads").get<int>();
    if (threads == 0) {
      EXPECT_TRUE(used == 1 || used == 2) << used;
    } else {
      EXPECT_EQ(used, threads);
    }
    if (checksum.empty()) checksum = summary.at("param_checksum").get<std::string>();
    EXPECT_EQ(summary.at("param_checksum"), checksum) << threads;
  }
  const CommandResult refused =
      Trainer({"--standalone", "--part_config=" + CoraConfig(), "--model_threads=-1"});
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("--model_threads must be >= 0"), std::string::npos)
      << refused.output;
}

TEST_F(TrainerCliTest, KilledRunResumesFromItsCheckpointToTheSameParameters) {
  const std::vector<std::string> run = {"--standalone", "--part_config=" + CoraConfig(),
                                        "--seed=0",     "--num_epochs=9",
                                        "--lr=0.01",    "--eval_every=0",
                                        "--dropout=0.5"};
  const CommandResult undisturbed = Trainer(run);
  ASSERT_EQ(undisturbed.exit_code, 0) << undisturbed.output;

  const std::string checkpoints = dir_->Join("checkpoints");
  std::vector<std::string> checkpointed = run;
  checkpointed.push_back("--checkpoint_dir=" + checkpoints);
  checkpointed.push_back("--checkpoint_every=2");
  TrainerKilledAfterBatches(checkpointed, 5);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(testing::ReadFile(checkpoints + "/rank-0/CURRENT"), "ckpt-000004\n");

  std::vector<std::string> resume = checkpointed;
  resume.push_back("--resume");
  const CommandResult resumed = Trainer(resume);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed after epoch 4"), std::string::npos) << resumed.output;
  EXPECT_EQ(resumed.output.find("Epoch 4 |"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("Epoch 5 |"), std::string::npos) << resumed.output;
  EXPECT_EQ(Summary(resumed).at("resumed_from_epoch"), 4);
  EXPECT_EQ(Summary(resumed).at("param_checksum"), Summary(undisturbed).at("param_checksum"));
  // The last two checkpoints are kept (the final epoch is always written).
  EXPECT_FALSE(std::filesystem::exists(checkpoints + "/rank-0/ckpt-000006"));
  EXPECT_TRUE(std::filesystem::exists(checkpoints + "/rank-0/ckpt-000008"));
  EXPECT_TRUE(std::filesystem::exists(checkpoints + "/rank-0/ckpt-000009"));

  // Other flags than the checkpointed run's are refused, naming both.
  std::vector<std::string> other = resume;
  other.push_back("--lr=0.02");
  const CommandResult refused = Trainer(other);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("belongs to another run"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("it differs in lr: 0.01 there, 0.02 here)"), std::string::npos)
      << refused.output;
  // So is a run whose model computes on other values: Cora's float32 rows
  // held otherwise than the checkpointed run held them (rounded to bfloat16
  // at load or not, whichever --feature_memory_dtype=auto chose on this
  // CPU), or its first layer's means taken by the model instead of the
  // loader.
  const bool held_rounded = Summary(undisturbed).at("feature_memory_dtype") == "bfloat16";
  std::vector<std::string> other_rows = resume;
  other_rows.push_back(held_rounded ? "--feature_memory_dtype=stored"
                                    : "--feature_memory_dtype=bfloat16");
  const CommandResult other_rows_refused = Trainer(other_rows);
  EXPECT_NE(other_rows_refused.exit_code, 0);
  EXPECT_NE(other_rows_refused.output.find(
                held_rounded ? "feature_rows_rounded_to_bfloat16: [0] there, (not set) here"
                             : "feature_rows_rounded_to_bfloat16: (not set) there, [0] here"),
            std::string::npos)
      << other_rows_refused.output;
  std::vector<std::string> model_means = resume;
  model_means.push_back("--aggregate_in_loader=false");
  const CommandResult model_means_refused = Trainer(model_means);
  EXPECT_NE(model_means_refused.exit_code, 0);
  EXPECT_NE(model_means_refused.output.find("aggregate_in_loader: (not set) there, false here"),
            std::string::npos)
      << model_means_refused.output;

  // A damaged checkpoint is refused, not trained from.
  {
    std::fstream model(checkpoints + "/rank-0/ckpt-000009/model.pt",
                       std::ios::in | std::ios::out | std::ios::binary);
    model.seekp(-200, std::ios::end);
    model.write("\x5a\x5a\x5a\x5a", 4);
  }
  const CommandResult damaged = Trainer(resume);
  EXPECT_NE(damaged.exit_code, 0) << damaged.output;
  EXPECT_NE(damaged.output.find("ckpt-000009"), std::string::npos) << damaged.output;

  // Checkpoints every 3 batches of 7 (batch size 20 of 140 training
  // nodes): killed after 10 batches, the last one is 2 batches into epoch
  // 2; the resumed run skips them, and its epoch 2 loss still covers all 7.
  std::vector<std::string> batches = run;
  batches.push_back("--batch_size=20");
  batches.push_back("--num_epochs=2");
  const CommandResult undisturbed_batches = Trainer(batches);
  ASSERT_EQ(undisturbed_batches.exit_code, 0) << undisturbed_batches.output;
  batches.push_back("--checkpoint_dir=" + dir_->Join("batch_checkpoints"));
  batches.push_back("--checkpoint_every_batches=3");
  TrainerKilledAfterBatches(batches, 10);
  ASSERT_FALSE(HasFailure());
  // Steps 3 and 6, the end of epoch 1 (7) and step 9; the last two kept.
  EXPECT_EQ(testing::ReadFile(dir_->Join("batch_checkpoints/rank-0/CURRENT")),
            "ckpt-000001-00000002\n");
  EXPECT_TRUE(std::filesystem::exists(dir_->Join("batch_checkpoints/rank-0/ckpt-000001")));
  EXPECT_FALSE(
      std::filesystem::exists(dir_->Join("batch_checkpoints/rank-0/ckpt-000000-00000006")));
  batches.push_back("--resume");
  const CommandResult resumed_batches = Trainer(batches);
  ASSERT_EQ(resumed_batches.exit_code, 0) << resumed_batches.output;
  EXPECT_NE(resumed_batches.output.find("resumed after epoch 1, batch 2"), std::string::npos)
      << resumed_batches.output;
  EXPECT_EQ(Summary(resumed_batches).at("resumed_from_epoch"), 1);
  EXPECT_EQ(Summary(resumed_batches).at("resumed_from_batch"), 2);
  EXPECT_EQ(Summary(resumed_batches).at("param_checksum"),
            Summary(undisturbed_batches).at("param_checksum"));
  EXPECT_EQ(Summary(resumed_batches).at("final_loss"),
            Summary(undisturbed_batches).at("final_loss"));

  // --resume with an empty folder starts from epoch 1, and says so.
  std::vector<std::string> fresh = run;
  fresh.push_back("--checkpoint_dir=" + dir_->Join("no_checkpoints_yet"));
  fresh.push_back("--resume");
  const CommandResult started = Trainer(fresh);
  ASSERT_EQ(started.exit_code, 0) << started.output;
  EXPECT_NE(started.output.find("starting from epoch 1"), std::string::npos) << started.output;
  EXPECT_EQ(Summary(started).at("param_checksum"), Summary(undisturbed).at("param_checksum"));
}

// With learnable node embeddings (the KV store, in process: its saves go to
// <partition>.kv) a killed run resumes its embeddings and their Adam state
// from the KV save labelled with the checkpoint's position (here mid-epoch:
// every 3 batches of 7), and ends with the parameters of an uninterrupted
// run.
TEST_F(TrainerCliTest, KilledRunResumesItsNodeEmbeddingsToo) {
  const std::vector<std::string> run = {"--standalone",
                                        "--part_config=" + CoraConfig(),
                                        "--seed=0",
                                        "--num_epochs=2",
                                        "--batch_size=20",
                                        "--lr=0.01",
                                        "--eval_every=0",
                                        "--feature_name=",
                                        "--node_embedding_dim=16",
                                        "--sparse_optimizer=adam",
                                        "--sparse_lr=0.05"};
  const CommandResult undisturbed = Trainer(run);
  ASSERT_EQ(undisturbed.exit_code, 0) << undisturbed.output;
  const CommandResult again = Trainer(run);  // Embedding runs are deterministic too.
  ASSERT_EQ(again.exit_code, 0) << again.output;
  ASSERT_EQ(Summary(again).at("param_checksum"), Summary(undisturbed).at("param_checksum"));

  const std::string checkpoints = dir_->Join("embedding_checkpoints");
  std::vector<std::string> checkpointed = run;
  checkpointed.push_back("--checkpoint_dir=" + checkpoints);
  checkpointed.push_back("--checkpoint_every_batches=3");
  TrainerKilledAfterBatches(checkpointed, 10);
  ASSERT_FALSE(HasFailure());
  // The KV folder keeps the saves of the last two checkpoints (of the
  // four: steps 3 and 6, the end of epoch 1, step 9).
  int saves = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_->Join("cora1/part0.kv"))) {
    saves += FolderNumber(entry.path().filename().string(), "save-") >= 0 ? 1 : 0;
  }
  EXPECT_EQ(saves, 2);

  std::vector<std::string> resume = checkpointed;
  resume.push_back("--resume");
  const CommandResult resumed = Trainer(resume);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(Summary(resumed).at("resumed_from_epoch"), 1);
  EXPECT_EQ(Summary(resumed).at("resumed_from_batch"), 2);
  EXPECT_EQ(Summary(resumed).at("param_checksum"), Summary(undisturbed).at("param_checksum"));

  // Without the KV save of the checkpoint's position there is nothing to
  // resume the embeddings from: refused, naming the save.
  std::filesystem::remove_all(dir_->Join("cora1/part0.kv"));
  const CommandResult without_saves = Trainer(resume);
  EXPECT_NE(without_saves.exit_code, 0) << without_saves.output;
  EXPECT_NE(without_saves.output.find("keeps no save labelled 'checkpoint-epoch-"),
            std::string::npos)
      << without_saves.output;
}

// bf16 (emulated where the CPU has no bf16 units: the same arithmetic) keeps
// the main job above the accuracy floor fp32 is held to.
TEST_F(TrainerCliTest, Bf16TrainsCoraAboveTheAccuracyFloor) {
  const CommandResult result =
      Trainer(WithRecipe({"--standalone", "--part_config=" + CoraConfig(), "--seed=0",
                          "--precision=bf16", "--allow_emulated_bf16"}));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const nlohmann::json summary = Summary(result);
  EXPECT_EQ(summary.at("hyperparameters").at("precision"),
            DetectBf16Support().matrix_units() ? "bf16" : "bf16-emulated");
  EXPECT_GE(summary.at("final_test_acc").get<double>(), 0.79) << result.output;
}

// By default the dense layers compute in bf16 where the CPU has bf16 matrix
// units and in fp32 elsewhere, without a note either way.
TEST_F(TrainerCliTest, DefaultPrecisionIsBf16ExactlyWhereTheCpuHasMatrixUnits) {
  const CommandResult result =
      Trainer({"--standalone", "--part_config=" + CoraConfig(), "--num_epochs=1"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(Summary(result).at("hyperparameters").at("precision"),
            DetectBf16Support().matrix_units() ? "bf16" : "fp32");
  EXPECT_EQ(result.output.find("--precision"), std::string::npos) << result.output;
}

// Without bf16 matrix units, --precision=bf16 trains in fp32 and says why.
TEST_F(TrainerCliTest, Bf16FallsBackToFp32WithANoteWithoutMatrixUnits) {
  const bool has_units = DetectBf16Support().matrix_units();
  const CommandResult result = Trainer(
      {"--standalone", "--part_config=" + CoraConfig(), "--num_epochs=1", "--precision=bf16"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(Summary(result).at("hyperparameters").at("precision"), has_units ? "bf16" : "fp32");
  EXPECT_EQ(result.output.find("training in fp32 instead") != std::string::npos, !has_units)
      << result.output;
}

struct BadInput {
  std::string name;
  std::vector<std::string> flags;  // Added to --standalone --part_config=<cora> unless replaced.
  std::string expected;            // A piece of the error message.
};

TEST_F(TrainerCliTest, BadInputFailsClearlyBeforeTraining) {
  const std::string config = "--part_config=" + CoraConfig();
  const std::vector<BadInput> cases = {
      {"no config", {"--standalone"}, "--part_config is required"},
      {"missing config", {"--standalone", "--part_config=" + dir_->Join("nope.json")}, "nope.json"},
      {"not standalone", {config}, "--standalone"},
      {"graph name", {"--standalone", config, "--graph_name=pubmed"}, "--graph_name=pubmed"},
      {"fan-out count", {"--standalone", config, "--num_layers=3"}, "--num_layers=3"},
      {"fan-out text", {"--standalone", config, "--fan_out=10,x"}, "--fan_out"},
      {"batch size", {"--standalone", config, "--batch_size=0"}, "--batch_size=0"},
      {"eval batch size", {"--standalone", config, "--batch_size_eval=-5"}, "--batch_size_eval"},
      {"dropout", {"--standalone", config, "--dropout=1.5"}, "--dropout=1.5"},
      {"feature", {"--standalone", config, "--feature_name=x"}, "no node feature 'x'"},
      {"no input", {"--standalone", config, "--feature_name="}, "--node_embedding_dim"},
      {"sparse optimizer",
       {"--standalone", config, "--node_embedding_dim=4", "--sparse_optimizer=none"},
       "--sparse_optimizer"},
      {"feature norm", {"--standalone", config, "--feature_norm=l2"}, "'l2'"},
      {"precision", {"--standalone", config, "--precision=fp16"}, "--precision=fp16"},
      {"resume without folder", {"--standalone", config, "--resume"}, "--checkpoint_dir"},
      {"checkpoint every",
       {"--standalone", config, "--checkpoint_dir=x", "--checkpoint_every=0"},
       "--checkpoint_every=0"},
      {"checkpoint every batches",
       {"--standalone", config, "--checkpoint_dir=x", "--checkpoint_every_batches=-1"},
       "--checkpoint_every_batches=-1"},
      {"checkpoint every batches without folder",
       {"--standalone", config, "--checkpoint_every_batches=5"},
       "needs --checkpoint_dir"},
      {"eval only", {"--standalone", config, "--eval_only"}, "--load_model"},
      {"eval every", {"--standalone", config, "--eval_every=-2"}, "--eval_every"},
      {"loader nice", {"--standalone", config, "--loader_nice=20"}, "--loader_nice=20"},
      {"dropout masks", {"--standalone", config, "--dropout_masks=fast"}, "--dropout_masks='fast'"},
      {"loader nice below 0", {"--standalone", config, "--loader_nice=-1"}, "--loader_nice=-1"},
      {"load model", {"--standalone", config, "--load_model=" + dir_->Join("none")}, "model.json"},
      {"benchmark warm-up",
       {"--standalone", config, "--bench_batches=2", "--bench_warmup_batches=-1"},
       "--bench_warmup_batches=-1 is negative"},
  };
  for (const BadInput& bad : cases) {
    const CommandResult result = Trainer(bad.flags);
    EXPECT_NE(result.exit_code, 0) << bad.name << ":\n" << result.output;
    EXPECT_NE(result.output.find(bad.expected), std::string::npos)
        << bad.name << ": expected '" << bad.expected << "' in:\n"
        << result.output;
    EXPECT_EQ(result.output.find("Epoch 1"), std::string::npos) << bad.name;
  }
}

TEST_F(TrainerCliTest, StandaloneRejectsMultiPartitionConfig) {
  const CommandResult partitioned =
      RunCommand({BinPath("partition_graph"), "--dataset_dir=" + DatasetDir("cora"),
                  "--num_parts=2", "--out=" + dir_->Join("cora2")});
  ASSERT_EQ(partitioned.exit_code, 0) << partitioned.output;
  const CommandResult result =
      Trainer({"--standalone", "--part_config=" + dir_->Join("cora2/cora.json")});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("has 2 partitions"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace distsage
