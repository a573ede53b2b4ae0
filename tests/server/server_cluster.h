// Runs graph_server the way a user does, for integration tests: partitions a
// bundled dataset with partition_graph, starts one real server process per
// partition on loopback (ephemeral ports, read back from the ready line).
#ifndef DISTSAGE_TESTS_SERVER_SERVER_CLUSTER_H_
#define DISTSAGE_TESTS_SERVER_SERVER_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/common/test_util.h"

namespace distsage::testing {

// Runs partition_graph on bundled dataset `dataset` into `out_dir`; returns
// the config path ("" and a test failure when it fails).
std::string PartitionDataset(const std::string& dataset, int num_parts, const std::string& out_dir);

// Writes an ip_config.txt listing `num_machines` loopback machines (ports are
// irrelevant when servers are started with --listen).
std::string WriteLoopbackIpConfig(const std::string& path, int num_machines);

// Writes an ip_config.txt naming running servers, as a trainer is given:
// one "host port" line per partition of `addresses` (ServerCluster::
// addresses()), its first server's. Returns `path`.
std::string WriteIpConfig(const std::string& path,
                          const std::vector<std::vector<std::string>>& addresses);

// Runs deploy/make_certs for one loopback machine into `dir` (a new CA, the
// server certificate server-127.0.0.1.pem, the client's client.pem, keys
// beside them); a test failure when it fails.
void MakeLoopbackCertificates(const std::string& dir);

// One graph_server child process.
class GraphServerProcess {
 public:
  // Starts graph_server with `args` plus --logtostderr; log at `log_path`.
  // Its shared-memory segment goes to the log's folder unless `args` has a
  // --shm_dir.
  GraphServerProcess(const std::vector<std::string>& args, const std::string& log_path);
  // Waits for the ready line; returns the bound "host:port" ("" on failure).
  std::string WaitUntilReady();
  ChildProcess& process() { return process_; }
  const std::string& address() const { return address_; }

 private:
  ChildProcess process_;
  std::string address_;
};

// One server per partition of `config_path`, each on 127.0.0.1:0, with its
// Unix socket in `work_dir` (--uds_dir), not in the shared /tmp.
class ServerCluster {
 public:
  ServerCluster(const std::string& config_path, int num_parts, const std::string& work_dir,
                const std::vector<std::string>& extra_args = {});
  // addresses()[p] = {"127.0.0.1:port"} of partition p.
  std::vector<std::vector<std::string>> addresses() const;
  GraphServerProcess& server(int part) { return *servers_[part]; }
  // The servers' --uds_dir.
  const std::string& uds_dir() const { return work_dir_; }
  // Starts partition `part`'s server again on the same address (after it died).
  void Restart(int part);

 private:
  std::vector<std::string> ArgsFor(int part, const std::string& listen) const;

  std::string config_path_;
  std::string ip_config_;
  std::string work_dir_;
  std::vector<std::string> extra_args_;
  std::vector<std::unique_ptr<GraphServerProcess>> servers_;
  int restarts_ = 0;
};

}  // namespace distsage::testing

#endif  // DISTSAGE_TESTS_SERVER_SERVER_CLUSTER_H_
