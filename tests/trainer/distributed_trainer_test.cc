// Distributed training the way a user runs it: partition_graph splits Cora
// into 2 parts, one graph_server process serves each part on loopback, and
// two trainer processes (--servers ip_config.txt, ranks 0 and 1) train one
// model data-parallel. Also the failure paths: a server that never comes up,
// a server or a trainer that dies mid-training.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/common/test_util.h"
#include "tests/server/server_cluster.h"
#include "tests/trainer/trainer_run.h"
#include "trainer/precision.h"

namespace distsage {
namespace {

using testing::BinPath;
using testing::ChildProcess;
using testing::CoraRecipe;
using testing::FreePort;
using testing::PartitionDataset;
using testing::ServerCluster;
using testing::TempDir;
using testing::TrainerSummary;

nlohmann::json Summary(const std::string& log) { return TrainerSummary(log); }

// The rendezvous port rank 0 took (--master_port=0), read from its log.
int MasterPortOf(ChildProcess& rank0) {
  const std::string line = rank0.WaitForLogLine("rendezvous at ");
  const size_t colon = line.rfind(':');
  EXPECT_NE(colon, std::string::npos) << "no rendezvous line: " << rank0.ReadLog();
  return colon == std::string::npos ? 0 : std::atoi(line.c_str() + colon + 1);
}

class DistributedTrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    config_ = new std::string(PartitionDataset("cora", 2, dir_->Join("cora2")));
  }
  static void TearDownTestSuite() {
    delete config_;
    delete dir_;
  }

  void SetUp() override {
    ASSERT_FALSE(config_->empty());
    work_ = std::make_unique<TempDir>();
  }

  // Starts one server per partition and writes the ip_config.txt naming
  // them ("127.0.0.1 PORT" per machine, partition order).
  void StartServers(const std::vector<std::string>& extra_args = {}) {
    cluster_ = std::make_unique<ServerCluster>(*config_, 2, work_->path(), extra_args);
    ip_config_ = WriteIpConfig(cluster_->addresses());
  }

  std::string WriteIpConfig(const std::vector<std::vector<std::string>>& addresses) {
    return testing::WriteIpConfig(work_->Join("ip_config.txt"), addresses);
  }

  // Starts trainer `rank` of `world_size` with the recipe and `extra` flags.
  std::unique_ptr<ChildProcess> StartTrainer(int rank, int world_size, int master_port,
                                             const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {BinPath("trainer"),
                                     "--servers=" + ip_config_,
                                     "--part_config=" + *config_,
                                     absl::StrCat("--rank=", rank),
                                     absl::StrCat("--world_size=", world_size),
                                     "--master_addr=127.0.0.1",
                                     absl::StrCat("--master_port=", master_port),
                                     "--seed=0",
                                     "--uds_dir=" + work_->path()};
    // One LibTorch thread per trainer: two trainers and two servers share
    // the machine.
    const std::vector<std::string> recipe = CoraRecipe(1);
    argv.insert(argv.end(), recipe.begin(), recipe.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(argv, work_->Join(absl::StrCat("trainer", rank, ".log")));
  }

  // Runs ranks 0 and 1 to a clean end with `extra` flags (with
  // `stop_servers`, rank 0 also stops the servers); returns rank 0's summary
  // after checking that both ranks hold the same model.
  nlohmann::json RunTwoRanks(const std::vector<std::string>& extra, bool stop_servers) {
    std::vector<std::string> extra0 = extra;
    if (stop_servers) extra0.push_back("--shutdown_servers");
    std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0, extra0);
    std::unique_ptr<ChildProcess> rank1 = StartTrainer(1, 2, MasterPortOf(*rank0), extra);
    EXPECT_EQ(rank0->Wait(), 0) << rank0->ReadLog();
    EXPECT_EQ(rank1->Wait(), 0) << rank1->ReadLog();
    const nlohmann::json summary0 = Summary(rank0->ReadLog());
    EXPECT_EQ(Summary(rank1->ReadLog()).at("param_checksum"), summary0.at("param_checksum"));
    return summary0;
  }
  nlohmann::json RunTwoRanksStoppingTheServers(const std::vector<std::string>& extra) {
    return RunTwoRanks(extra, /*stop_servers=*/true);
  }

