// Drives partition_graph as a user does and checks what it leaves on disk.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "common/partition_config.h"
#include "common/partition_format.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/common/test_util.h"
#include "tests/partitioner/tiny_dataset.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;
namespace pf = partition_format;

testing::CommandResult PartitionGraph(std::vector<std::string> args) {
  args.insert(args.begin(), testing::BinPath("partition_graph"));
  return testing::RunCommand(args);
}

PartitionConfig LoadConfig(const std::string& path) {
  auto config = PartitionConfig::Load(path);
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : PartitionConfig();
}

// Every key and value of every part, in order: equal dumps mean equal
// partition contents (SST bytes also hold timestamps and session IDs).
std::vector<std::string> DumpParts(const PartitionConfig& config) {
  std::vector<std::string> dumps;
  for (int p = 0; p < config.num_parts(); ++p) {
    rocksdb::DB* raw = nullptr;
    rocksdb::Status status =
        rocksdb::DB::OpenForReadOnly(rocksdb::Options(), config.PartPath(p), &raw);
    EXPECT_TRUE(status.ok()) << status.ToString();
    if (!status.ok()) return dumps;
    std::unique_ptr<rocksdb::DB> db(raw);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    std::string dump;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      dump += it->key().ToString() + '\x01' + it->value().ToString() + '\x02';
    }
    dumps.push_back(dump);
  }
  return dumps;
}

// Names in `dir` that make up (part of) a partition set or a staging folder.
std::vector<std::string> PartitionArtifacts(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(dir, ignored))
    names.push_back(entry.path().filename());
  return names;
}

int64_t PartitionEdgeCut(const std::string& dataset, const std::string& method,
                         const testing::TempDir& tmp) {
  const std::string out = tmp.Join(dataset + "-" + method);
  auto result = PartitionGraph({"--dataset", dataset, "--data_root", testing::DatasetDir(""),
                                "--num_parts", "4", "--part_method", method, "--out", out});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return LoadConfig(out + "/" + dataset + ".json").edge_cut;
}

