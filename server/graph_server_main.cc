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
//
// Besides TCP it listens on the Unix socket <--uds_dir>/distsage-graph-<port>.sock
// (server/unix_socket.h) for clients on the same machine. A socket file left
// by a server that died is replaced; one that a live server answers on is
// left alone and this server serves over TCP only. The file is removed at exit.
//
// SIGTERM, SIGINT and the Shutdown RPC take one path: stop accepting calls,
// drain the in-flight ones (up to --shutdown_grace_s), exit 0.
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
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
#include "server/unix_socket.h"

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
          "on SIGTERM/SIGINT or a Shutdown RPC, how long in-flight calls may run before they are "
          "cancelled");
ABSL_FLAG(bool, allow_shutdown_rpc, true,
          "whether clients may stop this server with the Shutdown RPC (as trainer "
          "--shutdown_servers does); false answers it with PERMISSION_DENIED");
ABSL_FLAG(std::string, uds_dir, distsage::kDefaultUnixSocketDir,
          "folder of the Unix socket distsage-graph-<tcp port>.sock this server also listens on, "
          "for clients on the same machine; empty: TCP only");

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

// The TCP port of "host:port", chosen now when it is 0. The Unix socket is
// named after the port and must be added before the server starts, so a free
// port is picked by binding a socket to it; that socket has SO_REUSEPORT, as
// gRPC's listening socket does, and is held (never listening, so it takes no
// connections) until gRPC has bound the same port: no other process can take
// the port in between. Close *reservation_fd once the server has started.
absl::StatusOr<int> ReservePort(const std::string& address, int* reservation_fd) {
  *reservation_fd = -1;
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", address, "' is not host:port"));
  }
  if (port != 0) return port;
  absl::string_view host = absl::string_view(address).substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string host_text(host);
  if (getaddrinfo(host_text.empty() ? nullptr : host_text.c_str(), "0", &hints, &found) != 0 ||
      found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve the host of listen address '", address, "'"));
  }
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  sockaddr_storage bound{};
  socklen_t bound_size = sizeof(bound);
  const bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == 0 &&
                  bind(fd, found->ai_addr, found->ai_addrlen) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_size) == 0;
  freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) close(fd);
    return absl::UnavailableError(absl::StrCat("cannot pick a free port on '", address,
                                               "': the address is not local to this machine"));
  }
  *reservation_fd = fd;
  return ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

// The Unix socket path to listen on for TCP port `port`, or "" for none (no
// --uds_dir, or a live server already owns that path). Removes a stale file.
absl::StatusOr<std::string> ClaimUnixSocket(int port) {
  const std::string dir = absl::GetFlag(FLAGS_uds_dir);
  if (dir.empty()) return std::string();
  const std::string path = GraphServerSocketPath(dir, port);
  absl::Status usable = CheckUnixSocketPath(path);
  if (!usable.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--uds_dir: ", usable.message(), "; pass another --uds_dir, or --uds_dir= for TCP only"));
  }
  if (UnixSocketAnswers(path)) {
    LOG(WARNING) << "another server already listens on unix:" << path
                 << "; this one serves over TCP only (give it its own --uds_dir to fix)";
    return std::string();
  }
  // Left by a server that was killed: nobody answers on it.
  unlink(path.c_str());
  return path;
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

  // A Shutdown call raises SIGTERM at this process: the watcher below takes
  // it like a signal from outside. Process-directed, it stays pending until
  // the watcher's sigwait takes it, however early the call comes.
  absl::Mutex shutdown_mutex;
  std::optional<std::string> shutdown_requester;  // Set by the first Shutdown call.
  service.SetShutdownHandler(
      [&](const std::string& requester, const std::string& peer) -> absl::Status {
        if (!absl::GetFlag(FLAGS_allow_shutdown_rpc)) {
          return absl::PermissionDeniedError(
              "this graph_server was started with --allow_shutdown_rpc=false; restart it without "
              "that flag to allow the Shutdown RPC, or stop it with SIGTERM");
        }
        {
          absl::MutexLock lock(&shutdown_mutex);
          if (!shutdown_requester.has_value()) {
            shutdown_requester = absl::StrCat("'", requester, "' (", peer, ")");
          }
        }
        kill(getpid(), SIGTERM);
        return absl::OkStatus();
      });

  int reservation_fd = -1;
  absl::StatusOr<int> tcp_port = ReservePort(placement->address, &reservation_fd);
  if (!tcp_port.ok()) {
    LOG(ERROR) << "cannot listen on " << placement->address << ": " << tcp_port.status().message();
    return 1;
  }
  const std::string listen_address = BoundAddress(placement->address, *tcp_port);
  absl::StatusOr<std::string> uds_path = ClaimUnixSocket(*tcp_port);
  if (!uds_path.ok()) {
    LOG(ERROR) << uds_path.status().message();
    return 2;
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen_address, grpc::InsecureServerCredentials(), &port);
  if (!uds_path->empty()) {
    builder.AddListeningPort("unix:" + *uds_path, grpc::InsecureServerCredentials());
  }
  builder.RegisterService(&service);
  // Requests are checked against max_message_bytes by the service; gRPC's own
  // limit only needs to let them through.
  builder.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kMaxMessageBytes));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (reservation_fd >= 0) close(reservation_fd);
  if (server == nullptr || port == 0) {
    LOG(ERROR) << "cannot listen on " << listen_address
               << (uds_path->empty() ? "" : absl::StrCat(" and unix:", *uds_path))
               << ": the address is in use or not local to this machine (see --listen and "
                  "--uds_dir)";
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus("distsage.GraphService", true);

  // SIGTERM/SIGINT are blocked in every thread (main blocked them before
  // gRPC started its threads); this one waits for them synchronously, so it
  // may call Shutdown, which a signal handler may not.
  std::thread signal_watcher([&] {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    std::optional<std::string> requester;
    {
      absl::MutexLock lock(&shutdown_mutex);
      requester = shutdown_requester;
    }
    if (requester.has_value()) {
      LOG(INFO) << "graph_server: Shutdown RPC from " << *requester
                << ", draining in-flight calls and shutting down";
    } else {
      LOG(INFO) << "graph_server: signal " << signal_number
                << " received, draining in-flight calls and shutting down";
    }
    server->GetHealthCheckService()->SetServingStatus(false);
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(absl::GetFlag(FLAGS_shutdown_grace_s)));
  });

  LOG(INFO) << "graph_server ready: graph '" << config->graph_name << "' partition "
            << placement->part << " server_id " << server_id << " listening on "
            << BoundAddress(placement->address, port)
            << (uds_path->empty() ? "" : absl::StrCat(" and unix:", *uds_path)) << " (cache "
            << CacheModeName(store_options.cache) << ")";
  server->Wait();
  signal_watcher.join();
  if (!uds_path->empty()) unlink(uds_path->c_str());
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