  static TempDir* dir_;
  static std::string* config_;
  std::unique_ptr<TempDir> work_;
  std::unique_ptr<ServerCluster> cluster_;
  std::string ip_config_;
};

TempDir* DistributedTrainerTest::dir_ = nullptr;
std::string* DistributedTrainerTest::config_ = nullptr;

TEST_F(DistributedTrainerTest, TwoTrainersReachTheFloorWithIdenticalModelsAndStopTheServers) {
  StartServers();
  std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0, {"--shutdown_servers"});
  const int port = MasterPortOf(*rank0);
  std::unique_ptr<ChildProcess> rank1 = StartTrainer(1, 2, port);
  ASSERT_EQ(rank0->Wait(), 0) << rank0->ReadLog();
  ASSERT_EQ(rank1->Wait(), 0) << rank1->ReadLog();
  const nlohmann::json summary0 = Summary(rank0->ReadLog());
  const nlohmann::json summary1 = Summary(rank1->ReadLog());

  EXPECT_EQ(summary0.at("mode"), "distributed");
  EXPECT_GE(summary0.at("final_test_acc").get<double>(), 0.79) << rank0->ReadLog();
  EXPECT_GE(summary0.at("final_val_acc").get<double>(), 0.75);
  // Both ranks computed the same (global) accuracy, and hold the same model.
  EXPECT_EQ(summary1.at("final_test_acc"), summary0.at("final_test_acc"));
  EXPECT_EQ(summary1.at("param_checksum"), summary0.at("param_checksum"));
  // Cora's 140 training nodes split evenly, 500 + 1000 evaluation nodes
  // split without overlap.
  EXPECT_EQ(summary0.at("hyperparameters").at("batch_size"), 1000);
  EXPECT_EQ(summary0.at("hyperparameters").at("batch_size_per_trainer"), 500);
  EXPECT_EQ(summary0.at("num_train"), 70);
  EXPECT_EQ(summary1.at("num_train"), 70);
  EXPECT_EQ(summary0.at("num_val").get<int>() + summary1.at("num_val").get<int>(), 500);
  EXPECT_EQ(summary0.at("num_test").get<int>() + summary1.at("num_test").get<int>(), 1000);
  ASSERT_EQ(summary0.at("per_rank").size(), 2u);
  EXPECT_GT(summary0.at("per_rank")[1].at("allreduce_s_mean").get<double>(), 0.0);
  // The servers are on this machine: rank 0 maps its home partition's
  // shared-memory segment (--local_partition=auto), and the other one's
  // (--map_other_local_partitions).
  const nlohmann::json& transports = summary0.at("transports");
  ASSERT_EQ(transports.size(), 2u);
  EXPECT_EQ(transports.at(cluster_->addresses()[0].front()), "shm") << transports;
  EXPECT_EQ(transports.at(cluster_->addresses()[1].front()), "shm") << transports;
  EXPECT_NE(rank0->ReadLog().find("--local_partition=auto: reading partition 0 from shared memory"),
            std::string::npos)
      << rank0->ReadLog();
  EXPECT_NE(
      rank0->ReadLog().find("--map_other_local_partitions: reading partition 1 from shared memory"),
      std::string::npos)
      << rank0->ReadLog();

  // --shutdown_servers: rank 0 stopped both servers, which exit cleanly.
  for (int part = 0; part < 2; ++part) {
    EXPECT_EQ(cluster_->server(part).process().Wait(), 0)
        << cluster_->server(part).process().ReadLog();
  }
}

