// graph_server: serves one partition of a partitioned graph over gRPC. One
// process hosts GraphService (the partition's data), KVStoreService (the KV
// tensors of the partition's nodes, saved in --kv_dir), AdminService (Shutdown),
// the standard health service (per service) and reflection on one port
// (server/service_host.h).
//
// Which partition and address: DGL's layout of ip_config.txt (ServerLayout
// in common/ip_config.h). --listen overrides the address (port 0 picks a free
// port; the ready line logs the real one). With --uds_dir it also listens on
// the Unix socket <uds_dir>/distsage-server-<server_id>.sock for clients on
// the same machine (off by default: measured no faster than loopback TCP).
//
// With --cache memory the partition's arrays live in one shared-memory file
// in --shm_dir (server/shared_segment.h), which trainers on this machine map
// read-only (trainer --local_partition auto|shm) instead of calling: one copy
// of the partition per machine. The server removes it on a clean exit, and
// at start removes the ones of its own earlier runs that were killed.
//
// SIGTERM, SIGINT and the Shutdown RPC take one path: stop accepting calls,
// drain the in-flight ones (up to --shutdown_grace_s), exit 0.
#include <malloc.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ip_config.h"
#include "common/partition_book.h"
#include "common/partition_config.h"
#include "common/status_macros.h"
#include "common/unix_socket.h"
#include "glog/logging.h"
#include "proto/transport_security.h"
#include "proto/wire_limits.h"
#include "server/admin_service.h"
#include "server/call_authorizer.h"
#include "server/graph_service.h"
#include "server/kv_service.h"
#include "server/kv_store.h"
#include "server/partition_store.h"
#include "server/service_host.h"
#include "server/shared_segment.h"

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
ABSL_FLAG(std::string, feature_memory_dtype, "stored",
          "With --cache memory: 'stored' holds the feature rows as partition_graph wrote them; "
          "'bfloat16' rounds float32 rows once at load (half the memory and the shared segment; "
          "trainers here read half the bytes per row). Then every reader gets the rounded rows, "
          "trainers computing in fp32 included: for clusters whose trainers compute in bf16 "
          "(--precision bf16, the default on CPUs with bf16 units)");
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
          "--shutdown_servers does): with a credential configured (--auth_token_file, --tls_ca) "
          "only callers presenting it, without one only callers on this machine; false answers "
          "every Shutdown with PERMISSION_DENIED");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of this server (with --tls_key): serve TLS instead of plaintext");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA certificate: clients must present a certificate it signed (mutual TLS); such "
          "clients may also change state (KV pushes, saves, Shutdown)");
ABSL_FLAG(std::string, auth_token_file, "",
          "file (mode 600) holding a bearer token: calls that change state (Shutdown, KV "
          "CreateTensor/Push/Save/Load) need it (or a --tls_ca client certificate); reads "
          "don't");
ABSL_FLAG(bool, reflection, true,
          "serve gRPC reflection (grpcurl can list and call the services without the .proto "
          "files); false for production servers that should not describe themselves");
ABSL_FLAG(std::string, kv_dir, "",
          "where this server saves its KV tensors (KVStoreService.Save) and loads the last save "
          "from at start; default: beside the partition, <partition folder>.kv");
ABSL_FLAG(std::string, shm_dir, "/dev/shm",
          "with --cache memory, hold the partition in a shared-memory file in this folder (a "
          "tmpfs), which trainers on this machine map instead of calling (see --shm_file_mode); "
          "its pages are moved into 2 MiB ones, which random reads want (Linux 6.1+; or a tmpfs "
          "mounted huge=within_size gives them); empty: private memory, nothing published");
ABSL_FLAG(std::string, shm_file_mode, "0600",
          "mode of the shared-memory file, octal: 0600 (trainers of the server's user only), "
          "0640 (and of its group) or 0644 (any user on this machine, e.g. trainers of a server "
          "run by systemd's DynamicUser; they could read the same rows over gRPC anyway unless "
          "--tls_ca is set)");
ABSL_FLAG(std::string, uds_dir, "",
          "also listen on the Unix socket <uds_dir>/distsage-server-<server_id>.sock, for clients "
          "on this machine given the same --uds_dir; empty: TCP only");

