// The GraphClient of distributed mode: routes global node IDs to the
// graph_server processes that own them (partition book), sends one RPC per
// partition concurrently (gRPC callback API), and reassembles the answers in
// request order. The bulk calls go through a generic stub: requests and
// answers are framed by hand (server/proto_wire.h), so answer payloads are
// copied once, from the received slices straight to the caller's rows.
// Partitions that live in this process can be served from an
// in-process PartitionStore instead, with no network, while the RPCs to the
// other partitions are in flight.
//
// With several servers per partition (DGL's --num_servers backups), calls
// rotate over them. A server on this machine is reached through its Unix
// socket (graph_server --uds_dir) when it has one, otherwise over TCP.
//
// Failure model: Connect waits up to connect_timeout for servers that are not
// up yet. After that a call fails at once (UNAVAILABLE) when a server it needs
// is down, naming partition and server; it is not retried on a backup and the
// client does not wait for a restarted server (recovery is future work: a
// call may succeed again once gRPC has reconnected, but nothing promises
// when). Errors always name the partition and the server. Thread-safe.
#ifndef DISTSAGE_TRAINER_REMOTE_GRAPH_CLIENT_H_
#define DISTSAGE_TRAINER_REMOTE_GRAPH_CLIENT_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"
#include "proto/distsage/graph.grpc.pb.h"
#include "server/id_router.h"
#include "server/partition_store.h"
#include "server/proto_wire.h"
#include "server/unix_socket.h"
#include "trainer/graph_client.h"

namespace distsage {

struct RemoteGraphClientOptions {
  // Servers per machine in ip_config.txt (graph_server --num_servers).
  int num_servers = 1;
  // How long Connect waits for servers that are not up yet, retrying with
  // gRPC's reconnect backoff (at most 1 s apart). When it expires, the error
  // names every server that never answered.
  absl::Duration connect_timeout = absl::Seconds(60);
  // Deadline of every call after Connect. A call to a server that is down
  // does not wait for it: it fails at once with UNAVAILABLE.
  absl::Duration rpc_timeout = absl::Seconds(60);
  // Connections per server; calls rotate over them so that concurrent large
  // answers do not queue behind one HTTP/2 connection.
  int connections_per_server = 2;
  // Reach a server whose host is a loopback address or an address of this
  // machine through its Unix socket <uds_dir>/distsage-graph-<port>.sock
  // (graph_server --uds_dir) when that socket answers and serves the expected
  // partition; otherwise, and for other hosts, TCP. Decided once, at Connect.
  bool prefer_unix_socket = true;
  std::string uds_dir = kDefaultUnixSocketDir;
  // Partitions served in this process instead of over the network. Their
  // servers, when listed, are still connected (and must be up), so that
  // ShutdownServers reaches them, but are never asked for data.
  std::map<int, std::shared_ptr<const PartitionStore>> local_parts;
};

// How the client reaches one server (RemoteGraphClient::ServerConnections).
struct ServerConnectionInfo {
  int part = 0;
  std::string address;    // "host:port" as given (ip_config.txt).
  std::string target;     // What the channels dial: the address or "unix:<path>".
  std::string transport;  // "tcp" or "unix".
};

class RemoteGraphClient : public GraphClient {
 public:
  // `server_addresses[p]` lists the "host:port" of partition p's servers
  // (may be empty for a partition in options.local_parts). Waits, up to
  // options.connect_timeout, for every server (every connection) to answer
  // GetGraphInfo and checks that it serves partition p of this graph.
  static absl::StatusOr<std::unique_ptr<RemoteGraphClient>> Connect(
      const PartitionConfig& config, const std::vector<std::vector<std::string>>& server_addresses,
      const RemoteGraphClientOptions& options = {});

  // Sends GraphService.Shutdown to every server of every remote partition,
  // backups included, all at once: each answers, drains its in-flight calls
  // and exits 0. `requester` appears in the servers' logs. Every server is
  // asked even when some fail; returns the first error (partition order),
  // naming the server. Calls made on this client afterwards fail.
  absl::Status ShutdownServers(const std::string& requester);

  // Every server, partition by partition, with the transport in use
  // ("inprocess" for the servers of options.local_parts).
  std::vector<ServerConnectionInfo> ServerConnections() const;