// The number of batches of the first epoch in a --metrics_out CSV.
int64_t BatchesOfFirstEpoch(const std::string& csv_path) {
  std::ifstream in(csv_path);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  const std::vector<std::string> names = absl::StrSplit(header, ',');
  const std::vector<std::string> values = absl::StrSplit(row, ',');
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (names[i] == "num_batches") return std::stoll(values[i]);
  }
  ADD_FAILURE() << "no num_batches column in " << csv_path << ": " << header;
  return -1;
}

// --batch_size is the global batch (each of 2 ranks takes 16 of 32 seeds:
// ceil(70 / 16) = 5 steps an epoch); --per_trainer_batch is DGL's meaning
// (32 seeds per rank: ceil(70 / 32) = 3 steps, a global batch of 64).
TEST_F(DistributedTrainerTest, PerTrainerBatchTakesBatchSizeSeedsPerRank) {
  StartServers();
  for (const bool per_trainer : {false, true}) {
    SCOPED_TRACE(per_trainer ? "--per_trainer_batch" : "global batch");
    const std::string csv = work_->Join(per_trainer ? "per_trainer.csv" : "global.csv");
    std::vector<std::string> extra = {"--batch_size=32", "--num_epochs=1", "--eval_every=-1"};
    if (per_trainer) extra.push_back("--per_trainer_batch");
    std::vector<std::string> extra0 = extra;
    extra0.push_back("--metrics_out=" + csv);
    std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0, extra0);
    std::unique_ptr<ChildProcess> rank1 = StartTrainer(1, 2, MasterPortOf(*rank0), extra);
    ASSERT_EQ(rank0->Wait(), 0) << rank0->ReadLog();
    ASSERT_EQ(rank1->Wait(), 0) << rank1->ReadLog();
    const nlohmann::json summary = Summary(rank0->ReadLog());
    const nlohmann::json& hyper = summary.at("hyperparameters");
    EXPECT_EQ(hyper.at("batch_size"), per_trainer ? 64 : 32);
    EXPECT_EQ(hyper.at("batch_size_per_trainer"), per_trainer ? 32 : 16);
    EXPECT_EQ(BatchesOfFirstEpoch(csv), per_trainer ? 3 : 5);
  }
}

TEST_F(DistributedTrainerTest, InProcessHomePartitionTrainsTheSameWay) {
  StartServers();
  const nlohmann::json summary0 =
      RunTwoRanksStoppingTheServers({"--local_partition=inprocess", "--num_epochs=50"});
  EXPECT_GE(summary0.at("final_test_acc").get<double>(), 0.7) << summary0;
  // Rank 0 reads partition 0 in process and partition 1 from its server.
  const nlohmann::json& transports = summary0.at("transports");
  EXPECT_EQ(transports.at(cluster_->addresses()[0].front()), "inprocess") << transports;
  EXPECT_EQ(transports.at(cluster_->addresses()[1].front()), "unix") << transports;
  // The in-process partition's server is shut down too.
  for (int part = 0; part < 2; ++part) {
    EXPECT_EQ(cluster_->server(part).process().Wait(), 0)
        << cluster_->server(part).process().ReadLog();
  }
}