namespace distsage {
namespace {

absl::StatusOr<ServerSlot> PlaceServer(const PartitionConfig& config) {
  const std::string ip_config = absl::GetFlag(FLAGS_ip_config);
  if (ip_config.empty()) {
    return absl::InvalidArgumentError("--ip_config is required (DGL ip_config.txt)");
  }
  DS_ASSIGN_OR_RETURN(const std::vector<MachineAddress> machines, ReadIpConfig(ip_config));
  const int num_servers = absl::GetFlag(FLAGS_num_servers);
  DS_ASSIGN_OR_RETURN(std::vector<ServerSlot> slots,
                      ServerLayout(machines, config.num_parts(), num_servers, ip_config));
  const int server_id = absl::GetFlag(FLAGS_server_id);
  if (server_id < 0 || server_id >= static_cast<int>(slots.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server_id ", server_id, " is out of range: ", machines.size(),
                     " machines x ", num_servers, " servers give IDs 0..", slots.size() - 1));
  }
  ServerSlot slot = slots[server_id];
  if (!absl::GetFlag(FLAGS_listen).empty()) slot.address = absl::GetFlag(FLAGS_listen);
  return slot;
}

// --shm_file_mode as a mode: the owner reads and writes, the group and
// others may read, nothing else (no one else writes or runs the partition).
absl::StatusOr<mode_t> ShmFileModeFromFlag() {
  const std::string text = absl::GetFlag(FLAGS_shm_file_mode);
  uint32_t mode = 0;
  const bool octal =
      !text.empty() && text.size() <= 4 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
  if (octal) {
    for (const char c : text) mode = mode * 8 + static_cast<uint32_t>(c - '0');
  }
  if (!octal || (mode & 0600) != 0600 || (mode & ~uint32_t{0644}) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--shm_file_mode=", text,
        ": give an octal mode in which the owner reads and writes and others at most read: 0600 "
        "(the server's user), 0640 (and its group) or 0644 (every user on this machine)"));
  }
  return static_cast<mode_t>(mode);
}

absl::StatusOr<PartitionStoreOptions> StoreOptionsFromFlags(const ServerSlot& slot) {
  PartitionStoreOptions options;
  absl::StatusOr<CacheMode> cache = ParseCacheMode(absl::GetFlag(FLAGS_cache));
  if (!cache.ok())
    return absl::InvalidArgumentError(absl::StrCat("--cache: ", cache.status().message()));
  options.cache = *cache;
  options.block_cache_bytes = absl::GetFlag(FLAGS_block_cache_mb) << 20;
  if (options.cache == CacheMode::kMemory) options.shm_dir = absl::GetFlag(FLAGS_shm_dir);
  const std::string held = absl::GetFlag(FLAGS_feature_memory_dtype);
  if (held != "stored" && held != "bfloat16") {
    return absl::InvalidArgumentError(
        absl::StrCat("--feature_memory_dtype=", held, ": expected stored or bfloat16"));
  }
  options.hold_features_bfloat16 = held == "bfloat16";
  if (options.hold_features_bfloat16 && options.cache != CacheMode::kMemory) {
    return absl::InvalidArgumentError(
        "--feature_memory_dtype=bfloat16 needs --cache memory: with --cache none the rows are "
        "read from RocksDB as stored");
  }
  DS_ASSIGN_OR_RETURN(options.shm_file_mode, ShmFileModeFromFlag());
  options.server_id = slot.server_id;
  return options;
}

// How the segment is paged, for the log.
std::string SegmentPagesText(const SharedSegmentInfo& segment) {
  if (segment.huge_page_bytes == 0) return "4 KiB pages";
  return absl::StrCat(segment.huge_page_bytes >> 20, " MiB in 2 MiB pages");
}

// --max_message_mb in bytes; INVALID_ARGUMENT outside 1 .. kMaxMessageBytes.
absl::StatusOr<int64_t> MaxMessageBytesFromFlag() {
  const int64_t mb = absl::GetFlag(FLAGS_max_message_mb);
  const int64_t max_mb = kMaxMessageBytes >> 20;
  if (mb < 1 || mb > max_mb) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_message_mb ", mb, " is out of range: give a size in MiB from 1 to ",
                     max_mb, " (gRPC messages are limited to ", max_mb, " MiB)"));
  }
  return mb << 20;
}

