// DGL's own command lines, as its distributed GraphSAGE README gives them
// (python3 X.py replaced by our binary), run unchanged in a working folder
// laid out as a DGL user's: the raw ogbn-products download under dataset/,
// partitions written to data/, an ip_config.txt. Cora stands in for
// ogbn-products: dataset/ogbn_products is Cora's folder, and
// dataset/master.csv holds Cora's meta row under the name ogbn-products.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/common/test_util.h"
#include "tests/trainer/trainer_run.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;
using testing::BinPath;
using testing::CommandResult;
using testing::DatasetDir;
using testing::TempDir;
using testing::TrainerSummary;

// Runs `argv` (argv[0] a name in the build's bin folder) in folder `cwd`
// with `env` ("NAME=value") added to the environment.
CommandResult RunIn(const std::string& cwd, std::vector<std::string> argv,
                    const std::vector<std::string>& env = {}) {
  argv[0] = BinPath(argv[0]);
  std::vector<std::string> command = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd,
                                      "/usr/bin/env"};
  command.insert(command.end(), env.begin(), env.end());
  command.insert(command.end(), argv.begin(), argv.end());
  return testing::RunCommand(command);
}

// Splits a command line as the user types it (no quoting needed here).
std::vector<std::string> Words(const std::string& line) {
  return absl::StrSplit(line, ' ', absl::SkipEmpty());
}

class DglCommandLinesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    home_ = new TempDir();
    fs::create_directories(home_->Join("dataset"));
    fs::create_directory_symlink(DatasetDir("cora"), home_->Join("dataset/ogbn_products"));
    // Cora's meta row, named ogbn-products (its own master.csv column).
    std::ifstream in(DatasetDir("master.csv"));
    std::ofstream out(home_->Join("dataset/master.csv"));
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      std::vector<std::string> cells = absl::StrSplit(line, ',');
      const size_t cora = 2;  // ",ogbn-products,cora,...": Cora's column.
      out << cells[0] << "," << (header ? "ogbn-products" : cells[cora]) << "\n";
      header = false;
    }
    std::ofstream(home_->Join("ip_config.txt")) << "127.0.0.1 30050\n";
  }
  static void TearDownTestSuite() {
    delete home_;
    home_ = nullptr;
  }

  // `partition_graph --dataset ogb-product --num_parts N`, as DGL's README has it.
  static void PartitionOgbProduct(int num_parts, const std::string& extra = "") {
    const CommandResult result =
        RunIn(home_->path(), Words("partition_graph --dataset ogb-product --num_parts " +
                                   std::to_string(num_parts) + " " + extra));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    ASSERT_NE(result.output.find("wrote data/ogb-product.json"), std::string::npos)
        << result.output;
  }

  static TempDir* home_;
};

TempDir* DglCommandLinesTest::home_ = nullptr;