// Each rank maps its home partition's segment from the server on this
// machine, and by default the other partition's too: the same answers as
// over gRPC, so the same model, bit for bit, with less through the servers.
TEST_F(DistributedTrainerTest, SharedMemoryPartitionsTrainTheSameModelAsTheServers) {
  struct Variant {
    std::vector<std::string> flags;
    std::string transport0, transport1;  // Of partition 0's and 1's server.
  };
  const Variant variants[] = {
      {{"--local_partition=shm"}, "shm", "shm"},
      {{"--local_partition=shm", "--map_other_local_partitions=false"}, "shm", "unix"},
      {{"--local_partition=server"}, "unix", "unix"},
  };
  std::vector<std::string> checksums;
  std::vector<int64_t> received;
  for (const Variant& variant : variants) {
    SCOPED_TRACE(absl::StrJoin(variant.flags, " "));
    StartServers();
    std::vector<std::string> flags = {"--num_epochs=10", "--eval_every=0"};
    flags.insert(flags.end(), variant.flags.begin(), variant.flags.end());
    const nlohmann::json summary0 = RunTwoRanksStoppingTheServers(flags);
    const nlohmann::json& transports = summary0.at("transports");
    EXPECT_EQ(transports.at(cluster_->addresses()[0].front()), variant.transport0) << transports;
    EXPECT_EQ(transports.at(cluster_->addresses()[1].front()), variant.transport1) << transports;
    checksums.push_back(summary0.at("param_checksum").dump());
    received.push_back(summary0.at("bytes_received").get<int64_t>());
  }
  EXPECT_EQ(checksums[0], checksums[2]);
  EXPECT_EQ(checksums[1], checksums[2]);
  // Rank 0 asked the servers for less the more partitions it mapped.
  EXPECT_LT(received[0], received[1]);
  EXPECT_LT(received[1], received[2]);
}

// Servers that publish nothing (--shm_dir=): auto says so and uses gRPC;
// shm refuses to start, saying why.
TEST_F(DistributedTrainerTest, AutoFallsBackToTheServerWhenNothingIsPublished) {
  StartServers({"--shm_dir="});
  std::unique_ptr<ChildProcess> refused = StartTrainer(0, 2, 0, {"--local_partition=shm"});
  EXPECT_EQ(refused->Wait(), 1);
  EXPECT_NE(refused->ReadLog().find("--local_partition=shm: partition 0's server"),
            std::string::npos)
      << refused->ReadLog();

  std::unique_ptr<ChildProcess> rank0 =
      StartTrainer(0, 2, 0, {"--num_epochs=2", "--eval_every=0", "--shutdown_servers"});
  std::unique_ptr<ChildProcess> rank1 =
      StartTrainer(1, 2, MasterPortOf(*rank0), {"--num_epochs=2", "--eval_every=0"});
  ASSERT_EQ(rank0->Wait(), 0) << rank0->ReadLog();
  ASSERT_EQ(rank1->Wait(), 0) << rank1->ReadLog();
  EXPECT_NE(rank0->ReadLog().find("--local_partition=auto: reading partition 0 from its server "
                                  "over gRPC: partition 0's server "),
            std::string::npos)
      << rank0->ReadLog();
  EXPECT_NE(rank0->ReadLog().find("publishes no shared-memory segment"), std::string::npos);
  // Kept in a variable: a range-for over a temporary summary's items()
  // would read it after its destruction.
  const nlohmann::json summary = Summary(rank0->ReadLog());
  for (const auto& [address, transport] : summary.at("transports").items()) {
    EXPECT_EQ(transport, "unix") << address;
  }
}

TEST_F(DistributedTrainerTest, ServerThatNeverStartsIsNamed) {
  ip_config_ = WriteIpConfig(
      {{absl::StrCat("127.0.0.1:", FreePort())}, {absl::StrCat("127.0.0.1:", FreePort())}});
  std::unique_ptr<ChildProcess> trainer = StartTrainer(0, 1, 0, {"--connect_timeout_s=2"});
  EXPECT_NE(trainer->Wait(), 0);
  const std::string log = trainer->ReadLog();
  EXPECT_NE(log.find("partition 0"), std::string::npos) << log;
  EXPECT_NE(log.find("127.0.0.1:"), std::string::npos) << log;
}