absl::StatusOr<std::shared_ptr<const PartitionStore>> OpenStore(const PartitionConfig& config,
                                                                int part,
                                                                PartitionStoreOptions options) {
  const absl::Time start = absl::Now();
  if (!options.shm_dir.empty()) {
    for (const std::string& path :
         RemoveStaleSegments(options.shm_dir, config.graph_name, part, options.server_id)) {
      LOG(INFO) << "removed " << path
                << ": a shared-memory segment of an earlier run of this server, which is gone";
    }
  }
  absl::StatusOr<std::unique_ptr<PartitionStore>> store =
      PartitionStore::Open(config, part, options);
  if (!store.ok() && !options.shm_dir.empty() &&
      store.status().code() == absl::StatusCode::kResourceExhausted) {
    // A tmpfs too small for the partition (a container's 64 MiB /dev/shm)
    // leaves the server working, with one copy per process again.
    LOG(WARNING) << store.status().message()
                 << "; serving from private memory instead (trainers here will use gRPC)";
    options.shm_dir.clear();
    store = PartitionStore::Open(config, part, options);
  }
  if (!store.ok()) {
    return absl::Status(
        store.status().code(),
        absl::StrCat("cannot serve partition ", part, " of '", absl::GetFlag(FLAGS_part_config),
                     "': ", store.status().message()));
  }
  const SharedSegmentInfo segment = (*store)->shared_segment();
  LOG(INFO) << "opened partition " << part << " (" << (*store)->num_nodes() << " nodes, cache "
            << CacheModeName(options.cache)
            << (options.hold_features_bfloat16 ? ", features held as bfloat16" : "")
            << (segment.path.empty()
                    ? ""
                    : absl::StrCat(", shared memory ", segment.path, ", ", segment.bytes >> 20,
                                   " MiB, ", SegmentPagesText(segment)))
            << ") in " << absl::FormatDuration(absl::Now() - start);
  if (!segment.path.empty() && segment.huge_page_bytes == 0) {
    // Sampling and pulls read the segment at random; on 4 KiB pages most
    // reads miss the TLB (bench/results/dist_bench-shm-pages.md). The store
    // asked the kernel for 2 MiB pages (MappedRegion::CollapseIntoHugePages).
    LOG(WARNING) << "the shared-memory segment has 4 KiB pages only: the kernel did not move "
                    "it into 2 MiB ones (MADV_COLLAPSE: Linux 6.1+ with transparent huge pages) "
                    "and '"
                 << options.shm_dir
                 << "' gives none; trainers sample and pull from it faster in 2 MiB pages: mount "
                    "a tmpfs with -o huge=within_size and pass it as --shm_dir (README, \"Page "
                    "size\")";
  }
  return std::shared_ptr<const PartitionStore>(*std::move(store));
}

// The KV tensors of the partition, with the last save loaded. Only a
// partition's first server holds them (backups refuse KV calls), so backups
// cannot diverge.
absl::StatusOr<std::shared_ptr<KVStore>> OpenKVStore(const PartitionConfig& config,
                                                     const ServerSlot& slot) {
  KVStoreOptions options;
  const PartitionBook book = config.Book();
  options.row_begin = book.RangeBegin(slot.part);
  options.row_end = book.RangeEnd(slot.part);
  options.save_dir = absl::GetFlag(FLAGS_kv_dir).empty() ? config.PartPath(slot.part) + ".kv"
                                                         : absl::GetFlag(FLAGS_kv_dir);
  absl::StatusOr<std::unique_ptr<KVStore>> store = KVStore::Open(options);
  if (!store.ok()) {
    return absl::Status(store.status().code(), absl::StrCat("--kv_dir ", options.save_dir, ": ",
                                                            store.status().message()));
  }
  LOG(INFO) << "KV tensors: " << (*store)->List().size() << " loaded from " << options.save_dir;
  return std::shared_ptr<KVStore>(*std::move(store));
}

