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
// rotate over them. Every call carries a deadline and waits for a server that
// is (re)starting until then, so a restarted server is picked up
// transparently; errors name the partition and the server.
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
#include "proto/graph.grpc.pb.h"
#include "server/id_router.h"
#include "server/partition_store.h"
#include "server/proto_wire.h"
#include "trainer/graph_client.h"

namespace distsage {

struct RemoteGraphClientOptions {
  // Servers per machine in ip_config.txt (graph_server --num_servers).
  int num_servers = 1;
  // Deadline of every RPC, and of the wait for the servers at connect time.
  absl::Duration deadline = absl::Seconds(60);
  // TCP connections per server; calls rotate over them so that concurrent
  // large answers do not queue behind one HTTP/2 connection.
  int connections_per_server = 2;
  // Partitions served in this process instead of over the network.
  std::map<int, std::shared_ptr<const PartitionStore>> local_parts;
};

// Connects to the servers of ip_config.txt with DGL's layout: machine p
// serves partition p on ports base_port .. base_port + num_servers - 1.
absl::StatusOr<std::unique_ptr<GraphClient>> OpenRemoteGraphClient(
    const std::string& ip_config_path, const PartitionConfig& config,
    const RemoteGraphClientOptions& options = {});

class RemoteGraphClient : public GraphClient {
 public:
  // `server_addresses[p]` lists the "host:port" of partition p's servers
  // (may be empty for a partition in options.local_parts). Waits (up to the
  // deadline) for every server to answer GetGraphInfo and checks that it
  // serves partition p of this graph.
  static absl::StatusOr<std::unique_ptr<RemoteGraphClient>> Connect(
      const PartitionConfig& config, const std::vector<std::vector<std::string>>& server_addresses,
      const RemoteGraphClientOptions& options = {});

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
  // One TCP connection (channel) to a server.
  struct Connection {
    std::unique_ptr<GraphService::Stub> stub;    // Small calls (GetGraphInfo, SplitNodes).
    std::unique_ptr<grpc::GenericStub> generic;  // Bulk calls, hand-framed.
  };
  struct Server {
    std::string address;
    std::vector<Connection> connections;
  };
  struct Partition {
    std::vector<Server> servers;
    std::shared_ptr<const PartitionStore> local;  // Null when remote.
    std::atomic<uint32_t> next_server{0};         // Rotation over backups.
  };

  RemoteGraphClient(PartitionConfig config, absl::Duration deadline);

  // The server (and its connection) the next call to `part` goes to.
  std::pair<const Server*, const Connection*> PickServer(int part);

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
  const absl::Duration deadline_;
  std::vector<std::unique_ptr<Partition>> parts_;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_REMOTE_GRAPH_CLIENT_H_