// A server killed and started again mid-training (as systemd or launch
// would restart it) does not end the run: the trainers retry their calls
// until it is back, and since sampling is a function of (seed, node), the
// run ends with an undisturbed run's parameters. (Rank 0 reads partition 1
// through its server: a mapped partition would need no server.) The kill
// must land before the run ends: the trainers are stopped (SIGSTOP) from
// epoch 3 until the server is dead, so they go on against a dead server
// however fast their epochs are (with a plain race, 120 epochs of ~10 ms
// under ctest -j2 once ended before the kill: no retry logged).
TEST_F(DistributedTrainerTest, ServerRestartedMidTrainingDoesNotChangeTheResult) {
  StartServers();
  const std::vector<std::string> schedule = {"--num_epochs=120", "--eval_every=0",
                                             "--map_other_local_partitions=false"};
  const nlohmann::json undisturbed = RunTwoRanks(schedule, /*stop_servers=*/false);
  ASSERT_FALSE(HasFailure());

  std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0, schedule);
  std::unique_ptr<ChildProcess> rank1 = StartTrainer(1, 2, MasterPortOf(*rank0), schedule);
  ASSERT_NE(rank0->WaitForLogLine("Epoch 3 "), "") << rank0->ReadLog();
  rank0->Signal(SIGSTOP);
  rank1->Signal(SIGSTOP);
  cluster_->server(1).process().Signal(SIGKILL);
  ASSERT_EQ(cluster_->server(1).process().Wait(), 128 + SIGKILL);
  rank0->Signal(SIGCONT);
  rank1->Signal(SIGCONT);
  cluster_->Restart(1);
  ASSERT_EQ(rank0->Wait(), 0) << rank0->ReadLog();
  ASSERT_EQ(rank1->Wait(), 0) << rank1->ReadLog();
  const std::string logs = rank0->ReadLog() + rank1->ReadLog();
  EXPECT_NE(logs.find("on partition 1: server 127.0.0.1:"), std::string::npos) << logs;
  EXPECT_NE(logs.find("retrying on it"), std::string::npos) << logs;
  EXPECT_NE(logs.find("on partition 1: served by"), std::string::npos) << logs;
  EXPECT_EQ(Summary(rank0->ReadLog()).at("param_checksum"), undisturbed.at("param_checksum"));
  EXPECT_EQ(Summary(rank1->ReadLog()).at("param_checksum"), undisturbed.at("param_checksum"));
}

// A trainer reading a partition through its server fails when that server
// dies and does not come back. (Mapped partitions need no server once
// mapped: with every partition mapped, as --map_other_local_partitions does
// on one machine, training would go on.)
TEST_F(DistributedTrainerTest, ServerThatDiesMidTrainingFailsTheTrainers) {
  StartServers();
  const std::vector<std::string> flags = {"--num_epochs=100000", "--server_restart_timeout_s=2",
                                          "--map_other_local_partitions=false"};
  std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0, flags);
  const int port = MasterPortOf(*rank0);
  std::unique_ptr<ChildProcess> rank1 = StartTrainer(1, 2, port, flags);
  ASSERT_NE(rank0->WaitForLogLine("Epoch 3 "), "") << rank0->ReadLog();
  cluster_->server(1).process().Signal(SIGKILL);
  // Both fail (not hang): one sees the dead server, the other its peer leave
  // or the dead server.
  EXPECT_NE(rank0->Wait(), 0);
  EXPECT_NE(rank1->Wait(), 0);
  const std::string logs = rank0->ReadLog() + rank1->ReadLog();
  EXPECT_NE(logs.find("partition 1"), std::string::npos) << logs;
  // The calls were retried for --server_restart_timeout_s before giving up.
  EXPECT_NE(logs.find("no server of the partition came back within 2s"), std::string::npos) << logs;
}

TEST_F(DistributedTrainerTest, TrainerThatDiesFailsTheOthers) {
  StartServers();
  std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0, {"--num_epochs=100000"});
  const int port = MasterPortOf(*rank0);
  std::unique_ptr<ChildProcess> rank1 = StartTrainer(1, 2, port, {"--num_epochs=100000"});
  ASSERT_NE(rank1->WaitForLogLine("Epoch 3 "), "") << rank1->ReadLog();
  rank1->Signal(SIGKILL);
  EXPECT_NE(rank0->Wait(), 0);
  const std::string log = rank0->ReadLog();
  EXPECT_NE(log.find("all-reduce failed"), std::string::npos) << log;
}