  // Bulk-call payload bytes (sampling and pulls) since Connect: serialised
  // requests sent and answers received, over every transport.
  struct Traffic {
    int64_t bytes_sent = 0;
    int64_t bytes_received = 0;
  };
  Traffic traffic() const;

  const PartitionConfig& config() const override { return config_; }
  absl::Status SampleNeighbors(absl::Span<const int64_t> seeds, const SampleOptions& options,
                               SampledNeighbors* out) override;
  absl::Status PullFeatures(const std::string& name, absl::Span<const int64_t> ids,
                            float* out) override;
  absl::Status PullLabels(absl::Span<const int64_t> ids, int64_t* out) override;
  absl::Status PullSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) override;
  absl::Status InDegrees(absl::Span<const int64_t> ids, int64_t* out) override;
  absl::StatusOr<std::vector<int64_t>> SplitNodes(int part, Split split) override;

 private:
  // One connection (channel) to a server.
  struct Connection {
    std::unique_ptr<GraphService::Stub> stub;  // Small calls (GetGraphInfo, SplitNodes, Shutdown).
    std::unique_ptr<grpc::GenericStub> generic;  // Bulk calls, hand-framed.
  };
  struct Server {
    std::string address;  // As given.
    std::string target;   // The address, or "unix:<path>".
    std::vector<Connection> connections;
  };
  struct Partition {
    std::vector<Server> servers;
    std::shared_ptr<const PartitionStore> local;  // Null when remote.
    std::atomic<uint32_t> next_server{0};         // Rotation over backups.
  };

  // What GetGraphInfo over every connection of a server found.
  struct ServerProbe;

  RemoteGraphClient(PartitionConfig config, absl::Duration rpc_timeout);

  // A server's options.connections_per_server connections to `target`.
  static Server OpenServer(const std::string& address, const std::string& target,
                           const RemoteGraphClientOptions& options);
  // Sends GetGraphInfo over every connection of every server at once, each
  // waiting until `deadline` for a server that is not up yet.
  static std::vector<ServerProbe> ProbeServers(const std::vector<const Server*>& servers,
                                               absl::Time deadline);

  // The server (and its connection) the next call to `part` goes to.
  std::pair<const Server*, const Connection*> PickServer(int part);

  // The error of `method` on `server` of partition `part`: what failed,
  // where, and for a server that is down or slow, what to check.
  absl::Status CallError(const grpc::Status& status, absl::string_view method, int part,
                         const Server& server) const;

  // One logical request over several partitions: for each part of `parts`,
  // a remote partition gets the serialised request make_request(part, writer)
  // sent to GraphService method `method`; a local one is served in this
  // thread by serve_local(part, store) meanwhile. Then, in part order,
  // take_response(part, reader) reads each remote answer. Returns the first
  // error, naming partition and server.
  template <typename MakeRequest, typename ServeLocal, typename TakeResponse>
  absl::Status Fanout(const std::vector<int>& parts, const char* method, MakeRequest make_request,
                      ServeLocal serve_local, TakeResponse take_response);

  // Pulls `width` T per ID with a request of the graph name (field 1), the
  // IDs (field `ids_field`) and whatever add_fields(writer) adds; each answer
  // carries its rows in bytes field `rows_field`. Local partitions are served
  // by gather_local(store, ids, rows).
  template <typename T, typename AddFields, typename GatherLocal>
  absl::Status PullRows(absl::Span<const int64_t> ids, size_t width, const char* method,
                        int ids_field, int rows_field, T* out, AddFields add_fields,
                        GatherLocal gather_local);

  const PartitionConfig config_;
  const PartitionBook book_;
  const absl::Duration rpc_timeout_;
  std::vector<std::unique_ptr<Partition>> parts_;
  std::atomic<int64_t> bytes_sent_{0};
  std::atomic<int64_t> bytes_received_{0};
};

// Connects to the servers of ip_config.txt with DGL's layout: machine p
// serves partition p on ports base_port .. base_port + num_servers - 1.
absl::StatusOr<std::unique_ptr<RemoteGraphClient>> OpenRemoteGraphClient(
    const std::string& ip_config_path, const PartitionConfig& config,
    const RemoteGraphClientOptions& options = {});

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_REMOTE_GRAPH_CLIENT_H_