// Serves until a signal or a Shutdown RPC; returns a failure to start.
absl::Status Serve(const PartitionConfig& config, const ServerSlot& slot,
                   std::shared_ptr<const PartitionStore> store, const std::string& cache_name,
                   int64_t max_message_bytes) {
  ServiceHostOptions host_options;
  host_options.listen_address = slot.address;
  if (!absl::GetFlag(FLAGS_uds_dir).empty()) {
    host_options.unix_socket_path = ServerSocketPath(absl::GetFlag(FLAGS_uds_dir), slot.server_id);
  }
  // Requests are checked against max_message_bytes by the service; gRPC's
  // own limit only needs to let them through.
  host_options.max_receive_message_bytes = max_message_bytes;
  host_options.shutdown_grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_s));
  host_options.reflection = absl::GetFlag(FLAGS_reflection);
  const TlsFiles tls = {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                        absl::GetFlag(FLAGS_tls_ca)};
  DS_ASSIGN_OR_RETURN(host_options.credentials, ServerCredentialsFrom(tls));
  std::string token;
  if (!absl::GetFlag(FLAGS_auth_token_file).empty()) {
    DS_ASSIGN_OR_RETURN(token, ReadAuthToken(absl::GetFlag(FLAGS_auth_token_file)));
  }
  const CallAuthorizer authorizer(token, !tls.ca.empty());
  ServiceHost host(host_options);

  const int num_servers = absl::GetFlag(FLAGS_num_servers);
  const bool kv_primary = slot.server_id % num_servers == 0;
  std::shared_ptr<KVStore> kv_store;
  if (kv_primary) {
    DS_ASSIGN_OR_RETURN(kv_store, OpenKVStore(config, slot));
  }
  KVServiceOptions kv_service_options;
  kv_service_options.graph_name = config.graph_name;
  kv_service_options.server_id = slot.server_id;
  kv_service_options.primary = kv_primary;
  kv_service_options.primary_hint =
      absl::StrCat("server ", slot.server_id - slot.server_id % num_servers);
  kv_service_options.max_answer_bytes = max_message_bytes;
  kv_service_options.authorizer = &authorizer;
  KVServiceImpl kv_service(kv_service_options, kv_store);
  const std::string shm_path = store->shared_segment().path;
  GraphServiceImpl graph_service(config, std::move(store), slot.server_id, max_message_bytes);
  AdminServiceImpl admin_service(
      {config.graph_name, slot.server_id, absl::GetFlag(FLAGS_allow_shutdown_rpc), &authorizer},
      [&host](const std::string& who) { host.RequestShutdown("Shutdown RPC from " + who); });
  host.AddService(&graph_service, GraphService::service_full_name());
  host.AddService(&kv_service, KVStoreService::service_full_name());
  host.AddService(&admin_service, AdminService::service_full_name());
  // Opening the partition freed tens of MiB of loading buffers that glibc
  // keeps in the heap (its trim threshold rises with every large block
  // freed): 22 of the 25 MiB a products-scale server holds besides its
  // shared-memory segment (bench/results/shm-a.md). A long-lived server
  // gives them back once, before it serves.
  malloc_trim(0);
  absl::Status started = host.Start();
  if (!started.ok()) {
    if (!host_options.unix_socket_path.empty() &&
        started.code() != absl::StatusCode::kUnavailable) {
      return absl::InvalidArgumentError(
          absl::StrCat("--uds_dir: ", started.message(),
                       "; pass another --uds_dir, or --uds_dir= for TCP only"));
    }
    return absl::UnavailableError(absl::StrCat(started.message(), " (see --listen)"));
  }
  LOG(INFO) << "graph_server ready: graph '" << config.graph_name << "' partition " << slot.part
            << " server_id " << slot.server_id << " listening on " << host.address()
            << (host_options.unix_socket_path.empty()
                    ? ""
                    : absl::StrCat(" and unix:", host_options.unix_socket_path))
            << " (cache " << cache_name
            << (shm_path.empty() ? "" : absl::StrCat(", shm ", shm_path)) << ", "
            << (tls.ca.empty() ? (tls.cert.empty() ? "plaintext" : "TLS") : "mutual TLS")
            << (token.empty() ? "" : ", bearer token for state changes") << ")";
  const std::string reason = host.Wait();
  LOG(INFO) << "graph_server stopped: server_id " << slot.server_id << " (" << reason << ")";
  return absl::OkStatus();
}

int Run() {
  const std::string config_path = absl::GetFlag(FLAGS_part_config);
  if (config_path.empty()) {
    LOG(ERROR) << "--part_config is required (the JSON written by partition_graph)";
    return 2;
  }
  const absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(config_path);
  if (!config.ok()) {
    LOG(ERROR) << config.status().message();
    return 1;
  }
  const absl::StatusOr<ServerSlot> slot = PlaceServer(*config);
  if (!slot.ok()) {
    LOG(ERROR) << slot.status().message();
    return 2;
  }
  const absl::StatusOr<PartitionStoreOptions> store_options = StoreOptionsFromFlags(*slot);
  const absl::StatusOr<int64_t> max_message_bytes = MaxMessageBytesFromFlag();
  for (const absl::Status& status : {store_options.status(), max_message_bytes.status()}) {
    if (!status.ok()) {
      LOG(ERROR) << status.message();
      return 2;
    }
  }
  absl::StatusOr<std::shared_ptr<const PartitionStore>> store =
      OpenStore(*config, slot->part, *store_options);
  if (!store.ok()) {
    LOG(ERROR) << store.status().message();
    return 1;
  }
  const absl::Status served = Serve(*config, *slot, *std::move(store),
                                    CacheModeName(store_options->cache), *max_message_bytes);
  if (!served.ok()) {
    LOG(ERROR) << served.message();
    return served.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  distsage::ServiceHost::BlockShutdownSignals();
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