TEST_F(DglCommandLinesTest, StandaloneTrainingAsDglsReadmeHasIt) {
  // 4 balanced parts for the cluster first, then 1 part for standalone mode
  // into the same default data/ folder: the second replaces the first, as
  // DGL's partition_graph.py does.
  PartitionOgbProduct(4, "--balance_train --balance_edges");
  PartitionOgbProduct(1);
  const CommandResult result =
      RunIn(home_->path(), Words("trainer --graph-name ogb-product --ip_config ip_config.txt "
                                 "--num-epochs 3 --batch-size 1000 --conf_path "
                                 "data/ogb-product.json --standalone"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("--standalone: ignoring --ip_config/--servers ip_config.txt"),
            std::string::npos)
      << result.output;
  const nlohmann::json summary = TrainerSummary(result.output);
  EXPECT_EQ(summary.at("mode"), "standalone");
  EXPECT_EQ(summary.at("graph_name"), "ogb-product");
  EXPECT_EQ(summary.at("hyperparameters").at("num_epochs"), 3);
  EXPECT_EQ(summary.at("hyperparameters").at("batch_size"), 1000);
  EXPECT_EQ(summary.at("num_train"), 140);  // Cora's planetoid split.
  EXPECT_NE(result.output.find("Epoch 3 | loss"), std::string::npos) << result.output;
}

// The trainer line DGL's launch runs on every machine: no part config on it
// (launch passes DGL_CONF_PATH, DGL_NUM_SERVER and torch's RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT), against a real graph_server at the address of
// ip_config.txt.
TEST_F(DglCommandLinesTest, DistributedTrainerLineUnderLaunchEnvironment) {
  TempDir cluster;
  PartitionOgbProduct(1);
  const std::string ip_config = cluster.Join("ip_config.txt");
  std::ofstream(ip_config) << "127.0.0.1 " << testing::FreePort() << "\n";
  testing::ChildProcess server(
      {BinPath("graph_server"), "--ip_config=" + ip_config,
       "--part_config=" + home_->Join("data/ogb-product.json"), "--server_id=0"},
      cluster.Join("server.log"));
  ASSERT_FALSE(server.WaitForLogLine("graph_server ready").empty()) << server.ReadLog();

  const CommandResult result =
      RunIn(home_->path(),
            Words("trainer --graph-name ogb-product --ip_config " + ip_config +
                  " --num-epochs 30 --batch-size 1000 --num_threads 2"),
            {"RANK=0", "WORLD_SIZE=1", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=0",
             "DGL_CONF_PATH=data/ogb-product.json", "DGL_NUM_SERVER=1"});
  ASSERT_EQ(result.exit_code, 0) << result.output << "\nserver:\n" << server.ReadLog();
  const nlohmann::json summary = TrainerSummary(result.output);
  EXPECT_EQ(summary.at("mode"), "distributed");
  EXPECT_EQ(summary.at("graph_name"), "ogb-product");
  EXPECT_EQ(summary.at("world_size"), 1);
  EXPECT_EQ(summary.at("hyperparameters").at("num_epochs"), 30);
  // 30 epochs at DGL's default learning rate get Cora well past chance (1/7).
  EXPECT_GT(summary.at("final_test_acc").get<double>(), 0.5) << result.output;
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
}

TEST_F(DglCommandLinesTest, EveryHyphenatedDglSpellingSetsItsFlag) {
  PartitionOgbProduct(1);
  const CommandResult result = RunIn(
      home_->path(),
      Words("trainer --standalone --conf_path data/ogb-product.json --graph-name ogb-product "
            "--num-epochs 2 --batch-size 64 --batch-size-eval 500 --num-hidden 8 --num-layers 3 "
            "--fan-out 4,5,6 --log-every 1 --eval-every 1 --num-gpus 0 --num_samplers 1 "
            "--num_threads 2"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const nlohmann::json hyper = TrainerSummary(result.output).at("hyperparameters");
  EXPECT_EQ(hyper.at("num_epochs"), 2);
  EXPECT_EQ(hyper.at("batch_size"), 64);
  EXPECT_EQ(hyper.at("batch_size_eval"), 500);
  EXPECT_EQ(hyper.at("num_hidden"), 8);
  EXPECT_EQ(hyper.at("num_layers"), 3);
  EXPECT_EQ(hyper.at("fan_out"), nlohmann::json({4, 5, 6}));
  // --log-every 1: a line per step (140 seeds in batches of 64: 3 steps);
  // --eval-every 1: the first epoch is evaluated too.
  EXPECT_NE(result.output.find("Epoch 1 | step 1/3 |"), std::string::npos) << result.output;
  bool first_epoch_evaluated = false;
  for (absl::string_view line : absl::StrSplit(result.output, '\n')) {
    if (absl::StartsWith(line, "Epoch 1 | loss")) {
      first_epoch_evaluated = absl::StrContains(line, "| val acc");
    }
  }
  EXPECT_TRUE(first_epoch_evaluated) << result.output;
}

TEST_F(DglCommandLinesTest, PartConfigComesFromAnyOfItsNames) {
  PartitionOgbProduct(1);
  for (const std::vector<std::string>& way :
       {std::vector<std::string>{"--part_config=data/ogb-product.json"},
        std::vector<std::string>{"--conf_path=data/ogb-product.json"},
        std::vector<std::string>{"--part_config=data/ogb-product.json",
                                 "--conf_path=data/ogb-product.json"}}) {
    std::vector<std::string> argv = {"trainer", "--standalone", "--num-epochs=1"};
    argv.insert(argv.end(), way.begin(), way.end());
    const CommandResult result = RunIn(home_->path(), argv);
    EXPECT_EQ(result.exit_code, 0) << way[0] << "\n" << result.output;
  }
  const CommandResult from_env = RunIn(home_->path(), {"trainer", "--standalone", "--num-epochs=1"},
                                       {"DGL_CONF_PATH=data/ogb-product.json"});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.output;
}

struct BadDglInput {
  std::string name;
  std::string line;      // After "trainer ".
  std::string expected;  // A piece of the error message.
};

TEST_F(DglCommandLinesTest, BadDglInputFailsClearly) {
  PartitionOgbProduct(1);
  const std::string config = " --conf_path data/ogb-product.json";
  const std::vector<BadDglInput> cases = {
      {"unknown hyphenated flag", "--standalone --num-threads 2" + config,
       "Unknown command line flag 'num-threads'"},
      {"misspelt DGL flag", "--standalone --graph-nmae ogb-product" + config,
       "Unknown command line flag 'graph-nmae'"},
      {"wrong graph name", "--standalone --graph-name ogb-paper100M" + config,
       "--graph_name=ogb-paper100M but data/ogb-product.json describes graph 'ogb-product'"},
      {"two part configs", "--standalone --part_config other.json" + config,
       "--part_config=other.json and --conf_path=data/ogb-product.json are the same flag"},
      {"no part config", "--standalone --graph-name ogb-product", "--part_config is required"},
      {"GPUs", "--standalone --num-gpus 1" + config,
       "--num_gpus=1: this trainer trains on the CPU"},
      {"samplers and loader threads",
       "--standalone --num_samplers 2 --num_loader_threads 3" + config,
       "--num_samplers=2 and --num_loader_threads=3 set the same thing"},
      {"num client", "--ip_config ip_config.txt --rank 0 --world_size 2 --num-client 3" + config,
       "--num_client=3 but the world size is 2"},
      {"num trainers",
       "--ip_config ip_config.txt --rank 0 --world_size 2 --num_trainers 3" + config,
       "--num_trainers=3 (per machine) does not divide the world size 2"},
  };
  for (const BadDglInput& bad : cases) {
    std::vector<std::string> argv = Words("trainer " + bad.line);
    const CommandResult result = RunIn(home_->path(), argv);
    EXPECT_NE(result.exit_code, 0) << bad.name << ":\n" << result.output;
    EXPECT_NE(result.output.find(bad.expected), std::string::npos)
        << bad.name << ": expected '" << bad.expected << "' in:\n"
        << result.output;
    EXPECT_EQ(result.output.find("Epoch 1"), std::string::npos) << bad.name;
  }
}

}  // namespace
}  // namespace distsage
