// copy_partitions and launch the way a user runs them: Cora partitioned in 2
// by partition_graph, two machines reached over a real sshd (SshMachines),
// real graph_server and trainer processes on both, and checks of what is on
// each machine's disk and which processes are left.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/common/test_util.h"
#include "tests/deploy/ssh_machines.h"
#include "tests/server/server_cluster.h"

namespace distsage {
namespace {

using testing::BinPath;
using testing::ChildProcess;
using testing::CommandResult;
using testing::FreePort;
using testing::PartitionDataset;
using testing::ProcessesOfJob;
using testing::ReadFile;
using testing::RunCommand;
using testing::SshMachines;
using testing::TempDir;
namespace fs = std::filesystem;

// Waits for `process` to exit, at most `timeout`; kills it (a test failure)
// when it does not. Returns its exit code.
int WaitAtMost(ChildProcess& process, std::chrono::seconds timeout) {
  process.WaitForLogLine("\x01 never printed", timeout);
  if (process.running()) {
    ADD_FAILURE() << "still running after " << timeout.count() << " s:\n" << process.ReadLog();
    process.Signal(SIGKILL);
  }
  return process.Wait();
}

// The processes of `job` still there after the grace a stop may take.
std::vector<std::string> LeftOver(const std::string& job) {
  std::vector<std::string> left;
  for (int i = 0; i < 50; ++i) {
    left = ProcessesOfJob(job);
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return left;
}

class ClusterToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    machines_ = std::make_unique<SshMachines>(dir_.Join("machines"));
    if (!machines_->skip_reason().empty()) GTEST_SKIP() << machines_->skip_reason();
    config_ = PartitionDataset("cora", 2, dir_.Join("data"));
    ASSERT_FALSE(config_.empty());
    // Machine i serves partition i on a port free now.
    ip_config_ = dir_.Join("ip_config.txt");
    std::ofstream(ip_config_) << "127.0.0.1 " << FreePort() << "\n127.0.0.2 " << FreePort() << "\n";
    workspace_ = machines_->workspace_root() + "/" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  void TearDown() override { machines_.reset(); }

  std::vector<std::string> CopyPartitionsArgv() const {
    std::vector<std::string> argv = {
        BinPath("copy_partitions"), "--ip_config", ip_config_,      "--workspace", workspace_,
        "--rel_data_path",          "cora",        "--part_config", config_};
    for (const std::string& flag : machines_->SshFlags()) argv.push_back(flag);
    return argv;
  }

  // launch in DGL's command line shape: one trainer per machine
  // (--num_client 2), the trainer command one string with DGL's hyphenated
  // spellings, `epochs` epochs of the README's Cora recipe.
  // With `tls_dir` (relative to the workspace), the job runs under mutual TLS.
  std::unique_ptr<ChildProcess> StartLaunch(const std::string& job, int epochs,
                                            const std::string& tls_dir = "") {
    std::vector<std::string> argv = {BinPath("launch"),
                                     "--workspace",
                                     workspace_,
                                     "--num_client",
                                     "2",
                                     "--part_config",
                                     "cora/cora.json",
                                     "--ip_config",
                                     ip_config_,
                                     "--bin_dir",
                                     fs::path(BinPath("trainer")).parent_path(),
                                     "--job_name",
                                     job,
                                     "--stop_grace_s",
                                     "10"};
    for (const std::string& flag : machines_->SshFlags()) argv.push_back(flag);
    if (!tls_dir.empty()) {
      argv.push_back("--tls_dir");
      argv.push_back(tls_dir);
    }
    argv.push_back(absl::StrCat("trainer --graph-name cora --ip_config ip_config.txt --num-epochs ",
                                epochs,
                                " --batch-size 1000 --lr 0.01 --weight_decay 5e-4 --feature_norm "
                                "row --input_dropout 0.5 --eval_every 0 "
                                "--seed 0 --num_threads 1"));
    return std::make_unique<ChildProcess>(argv, dir_.Join(job + ".log"));
  }

  // Copies the partitions for a launch test.
  void CopyPartitions() {
    const CommandResult copy = RunCommand(CopyPartitionsArgv());
    ASSERT_EQ(copy.exit_code, 0) << copy.output;
  }

  // The pid of trainer `rank` of `job` (0 when there is none yet).
  static pid_t TrainerOfJob(const std::string& job, int rank) {
    for (const std::string& process : ProcessesOfJob(job)) {
      const std::string pid = process.substr(0, process.find(' '));
      const std::string environ = ReadFile("/proc/" + pid + "/environ");
      const std::string cmdline = ReadFile("/proc/" + pid + "/cmdline");
      if (cmdline.rfind("trainer", 0) == 0 &&
          environ.find(absl::StrCat("RANK=", rank, std::string(1, '\0'))) != std::string::npos) {
        return std::stoi(pid);
      }
    }
    return 0;
  }

  TempDir dir_;
  std::unique_ptr<SshMachines> machines_;
  std::string config_;
  std::string ip_config_;
  std::string workspace_;
};

// The files of a folder, relative to it, sorted.
std::vector<std::string> FilesUnder(const std::string& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST_F(ClusterToolsTest, CopyPartitionsGivesEachMachineItsPartitionThenMovesOnlyWhatChanged) {
  const CommandResult first = RunCommand(CopyPartitionsArgv());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::string source = fs::path(config_).parent_path();
  for (int machine = 0; machine < 2; ++machine) {
    const std::string copy = machines_->LocalPathOf(machine, workspace_ + "/cora");
    ASSERT_TRUE(fs::is_symlink(copy)) << copy;
    // The config, the ID map, this machine's partition and the manifest;
    // not the other machine's partition.
    EXPECT_TRUE(fs::is_regular_file(copy + "/cora.json"));
    EXPECT_TRUE(fs::is_regular_file(copy + "/orig_node_ids.bin"));
    EXPECT_TRUE(fs::is_regular_file(copy + "/.distsage-manifest.sha256"));
    EXPECT_TRUE(fs::is_directory(copy + "/part" + std::to_string(machine)));
    EXPECT_FALSE(fs::exists(copy + "/part" + std::to_string(1 - machine)));
    for (const std::string& file : FilesUnder(copy + "/part" + std::to_string(machine))) {
      const std::string relative = "part" + std::to_string(machine) + "/" + file;
      EXPECT_EQ(ReadFile(copy + "/" + relative), ReadFile(source + "/" + relative)) << relative;
    }
    EXPECT_EQ(ReadFile(copy + "/cora.json"), ReadFile(config_));
    EXPECT_EQ(ReadFile(machines_->LocalPathOf(machine, workspace_ + "/ip_config.txt")),
              ReadFile(ip_config_));
  }
  EXPECT_NE(first.output.find("machine 127.0.0.1: copied"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("machine 127.0.0.2: copied"), std::string::npos) << first.output;
  const std::string target0 = fs::read_symlink(machines_->LocalPathOf(0, workspace_ + "/cora"));
  const std::string target1 = fs::read_symlink(machines_->LocalPathOf(1, workspace_ + "/cora"));

  // Again: nothing moves, and it says so.
  const CommandResult again = RunCommand(CopyPartitionsArgv());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("machine 127.0.0.1: up to date"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("machine 127.0.0.2: up to date"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("all 2 machine(s) up to date; nothing copied"), std::string::npos)
      << again.output;
  EXPECT_EQ(again.output.find(" sent "), std::string::npos) << again.output;
  EXPECT_EQ(fs::read_symlink(machines_->LocalPathOf(0, workspace_ + "/cora")), target0);
  EXPECT_EQ(fs::read_symlink(machines_->LocalPathOf(1, workspace_ + "/cora")), target1);

  // One file of partition 1 changes: only it moves, to machine 1 only.
  const std::string changed = "part1/" + FilesUnder(source + "/part1").back();
  std::ofstream(source + "/" + changed, std::ios::app) << "changed";
  const CommandResult update = RunCommand(CopyPartitionsArgv());
  ASSERT_EQ(update.exit_code, 0) << update.output;
  EXPECT_NE(update.output.find("machine 127.0.0.1: up to date"), std::string::npos)
      << update.output;
  EXPECT_NE(update.output.find("machine 127.0.0.2: copied 1 changed file(s) of 10, verified by "
                               "sha256sum"),
            std::string::npos)
      << update.output;
  EXPECT_NE(update.output.find("sent " + changed + "\n"), std::string::npos) << update.output;
  std::vector<std::string> sent;
  for (absl::string_view line : absl::StrSplit(update.output, '\n')) {
    if (absl::StrContains(line, " sent ")) sent.emplace_back(line);
  }
  EXPECT_EQ(sent.size(), 1u) << update.output;
  const std::string copy1 = machines_->LocalPathOf(1, workspace_ + "/cora");
  EXPECT_EQ(ReadFile(copy1 + "/" + changed), ReadFile(source + "/" + changed));
  EXPECT_NE(ReadFile(copy1 + "/.distsage-manifest.sha256").find(changed), std::string::npos);
  // The new copy replaced the old one, which is gone.
  EXPECT_NE(std::string(fs::read_symlink(copy1)), target1);
  const fs::path copies = machines_->LocalPathOf(1, workspace_ + "/.cora.copies");
  EXPECT_EQ(std::distance(fs::directory_iterator(copies), fs::directory_iterator()), 1);
}

TEST_F(ClusterToolsTest, CopyPartitionsNamesTheMachineAndStepOfAFailure) {
  std::vector<std::string> argv = CopyPartitionsArgv();
  // No ip_config.
  argv[2] = dir_.Join("missing_ip_config.txt");
  CommandResult result = RunCommand(argv);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("cannot read ip_config '" + argv[2] + "'"), std::string::npos)
      << result.output;

  // A machine where no sshd listens: named, with the step; the other machine
  // is still copied.
  const std::string unreachable = dir_.Join("unreachable_ip_config.txt");
  std::ofstream(unreachable) << "127.0.0.1 30050\n127.0.0.3 30050\n";
  argv = CopyPartitionsArgv();
  argv[2] = unreachable;
  result = RunCommand(argv);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("machine 127.0.0.3: FAILED at step connect"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("machine 127.0.0.1: copied"), std::string::npos) << result.output;

  // A login shell that prints on stdout, where rsync's protocol runs:
  // refused before anything is sent, naming what it printed and how to
  // quiet it.
  machines_->SetLoginPrintsOnStdout(true);
  result = RunCommand(CopyPartitionsArgv());
  machines_->SetLoginPrintsOnStdout(false);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("machine 127.0.0.2: FAILED at step connect: the login shell there "
                               "prints on stdout before it runs a command ('Welcome! (a login rc "
                               "file printing on stdout)')"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("case $- in *i*) ;; *) return ;; esac"), std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(machines_->LocalPathOf(1, workspace_ + "/cora")));

  // A partition folder that is missing here.
  fs::rename(fs::path(config_).parent_path() / "part1", dir_.Join("part1_moved"));
  result = RunCommand(CopyPartitionsArgv());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("partition 1's folder"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("is missing"), std::string::npos) << result.output;
}

// The whole job under mutual TLS: certificates from deploy/make_certs in
// each machine's workspace (--tls_dir).
TEST_F(ClusterToolsTest, LaunchTrainsOnTwoMachinesAndLeavesNothingRunning) {
  CopyPartitions();
  const CommandResult certs = RunCommand({BinPath("make_certs"), ip_config_, workspace_ + "/tls"});
  ASSERT_EQ(certs.exit_code, 0) << certs.output;
  // Machine 1 has its own disk: the certificates are copied there too.
  fs::copy(workspace_ + "/tls", machines_->LocalPathOf(1, workspace_ + "/tls"),
           fs::copy_options::recursive);
  const std::string job = "launch-test-" + std::to_string(getpid());
  std::unique_ptr<ChildProcess> launch = StartLaunch(job, 60, "tls");
  ASSERT_EQ(WaitAtMost(*launch, std::chrono::seconds(400)), 0) << launch->ReadLog();
  const std::string log = launch->ReadLog();

  // Every process's output, prefixed with its machine and role.
  for (const char* prefix : {"[127.0.0.1 server0] ", "[127.0.0.2 server1] ",
                             "[127.0.0.1 trainer0] ", "[127.0.0.2 trainer1] "}) {
    EXPECT_NE(log.find(prefix), std::string::npos) << prefix << "\n" << log;
  }
  // Rank 0's JSON summary: both ranks, trained to a useful accuracy.
  nlohmann::json summary;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::ConsumePrefix(&line, "[127.0.0.1 trainer0] {")) {
      summary = nlohmann::json::parse(absl::StrCat("{", line));
    }
  }
  ASSERT_FALSE(summary.empty()) << log;
  EXPECT_EQ(summary.at("mode"), "distributed");
  EXPECT_EQ(summary.at("world_size"), 2);
  EXPECT_GE(summary.at("final_test_acc").get<double>(), 0.74) << log;
  // The servers were shut down at the end, cleanly.
  EXPECT_NE(log.find("graph_server stopped: server_id 0"), std::string::npos) << log;
  EXPECT_NE(log.find("graph_server stopped: server_id 1"), std::string::npos) << log;
  EXPECT_NE(log.find(", mutual TLS)"), std::string::npos) << log;
  EXPECT_NE(log.find("launch: job " + job + " done"), std::string::npos) << log;
  EXPECT_EQ(LeftOver(job), std::vector<std::string>{});
}

TEST_F(ClusterToolsTest, KilledRemoteTrainerStopsTheWholeJob) {
  CopyPartitions();
  const std::string job = "kill-test-" + std::to_string(getpid());
  std::unique_ptr<ChildProcess> launch = StartLaunch(job, 100000);
  ASSERT_NE(
      launch->WaitForLogLine("[127.0.0.2 trainer1] [rank 1] Epoch 2 ", std::chrono::seconds(180)),
      "")
      << launch->ReadLog();
  const pid_t trainer1 = TrainerOfJob(job, 1);
  ASSERT_GT(trainer1, 0) << absl::StrJoin(ProcessesOfJob(job), "\n");
  ASSERT_EQ(kill(trainer1, SIGKILL), 0);

  EXPECT_EQ(WaitAtMost(*launch, std::chrono::seconds(60)), 128 + SIGKILL) << launch->ReadLog();
  EXPECT_NE(launch->ReadLog().find("[127.0.0.2 trainer1] failed: exit 137"), std::string::npos)
      << launch->ReadLog();
  EXPECT_EQ(LeftOver(job), std::vector<std::string>{});
}

TEST_F(ClusterToolsTest, SigtermToLaunchStopsTheWholeJob) {
  CopyPartitions();
  const std::string job = "sigterm-test-" + std::to_string(getpid());
  std::unique_ptr<ChildProcess> launch = StartLaunch(job, 100000);
  ASSERT_NE(
      launch->WaitForLogLine("[127.0.0.2 trainer1] [rank 1] Epoch 2 ", std::chrono::seconds(180)),
      "")
      << launch->ReadLog();
  ASSERT_GE(ProcessesOfJob(job).size(), 4u) << absl::StrJoin(ProcessesOfJob(job), "\n");
  launch->Signal(SIGTERM);

  EXPECT_EQ(WaitAtMost(*launch, std::chrono::seconds(60)), 128 + SIGTERM) << launch->ReadLog();
  EXPECT_NE(launch->ReadLog().find("got SIGTERM; stopping every process"), std::string::npos);
  EXPECT_EQ(LeftOver(job), std::vector<std::string>{});
}

TEST_F(ClusterToolsTest, LaunchNamesWhatIsMissing) {
  // Nothing copied yet: the workspace has no partition config.
  std::vector<std::string> argv = {BinPath("launch"), "--workspace", workspace_,
                                   "--ip_config",     ip_config_,    "--part_config",
                                   "cora/cora.json"};
  for (const std::string& flag : machines_->SshFlags()) argv.push_back(flag);
  argv.insert(argv.end(), {"--", "trainer", "--num_epochs", "1"});
  fs::create_directories(machines_->LocalPathOf(0, workspace_));
  fs::create_directories(machines_->LocalPathOf(1, workspace_));
  CommandResult result = RunCommand(argv);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("machine 127.0.0.1: preflight failed: no partition config " +
                               workspace_ + "/cora/cora.json (run copy_partitions first)"),
            std::string::npos)
      << result.output;

  argv[4] = dir_.Join("missing_ip_config.txt");
  result = RunCommand(argv);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("cannot read ip_config"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace distsage
