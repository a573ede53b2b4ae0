#include "tests/server/server_cluster.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace distsage::testing {

std::string PartitionDataset(const std::string& dataset, int num_parts,
                             const std::string& out_dir) {
  const CommandResult result =
      RunCommand({BinPath("partition_graph"), "--dataset_dir", DatasetDir(dataset), "--num_parts",
                  std::to_string(num_parts), "--out", out_dir});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  for (const auto& entry : std::filesystem::directory_iterator(out_dir)) {
    if (entry.path().extension() == ".json") return entry.path().string();
  }
  ADD_FAILURE() << "partition_graph wrote no config into " << out_dir;
  return "";
}

std::string WriteLoopbackIpConfig(const std::string& path, int num_machines) {
  std::ofstream out(path);
  for (int m = 0; m < num_machines; ++m) out << "127.0.0.1 " << (30050 + 10 * m) << "\n";
  return path;
}

std::string WriteIpConfig(const std::string& path,
                          const std::vector<std::vector<std::string>>& addresses) {
  std::ofstream out(path);
  for (const std::vector<std::string>& servers : addresses) {
    const std::string& address = servers.front();
    const size_t colon = address.rfind(':');
    out << address.substr(0, colon) << " " << address.substr(colon + 1) << "\n";
  }
  return path;
}

void MakeLoopbackCertificates(const std::string& dir) {
  const std::string ip_config = WriteLoopbackIpConfig(dir + ".ip_config.txt", 1);
  const CommandResult made = RunCommand({BinPath("make_certs"), ip_config, dir});
  EXPECT_EQ(made.exit_code, 0) << made.output;
}

namespace {

// `args` with --shm_dir set to the log's folder right after the program, so
// that test servers publish their segments into the test's own scratch folder
// (removed with it) rather than /dev/shm; a later --shm_dir in `args` wins.
std::vector<std::string> WithScratchShmDir(std::vector<std::string> args,
                                           const std::string& log_path) {
  const std::string dir = std::filesystem::path(log_path).parent_path().string();
  args.insert(args.begin() + 1, "--shm_dir=" + dir);
  return args;
}

}  // namespace

GraphServerProcess::GraphServerProcess(const std::vector<std::string>& args,
                                       const std::string& log_path)
    : process_(WithScratchShmDir(args, log_path), log_path) {}

std::string GraphServerProcess::WaitUntilReady() {
  const std::string line = process_.WaitForLogLine("listening on ");
  const size_t at = line.find("listening on ");
  if (at == std::string::npos) {
    ADD_FAILURE() << "graph_server did not become ready:\n" << process_.ReadLog();
    return "";
  }
  const size_t begin = at + std::string("listening on ").size();
  address_ = line.substr(begin, line.find(' ', begin) - begin);
  return address_;
}

ServerCluster::ServerCluster(const std::string& config_path, int num_parts,
                             const std::string& work_dir,
                             const std::vector<std::string>& extra_args)
    : config_path_(config_path),
      ip_config_(WriteLoopbackIpConfig(work_dir + "/ip_config.txt", num_parts)),
      work_dir_(work_dir),
      extra_args_(extra_args) {
  for (int part = 0; part < num_parts; ++part) {
    servers_.push_back(std::make_unique<GraphServerProcess>(
        ArgsFor(part, "127.0.0.1:0"), work_dir + "/server" + std::to_string(part) + ".log"));
  }
  for (auto& server : servers_) server->WaitUntilReady();
}

std::vector<std::string> ServerCluster::ArgsFor(int part, const std::string& listen) const {
  std::vector<std::string> args = {BinPath("graph_server"),
                                   "--ip_config",
                                   ip_config_,
                                   "--part_config",
                                   config_path_,
                                   "--server_id",
                                   std::to_string(part),
                                   "--listen",
                                   listen,
                                   "--uds_dir",
                                   work_dir_};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  return args;
}

std::vector<std::vector<std::string>> ServerCluster::addresses() const {
  std::vector<std::vector<std::string>> addresses;
  for (const auto& server : servers_) addresses.push_back({server->address()});
  return addresses;
}

void ServerCluster::Restart(int part) {
  const std::string address = servers_[part]->address();
  servers_[part] = std::make_unique<GraphServerProcess>(
      ArgsFor(part, address), work_dir_ + "/server" + std::to_string(part) + ".restart" +
                                  std::to_string(++restarts_) + ".log");
  EXPECT_EQ(servers_[part]->WaitUntilReady(), address);
}

}  // namespace distsage::testing