TEST(PartitionGraphCliTest, CoraMetisPartitionsKeepEveryNodeAndEdgeOnce) {
  testing::TempDir tmp;
  const std::string out = tmp.Join("out");
  auto result = PartitionGraph({"--dataset_dir", testing::DatasetDir("cora"), "--num_parts", "4",
                                "--balance_train", "--balance_edges", "--out", out, "--verify"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("[verify] OK"), std::string::npos);
  EXPECT_NE(result.output.find("edge cut:"), std::string::npos);
  const PartitionConfig config = LoadConfig(out + "/cora.json");
  ASSERT_EQ(config.num_parts(), 4);
  EXPECT_EQ(config.num_nodes, 2708);
  EXPECT_EQ(config.num_edges, 10556);
  EXPECT_EQ(config.num_train + config.num_valid + config.num_test, 140 + 500 + 1000);
  // The ID map is a permutation: every original node owned exactly once.
  const std::string ids = testing::ReadFile(out + "/orig_node_ids.bin");
  ASSERT_EQ(ids.size(), 2708u * 8);
  std::vector<int64_t> orig(2708);
  std::memcpy(orig.data(), ids.data(), ids.size());
  std::sort(orig.begin(), orig.end());
  for (int64_t v = 0; v < 2708; ++v) ASSERT_EQ(orig[v], v);
  // Contiguous ranges in part order, each holding its nodes' keys only.
  int64_t begin = 0, edges = 0;
  const std::vector<std::string> dumps = DumpParts(config);
  for (int p = 0; p < 4; ++p) {
    EXPECT_EQ(config.Book().RangeBegin(p), begin);
    begin = config.Book().RangeEnd(p);
    // METIS balances each constraint to ufactor 1.03; small graphs with three
    // constraints land slightly above, so allow 10% over the mean.
    EXPECT_LE(config.parts[p].num_nodes, 1.10 * 2708 / 4);
    EXPECT_LE(config.parts[p].num_train, 1.10 * 140 / 4);
    edges += config.parts[p].num_in_edges;
  }
  EXPECT_EQ(begin, 2708);
  EXPECT_EQ(edges, 10556);
  EXPECT_EQ(dumps.size(), 4u);
}

TEST(PartitionGraphCliTest, MetisCutsFarFewerEdgesThanRandom) {
  testing::TempDir tmp;
  for (const std::string dataset : {"cora", "amazon-computers"}) {
    const int64_t metis = PartitionEdgeCut(dataset, "metis", tmp);
    const int64_t random = PartitionEdgeCut(dataset, "random", tmp);
    EXPECT_LT(metis * 2, random) << dataset << ": metis " << metis << ", random " << random;
  }
}

TEST(PartitionGraphCliTest, SameSeedGivesIdenticalConfigAndContents) {
  testing::TempDir tmp;
  for (const std::string method : {"metis", "random"}) {
    std::vector<std::string> configs;
    std::vector<std::vector<std::string>> dumps;
    for (const std::string run : {"a", "b"}) {
      const std::string out = tmp.Join(method + run);
      auto result = PartitionGraph({"--dataset_dir", testing::DatasetDir("amazon_photo"),
                                    "--num_parts", "3", "--part_method", method, "--balance_train",
                                    "--seed", "11", "--out", out});
      ASSERT_EQ(result.exit_code, 0) << result.output;
      configs.push_back(testing::ReadFile(out + "/amazon-photo.json"));
      dumps.push_back(DumpParts(LoadConfig(out + "/amazon-photo.json")));
    }
    EXPECT_EQ(configs[0], configs[1]) << method;
    EXPECT_TRUE(dumps[0] == dumps[1]) << method;
  }
}

TEST(PartitionGraphCliTest, OnePartIsStandaloneMode) {
  testing::TempDir tmp;
  auto result = PartitionGraph({"--dataset", "cora", "--data_root", testing::DatasetDir(""),
                                "--out", tmp.Join("out"), "--verify"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("[metis]"), std::string::npos);
  const PartitionConfig config = LoadConfig(tmp.Join("out/cora.json"));
  ASSERT_EQ(config.num_parts(), 1);
  EXPECT_EQ(config.parts[0].num_in_edges, 10556);
  EXPECT_EQ(config.edge_cut, 0);
}

TEST(PartitionGraphCliTest, SyntheticGraphPartitionsAndVerifies) {
  testing::TempDir tmp;
  auto result =
      PartitionGraph({"--dataset", "synthetic", "--num_nodes", "5000", "--avg_degree", "10",
                      "--feat_dim", "8", "--num_classes", "5", "--num_parts", "2",
                      "--balance_train", "--balance_edges", "--out", tmp.Join("out"), "--verify"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const PartitionConfig config = LoadConfig(tmp.Join("out/synthetic.json"));
  EXPECT_EQ(config.num_nodes, 5000);
  EXPECT_EQ(config.num_edges, 50000);
  EXPECT_EQ(config.node_features[0].dim, 8);
}

TEST(PartitionGraphCliTest, RefusesExistingSetUnlessOverwrite) {
  testing::TempDir tmp;
  const std::string out = tmp.Join("out");
  const std::vector<std::string> base = {"--dataset_dir", testing::DatasetDir("cora"), "--out",
                                         out};
  auto args = base;
  args.insert(args.end(), {"--num_parts", "4"});
  ASSERT_EQ(PartitionGraph(args).exit_code, 0);
  const std::string before = testing::ReadFile(out + "/cora.json");

  args = base;
  args.insert(args.end(), {"--num_parts", "2"});
  auto refused = PartitionGraph(args);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("already holds a partition set"), std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("--overwrite"), std::string::npos);
  EXPECT_EQ(testing::ReadFile(out + "/cora.json"), before);

  args.push_back("--overwrite");
  auto replaced = PartitionGraph(args);
  ASSERT_EQ(replaced.exit_code, 0) << replaced.output;
  EXPECT_EQ(LoadConfig(out + "/cora.json").num_parts(), 2);
  EXPECT_FALSE(fs::exists(out + "/part2"));
  EXPECT_FALSE(fs::exists(out + "/part3"));
  for (const std::string& name : PartitionArtifacts(out)) {
    EXPECT_EQ(name.find(".partition_graph.tmp"), std::string::npos) << name;
  }
}

// The staging folders in `dir`.
std::vector<std::string> StagingFolders(const std::string& dir) {
  std::vector<std::string> names;
  for (const std::string& name : PartitionArtifacts(dir)) {
    if (name.find(".partition_graph.") == 0) names.push_back(name);
  }
  return names;
}

// Starts a partition_graph run into `out` that takes a while (a synthetic
// graph) and stops it (SIGSTOP) once its staging folder exists, so the
// folder's owner is alive but frozen; returns the folder's name.
std::string StartAndFreezeARun(const std::string& out, const std::string& log,
                               std::unique_ptr<testing::ChildProcess>* run) {
  const std::vector<std::string> before = StagingFolders(out);
  *run = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{testing::BinPath("partition_graph"), "--dataset", "synthetic",
                               "--num_nodes", "1000000", "--avg_degree", "10", "--feat_dim", "4",
                               "--num_parts", "2", "--out", out},
      log);
  // Polls the folder: the run creates it first thing, then works for seconds.
  while ((*run)->running()) {
    for (const std::string& name : StagingFolders(out)) {
      if (name.find(".partition_graph.tmp-") == 0 &&
          std::find(before.begin(), before.end(), name) == before.end()) {
        (*run)->Signal(SIGSTOP);
        return name;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ADD_FAILURE() << "the run ended before its staging folder was seen:\n" << (*run)->ReadLog();
  return "";
}

// A run killed with SIGKILL leaves its staging folder (nothing runs at
// SIGKILL); the next run into the same folder removes it, but never the
// folder of a run that is still alive (here frozen with SIGSTOP).
TEST(PartitionGraphCliTest, NextRunRemovesTheStagingFolderOfAKilledRunOnly) {
  testing::TempDir tmp;
  const std::string out = tmp.Join("out");
  std::unique_ptr<testing::ChildProcess> alive;
  const std::string alive_staging = StartAndFreezeARun(out, tmp.Join("alive.log"), &alive);
  ASSERT_FALSE(alive_staging.empty());
  std::unique_ptr<testing::ChildProcess> killed;
  const std::string killed_staging = StartAndFreezeARun(out, tmp.Join("killed.log"), &killed);
  ASSERT_FALSE(killed_staging.empty());
  killed->Signal(SIGKILL);
  killed->Wait();
  ASSERT_TRUE(fs::exists(out + "/" + killed_staging));
  ASSERT_TRUE(fs::exists(out + "/" + alive_staging)) << "the killed run removed a live folder";

  auto result = PartitionGraph(
      {"--dataset_dir", testing::DatasetDir("cora"), "--num_parts", "2", "--out", out});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("removed '" + out + "/" + killed_staging + "'"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("interrupted run"), std::string::npos) << result.output;
  EXPECT_EQ(StagingFolders(out), std::vector<std::string>{alive_staging});
  EXPECT_TRUE(fs::exists(out + "/cora.json"));

  // Once the frozen run is killed too, its folder goes at the next run.
  alive->Signal(SIGKILL);
  alive->Wait();
  result = PartitionGraph({"--dataset_dir", testing::DatasetDir("cora"), "--num_parts", "2",
                           "--out", out, "--overwrite"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(StagingFolders(out).empty());
}

// Runs partition_graph in folder `cwd`, as a user in their working folder.
testing::CommandResult PartitionGraphIn(const std::string& cwd, std::vector<std::string> args) {
  args.insert(args.begin(), {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd,
                             testing::BinPath("partition_graph")});
  return testing::RunCommand(args);
}

TEST(PartitionGraphCliTest, WritesToDataByDefaultAsDgl) {
  testing::TempDir cwd;
  auto result = PartitionGraphIn(cwd.path(), {"--dataset_dir", testing::DatasetDir("cora")});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("wrote data/cora.json"), std::string::npos) << result.output;
  EXPECT_EQ(LoadConfig(cwd.Join("data/cora.json")).num_parts(), 1);
  // DGL's --output names the folder too.
  result = PartitionGraphIn(cwd.path(), {"--dataset_dir", testing::DatasetDir("cora"), "--output",
                                         "parts", "--num_parts", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(LoadConfig(cwd.Join("parts/cora.json")).num_parts(), 2);
}

// As DGL's partition_graph.py: `--num_parts 1` after `--num_parts 4` into the
// default folder replaces the set of that graph, and says so. A set of
// another graph there, or an occupied folder given with --out, is kept.
TEST(PartitionGraphCliTest, DefaultFolderReplacesOnlyTheSameGraphsSet) {
  testing::TempDir cwd;
  const std::string cora = testing::DatasetDir("cora");
  auto result = PartitionGraphIn(cwd.path(), {"--dataset_dir", cora, "--num_parts", "4"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // --dataset_dir alone does not name the graph before loading: kept.
  result = PartitionGraphIn(cwd.path(), {"--dataset_dir", cora});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("already holds a partition set"), std::string::npos)
      << result.output;
  result = PartitionGraphIn(cwd.path(), {"--dataset", "cora", "--data_root",
                                         testing::DatasetDir(""), "--num_parts", "1"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("replacing the partition set of cora.json in data/"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(LoadConfig(cwd.Join("data/cora.json")).num_parts(), 1);
  EXPECT_FALSE(fs::exists(cwd.Join("data/part1")));
  // Another graph's set in data/ is kept.
  result = PartitionGraphIn(cwd.path(),
                            {"--dataset", "amazon-photo", "--data_root", testing::DatasetDir("")});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("already holds a partition set (data/cora.json)"), std::string::npos)
      << result.output;
  // With --out the folder is the user's choice: nothing is replaced unasked.
  result = PartitionGraphIn(
      cwd.path(), {"--dataset", "cora", "--data_root", testing::DatasetDir(""), "--out", "data"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_EQ(LoadConfig(cwd.Join("data/cora.json")).num_parts(), 1);
}

// DGL's `partition_graph --dataset ogb-product` looks for the download in
// dataset/ (OGB's default root); without one, the error names every place
// it looked and how to point elsewhere, and nothing is written.
TEST(PartitionGraphCliTest, OgbProductWithoutDownloadNamesWhereItLooked) {
  testing::TempDir cwd;
  auto result = PartitionGraphIn(cwd.path(), {"--dataset", "ogb-product", "--num_parts", "4",
                                              "--balance_train", "--balance_edges"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  for (const char* piece :
       {"dataset 'ogb-product' (ogbn-products) not found under --data_root dataset",
        "dataset/ogbn_products, dataset/ogbn_products_dgl, dataset/products",
        "--data_root defaults to dataset/"}) {
    EXPECT_NE(result.output.find(piece), std::string::npos) << piece << "\n" << result.output;
  }
  EXPECT_TRUE(PartitionArtifacts(cwd.Join("data")).empty());
}

TEST(PartitionGraphCliTest, HelpListsFlagsWithDefaults) {
  auto result = PartitionGraph({"--help"});
  for (const char* flag :
       {"--num_parts", "--part_method", "--balance_train", "--balance_edges", "--dataset_dir",
        "--data_root", "--verify", "--verify_only", "--part_config", "--overwrite", "--output",
        "ogb-product", "default: \"metis\"", "NOT deduplicated"}) {
    EXPECT_NE(result.output.find(flag), std::string::npos) << flag;
  }
}

struct BadCliCase {
  std::string name;
  std::vector<std::string> args;  // "TINY" is replaced by the tiny dataset folder.
  std::string file;               // Tiny-dataset file to replace ("" for none).
  std::string text;
  std::string expected_message;
};

class PartitionGraphBadInputTest : public ::testing::TestWithParam<BadCliCase> {};

TEST_P(PartitionGraphBadInputTest, FailsClearlyAndLeavesNoPartitionSet) {
  const BadCliCase& c = GetParam();
  testing::TempDir tmp;
  testing::DatasetFiles files = testing::TinyDatasetFiles();
  if (c.file == "-") {
    files.erase("raw/node-feat.csv.gz");
  } else if (!c.file.empty()) {
    files[c.file] = c.text;
  }
  const std::string tiny = testing::WriteTinyDataset(tmp.path(), files);
  std::vector<std::string> args;
  for (const std::string& arg : c.args) args.push_back(arg == "TINY" ? tiny : arg);
  const std::string out = tmp.Join("out");
  args.insert(args.end(), {"--out", out});
  auto result = PartitionGraph(args);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("partition_graph: error: "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(c.expected_message), std::string::npos) << result.output;
  EXPECT_TRUE(PartitionArtifacts(out).empty()) << "left output behind";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PartitionGraphBadInputTest,
    ::testing::Values(
        BadCliCase{"ZeroParts",
                   {"--dataset_dir", "TINY", "--num_parts", "0"},
                   "",
                   "",
                   "--num_parts 0 is out of range"},
        BadCliCase{"MorePartsThanNodes",
                   {"--dataset_dir", "TINY", "--num_parts", "6"},
                   "",
                   "",
                   "--num_parts 6 is out of range: use 1..5"},
        BadCliCase{"UnknownDataset",
                   {"--dataset", "ogbn-nope", "--data_root", "TINY/.."},
                   "",
                   "",
                   "unknown dataset 'ogbn-nope'"},
        BadCliCase{"UnknownMethod",
                   {"--dataset_dir", "TINY", "--part_method", "spectral"},
                   "",
                   "",
                   "unknown --part_method 'spectral'"},
        BadCliCase{"MissingFile", {"--dataset_dir", "TINY"}, "-", "", "node-feat.csv.gz"},
        BadCliCase{"MalformedCsv",
                   {"--dataset_dir", "TINY"},
                   "raw/edge.csv.gz",
                   "0,1\n1 2\n0,1\n3,3\n",
                   "raw/edge.csv.gz:2: malformed line"},
        BadCliCase{"EndpointOutOfRange",
                   {"--dataset_dir", "TINY", "--num_parts", "2"},
                   "raw/edge.csv.gz",
                   "0,1\n1,2\n0,7\n3,3\n",
                   "raw/edge.csv.gz:3: edge endpoint 7 is out of range"},
        BadCliCase{"SplitNamesUnknownNode",
                   {"--dataset_dir", "TINY"},
                   "split/s1/valid.csv.gz",
                   "2\n-1\n",
                   "valid.csv.gz:2: split names unknown node -1"},
        BadCliCase{"NoDatasetGiven", {"--num_parts", "2"}, "", "", "say where the dataset is"},
        BadCliCase{"VerifyOnlyWithoutConfig",
                   {"--dataset_dir", "TINY", "--verify_only"},
                   "",
                   "",
                   "--verify_only needs --part_config"},
        BadCliCase{"PartConfigWithoutVerifyOnly",
                   {"--dataset_dir", "TINY", "--part_config", "x.json"},
                   "",
                   "",
                   "--part_config is only read with --verify_only"}),
    [](const ::testing::TestParamInfo<BadCliCase>& info) { return info.param.name; });

}  // namespace
}  // namespace distsage