TEST_F(DistributedTrainerTest, RanksWithDifferentModelFlagsStop) {
  StartServers();
  // Another model shape, or one rank resuming while the other starts afresh.
  for (const std::vector<std::string>& other :
       {std::vector<std::string>{"--num_hidden=32"},
        std::vector<std::string>{"--checkpoint_dir=" + work_->Join("ckpt"), "--resume"}}) {
    std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0);
    const int port = MasterPortOf(*rank0);
    std::unique_ptr<ChildProcess> rank1 = StartTrainer(1, 2, port, other);
    EXPECT_EQ(rank0->Wait(), 1) << other.front();
    EXPECT_EQ(rank1->Wait(), 1) << other.front();
    EXPECT_NE(rank0->ReadLog().find("rank 1 was started with other model or schedule flags"),
              std::string::npos)
        << rank0->ReadLog();
  }
}

// With --precision auto (the default) a rank that could compute in bf16
// follows a rank that computes in fp32 instead of stopping over the
// difference: here one rank is given fp32, as a rank on a CPU without bf16
// units would choose it (on such a CPU both ranks compute in fp32 anyway).
TEST_F(DistributedTrainerTest, AutoPrecisionSettlesOnFp32WhenAnyRankComputesInFp32) {
  StartServers();
  std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0, {"--shutdown_servers"});
  std::unique_ptr<ChildProcess> rank1 =
      StartTrainer(1, 2, MasterPortOf(*rank0), {"--precision=fp32"});
  ASSERT_EQ(rank0->Wait(), 0) << rank0->ReadLog();
  ASSERT_EQ(rank1->Wait(), 0) << rank1->ReadLog();
  const nlohmann::json summary0 = Summary(rank0->ReadLog());
  EXPECT_EQ(summary0.at("hyperparameters").at("precision"), "fp32");
  EXPECT_EQ(summary0.at("feature_wire_dtype"), "float32");
  EXPECT_EQ(Summary(rank1->ReadLog()).at("param_checksum"), summary0.at("param_checksum"));
  EXPECT_EQ(rank0->ReadLog().find("trainer rank 1 computes in fp32") != std::string::npos,
            DetectBf16Support().matrix_units())
      << rank0->ReadLog();
}

// Both trainers killed (SIGKILL, by the fault hook after their 7th batch:
// one batch per epoch, so after the epoch-6 checkpoint) and started again
// with --resume finish with the parameters of an undisturbed run; the
// servers stay up throughout.
TEST_F(DistributedTrainerTest, KilledJobResumesFromEveryRanksCheckpointToTheSameParameters) {
  StartServers();
  // Each rank maps only its home partition's segment, as on machines of
  // their own, and pulls the other's rows as bfloat16.
  const std::vector<std::string> schedule = {"--num_epochs=10", "--eval_every=0",
                                             "--map_other_local_partitions=false",
                                             "--feature_wire_dtype=bfloat16"};
  const nlohmann::json undisturbed = RunTwoRanks(schedule, /*stop_servers=*/false);
  EXPECT_EQ(undisturbed.at("feature_wire_dtype"), "bfloat16");
  ASSERT_FALSE(HasFailure());

  std::vector<std::string> checkpointed = schedule;
  checkpointed.push_back("--checkpoint_dir=" + work_->Join("checkpoints"));
  checkpointed.push_back("--checkpoint_every=3");
  // The hook's variable reaches the trainers only (through the ChildProcess
  // environment, which copies this process's).
  setenv("DISTSAGE_TRAINER_KILL_AFTER_BATCHES", "7", 1);
  std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0, checkpointed);
  std::unique_ptr<ChildProcess> rank1 = StartTrainer(1, 2, MasterPortOf(*rank0), checkpointed);
  EXPECT_EQ(rank0->Wait(), 128 + SIGKILL) << rank0->ReadLog();
  EXPECT_EQ(rank1->Wait(), 128 + SIGKILL) << rank1->ReadLog();
  unsetenv("DISTSAGE_TRAINER_KILL_AFTER_BATCHES");
  // Each rank's checkpoint says which partitions' float32 rows reached it
  // rounded (on the bfloat16 wire): the other rank's, not its own, which it
  // reads in place from its server's segment. The ranks differ in it and
  // still resume together.
  for (int rank = 0; rank < 2; ++rank) {
    const std::string rank_dir = work_->Join(absl::StrCat("checkpoints/rank-", rank));
    const std::string current =
        std::string(absl::StripTrailingAsciiWhitespace(testing::ReadFile(rank_dir + "/CURRENT")));
    const nlohmann::json state =
        nlohmann::json::parse(testing::ReadFile(rank_dir + "/" + current + "/state.json"));
    const nlohmann::json plan = nlohmann::json::parse(state.at("plan").get<std::string>());
    EXPECT_EQ(plan.value("feature_rows_rounded_to_bfloat16", nlohmann::json()),
              nlohmann::json::array({1 - rank}))
        << plan;
  }

  checkpointed.push_back("--resume");
  const nlohmann::json resumed = RunTwoRanksStoppingTheServers(checkpointed);
  EXPECT_EQ(resumed.at("resumed_from_epoch"), 6);
  EXPECT_EQ(resumed.at("param_checksum"), undisturbed.at("param_checksum"));
}

