// graph_server: serves one partition of a partitioned graph over gRPC
// (GraphService, plus reflection and the standard health service).
//
// Which partition and address, DGL's convention: with M machines in
// ip_config.txt and --num_servers S servers per machine, server_id K runs on
// machine m = K / S as that machine's local server s = K % S, serves
// partition m (the S servers of a machine are interchangeable backups of the
// same partition) and listens on the machine's IP at port base_port + s.
// --listen overrides the address (port 0 picks a free port; the ready line
// logs the real one).
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ip_config.h"
#include "common/partition_config.h"
#include "common/status_macros.h"
#include "glog/logging.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/graph_service.h"
#include "server/partition_store.h"

ABSL_FLAG(std::string, ip_config, "",
          "DGL ip_config.txt: one 'IP [PORT]' line per machine; machine i serves partition i");
ABSL_FLAG(std::string, part_config, "", "partition config JSON written by partition_graph");
ABSL_FLAG(int, server_id, 0, "this server's ID: machine * num_servers + local server index");
ABSL_FLAG(int, num_servers, 1, "servers per machine (backups of the machine's partition)");
ABSL_FLAG(std::string, listen, "",
          "host:port to listen on instead of the ip_config address; port 0 = any free port");
ABSL_FLAG(std::string, cache, "memory",
          "'memory': adjacency and features loaded into RAM; 'none': every lookup from RocksDB "
          "(for partitions larger than RAM)");
ABSL_FLAG(int64_t, block_cache_mb, 256,
          "RocksDB block cache size in MiB (bounds RAM with "
          "--cache none)");
ABSL_FLAG(int64_t, max_message_mb, 1024,
          "largest request or answer in MiB (at most 1024); larger ones fail with "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(int, shutdown_grace_s, 30,
          "on SIGTERM/SIGINT, how long in-flight calls may run before they are cancelled");

namespace distsage {
namespace {

struct Placement {
  int part = 0;
  std::string address;
};

absl::StatusOr<Placement> PlaceServer(const PartitionConfig& config) {
  const int num_servers = absl::GetFlag(FLAGS_num_servers);
  const int server_id = absl::GetFlag(FLAGS_server_id);
  if (num_servers < 1) return absl::InvalidArgumentError("--num_servers must be at least 1");
  const std::string ip_config = absl::GetFlag(FLAGS_ip_config);
  if (ip_config.empty()) {
    return absl::InvalidArgumentError("--ip_config is required (DGL ip_config.txt)");
  }
  DS_ASSIGN_OR_RETURN(std::vector<MachineAddress> machines, ReadIpConfig(ip_config));
  if (static_cast<int>(machines.size()) != config.num_parts()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ip_config, " lists ", machines.size(), " machines but graph '",
                     config.graph_name, "' has ", config.num_parts(),
                     " partitions; machine i serves partition i, so list one "
                     "machine per partition"));
  }
  const int num_ids = num_servers * static_cast<int>(machines.size());
  if (server_id < 0 || server_id >= num_ids) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server_id ", server_id, " is out of range: ", machines.size(),
                     " machines x ", num_servers, " servers give IDs 0..", num_ids - 1));
  }
  Placement placement;
  placement.part = server_id / num_servers;
  placement.address = absl::GetFlag(FLAGS_listen);
  if (placement.address.empty()) {
    placement.address = ServerAddress(machines[placement.part], server_id % num_servers);
  }
  return placement;
}

// "host:port" with the port gRPC actually bound.
std::string BoundAddress(const std::string& requested, int port) {
  const size_t colon = requested.rfind(':');
  return absl::StrCat(requested.substr(0, colon), ":", port);
}

int Run() {
  const std::string config_path = absl::GetFlag(FLAGS_part_config);
  if (config_path.empty()) {
    LOG(ERROR) << "--part_config is required (the JSON written by partition_graph)";
    return 2;
  }
  absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(config_path);
  if (!config.ok()) {
    LOG(ERROR) << config.status().message();
    return 1;
  }
  absl::StatusOr<Placement> placement = PlaceServer(*config);
  if (!placement.ok()) {
    LOG(ERROR) << placement.status().message();
    return 2;
  }
  PartitionStoreOptions store_options;
  absl::StatusOr<CacheMode> cache = ParseCacheMode(absl::GetFlag(FLAGS_cache));
  if (!cache.ok()) {
    LOG(ERROR) << "--cache: " << cache.status().message();
    return 2;
  }
  store_options.cache = *cache;
  store_options.block_cache_bytes = absl::GetFlag(FLAGS_block_cache_mb) << 20;
  const int64_t max_message_bytes =
      std::min(absl::GetFlag(FLAGS_max_message_mb) << 20, kMaxMessageBytes);

  const absl::Time load_start = absl::Now();
  absl::StatusOr<std::unique_ptr<PartitionStore>> store =
      PartitionStore::Open(*config, placement->part, store_options);
  if (!store.ok()) {
    LOG(ERROR) << "cannot serve partition " << placement->part << " of '" << config_path
               << "': " << store.status().message();
    return 1;
  }
  LOG(INFO) << "opened partition " << placement->part << " (" << (*store)->num_nodes()
            << " nodes, cache " << CacheModeName(store_options.cache) << ") in "
            << absl::FormatDuration(absl::Now() - load_start);

  const int server_id = absl::GetFlag(FLAGS_server_id);
  GraphServiceImpl service(*config, std::shared_ptr<const PartitionStore>(*std::move(store)),
                           server_id, max_message_bytes);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(placement->address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  // Requests are checked against max_message_bytes by the service; gRPC's own
  // limit only needs to let them through.
  builder.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kMaxMessageBytes));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    LOG(ERROR) << "cannot listen on " << placement->address
               << ": the address is in use or not local to this machine (see --listen)";
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus("distsage.GraphService", true);

  // SIGTERM/SIGINT are blocked in every thread (main blocked them before
  // gRPC started its threads); this one waits for them synchronously, so it
  // may call Shutdown, which a signal handler may not.
  std::thread signal_watcher([&server] {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    LOG(INFO) << "graph_server: signal " << signal_number
              << " received, draining in-flight calls and shutting down";
    server->GetHealthCheckService()->SetServingStatus(false);
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(absl::GetFlag(FLAGS_shutdown_grace_s)));
  });

  LOG(INFO) << "graph_server ready: graph '" << config->graph_name << "' partition "
            << placement->part << " server_id " << server_id << " listening on "
            << BoundAddress(placement->address, port) << " (cache "
            << CacheModeName(store_options.cache) << ")";
  server->Wait();
  signal_watcher.join();
  LOG(INFO) << "graph_server stopped: server_id " << server_id;
  return 0;
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  // Block the shutdown signals before any thread exists so that every thread
  // inherits the mask and only the watcher's sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::SetProgramUsageMessage(
      "Serves one partition of a graph over gRPC.\n"
      "  graph_server --ip_config ip_config.txt --part_config data/GRAPH.json --server_id K\n"
      "Server K runs on machine K / num_servers of ip_config and serves that machine's "
      "partition.");
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  return distsage::Run();
}