// Node embeddings held by the two graph servers' KV stores, trained by two
// trainers: each step the ranks' gradients of a row are summed in rank
// order by one rank, which pushes the row once
// (trainer/sparse_gradient_exchange.h), so two undisturbed runs end with the
// same model, bit for bit, and reach an accuracy well above chance without
// any feature. Both trainers killed (by the fault hook after their 35th
// batch: one batch per epoch, so after the epoch-30 checkpoint) and started
// again with --resume also end there: the checkpoints saved the embeddings
// on the servers (labelled with the epoch), and the resumed run loads the
// save of the checkpoint it resumes from, discarding what the killed run
// pushed after it.
TEST_F(DistributedTrainerTest, NodeEmbeddingsTrainDeterministicallyAndResumeInTheServersKvStores) {
  const std::vector<std::string> run = {
      "--feature_name=", "--feature_norm=none", "--node_embedding_dim=32", "--sparse_lr=0.05",
      "--lr=0.01",       "--num_epochs=40",     "--eval_every=0"};
  // Fresh servers for every run: KV tensors outlive the trainers, and a
  // fresh store starts every run from the same embeddings.
  std::vector<nlohmann::json> undisturbed;
  for (int attempt = 0; attempt < 2; ++attempt) {
    StartServers();
    undisturbed.push_back(RunTwoRanksStoppingTheServers(run));
    cluster_.reset();
  }
  ASSERT_FALSE(HasFailure());
  EXPECT_GE(undisturbed[0].at("final_test_acc").get<double>(), 0.35) << undisturbed[0];
  EXPECT_EQ(undisturbed[1].at("param_checksum"), undisturbed[0].at("param_checksum"));
  EXPECT_EQ(undisturbed[1].at("final_test_acc"), undisturbed[0].at("final_test_acc"));

  StartServers();
  std::vector<std::string> checkpointed = run;
  checkpointed.push_back("--checkpoint_dir=" + work_->Join("checkpoints"));
  checkpointed.push_back("--checkpoint_every=10");
  setenv("DISTSAGE_TRAINER_KILL_AFTER_BATCHES", "35", 1);
  std::unique_ptr<ChildProcess> rank0 = StartTrainer(0, 2, 0, checkpointed);
  std::unique_ptr<ChildProcess> rank1 = StartTrainer(1, 2, MasterPortOf(*rank0), checkpointed);
  EXPECT_EQ(rank0->Wait(), 128 + SIGKILL) << rank0->ReadLog();
  EXPECT_EQ(rank1->Wait(), 128 + SIGKILL) << rank1->ReadLog();
  unsetenv("DISTSAGE_TRAINER_KILL_AFTER_BATCHES");

  checkpointed.push_back("--resume");
  const nlohmann::json resumed = RunTwoRanksStoppingTheServers(checkpointed);
  EXPECT_EQ(resumed.at("resumed_from_epoch"), 30);
  EXPECT_EQ(resumed.at("param_checksum"), undisturbed[0].at("param_checksum"));
}

// A model computing in bf16 rounds its input rows to bf16 itself, so by
// default (--feature_wire_dtype=auto) the servers send them rounded: the
// same run, bit for bit, in fewer bytes.
TEST_F(DistributedTrainerTest, Bf16ModelTakesItsRowsFromTheServersAsBf16) {
  StartServers();
  const std::vector<std::string> bf16 = {"--precision=bf16",    "--allow_emulated_bf16",
                                         "--feature_norm=none", "--local_partition=server",
                                         "--num_epochs=3",      "--eval_every=0"};
  std::vector<std::string> float32_rows = bf16;
  float32_rows.push_back("--feature_wire_dtype=float32");
  const nlohmann::json wide = RunTwoRanks(float32_rows, /*stop_servers=*/false);
  const nlohmann::json halved = RunTwoRanks(bf16, /*stop_servers=*/false);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(wide.at("feature_wire_dtype"), "float32");
  EXPECT_EQ(halved.at("feature_wire_dtype"), "bfloat16");
  EXPECT_EQ(halved.at("param_checksum"), wide.at("param_checksum"));
  EXPECT_LT(halved.at("bytes_received").get<double>(),
            0.75 * wide.at("bytes_received").get<double>())
      << halved.dump() << "\n"
      << wide.dump();
}

// The whole job under mutual TLS (certificates by deploy/make_certs): both
// trainers reach the accuracy floor, and rank 0's client certificate is the
// credential that lets it stop the servers.
TEST_F(DistributedTrainerTest, TwoTrainersUnderMutualTlsReachTheFloor) {
  const std::string certs = work_->Join("certs");
  testing::MakeLoopbackCertificates(certs);
  ASSERT_FALSE(HasFailure());
  StartServers({"--tls_cert", certs + "/server-127.0.0.1.pem", "--tls_key",
                certs + "/server-127.0.0.1-key.pem", "--tls_ca", certs + "/ca.pem"});
  const nlohmann::json summary = RunTwoRanksStoppingTheServers(
      {"--tls_ca=" + certs + "/ca.pem", "--tls_cert=" + certs + "/client.pem",
       "--tls_key=" + certs + "/client-key.pem"});
  EXPECT_GE(summary.at("final_test_acc").get<double>(), 0.79) << summary.dump();
  for (int part = 0; part < 2; ++part) {
    EXPECT_EQ(cluster_->server(part).process().Wait(), 0)
        << cluster_->server(part).process().ReadLog();
    EXPECT_NE(cluster_->server(part).process().ReadLog().find("mutual TLS"), std::string::npos);
  }
}

TEST_F(DistributedTrainerTest, BadDistributedFlags) {
  StartServers();
  struct Case {
    std::vector<std::string> flags;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"--rank=2"}, "--rank"},
      {{"--standalone"}, "--standalone"},
      {{"--part_id=5"}, "--part_id=5"},
      {{"--local_partition=bogus"}, "--local_partition=bogus"},
  };
  for (const Case& c : cases) {
    std::unique_ptr<ChildProcess> trainer = StartTrainer(0, 2, 0, c.flags);
    EXPECT_EQ(trainer->Wait(), 1) << c.flags.front();
    EXPECT_NE(trainer->ReadLog().find(c.expected), std::string::npos)
        << c.flags.front() << ": " << trainer->ReadLog();
  }
}

}  // namespace
}  // namespace distsage
