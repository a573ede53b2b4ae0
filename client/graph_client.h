// A process's view of a partitioned graph (DGL's DistGraph): any set of global
// node IDs, whichever partitions own them. Each partition is either held in
// this process (a PartitionStore, answered in the calling thread with no
// sockets) or served by graph_server processes (GraphService over gRPC). A
// request is routed by the partition book, sent as one call per remote
// partition, all in flight at once while the in-process partitions are
// served, and the answers are put back in request order. Standalone mode is
// the case where every partition is in this process.
//
// The bulk calls are framed by hand (proto/proto_wire.h): answer payloads are
// copied once, from the received slices straight to the caller's rows.
// Results do not depend on where a partition lives: the in-process path runs
// the same store and sampler code as graph_server.
//
// Failure model (ServerChannels): Connect waits up to connect_timeout for
// servers that are not up yet; afterwards a call fails at once (UNAVAILABLE)
// when a server it needs is down, naming partition and server. Thread-safe.
#ifndef DISTSAGE_CLIENT_GRAPH_CLIENT_H_
#define DISTSAGE_CLIENT_GRAPH_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "client/server_channels.h"
#include "common/partition_book.h"
#include "common/partition_config.h"
#include "server/partition_store.h"

namespace distsage {

enum class Split { kTrain = 0, kValid = 1, kTest = 2 };

// Sampled in-edges of a list of seeds, grouped by seed in request order: the
// edges of seeds[i] are src[offsets[i] .. offsets[i+1]) -> seeds[i].
struct SampledNeighbors {
  std::vector<int64_t> offsets;  // seeds.size() + 1 entries, offsets[0] == 0.
  std::vector<int64_t> src;      // Global IDs of sampled in-neighbours.
};

struct SampleOptions {
  int fanout = 10;        // -1: all in-edges.
  bool replace = false;   // With replacement: exactly `fanout` edges per node of degree > 0.
  uint64_t rng_seed = 0;  // Same request + same seed = same answer, however it is split.
};

struct GraphClientOptions {
  // Servers per machine in ip_config.txt (graph_server --num_servers): the
  // servers listed for partition p have IDs p * num_servers + 0, 1, ...
  int num_servers = 1;
  ServerChannelsOptions channels;
  // Partitions held in this process instead of asked over the network. Their
  // servers, when listed, are still connected (and must be up), so that
  // ShutdownServers reaches them, but are never asked for data.
  std::map<int, std::shared_ptr<const PartitionStore>> local_parts;
  // Feature rows from servers travel as bfloat16 (rounded to nearest even:
  // half the bytes) and are widened back to float32 here; rows of
  // partitions in this process are read as stored. For models that compute
  // in bf16, which round their inputs the same way, and for rows stored as
  // bfloat16, which lose nothing on the way.
  bool feature_rows_bfloat16 = false;
};

// How the client reaches one server (GraphClient::ServerConnections).
struct ServerConnectionInfo {
  int part = 0;
  std::string address;  // "host:port" as given (ip_config.txt).
  std::string target;   // What the channels dial: the address or "unix:<path>".
  // "tcp", "unix", or for a partition held here "inprocess" (its own copy)
  // or "shm" (a server's shared-memory segment).
  std::string transport;
};

class GraphClient {
 public:
  // Standalone: every partition of `config` opened in this process.
  static absl::StatusOr<std::unique_ptr<GraphClient>> OpenInProcess(
      const PartitionConfig& config, const PartitionStoreOptions& store_options = {});

  // `server_addresses[p]` lists the "host:port" of partition p's servers
  // (may be empty for a partition in options.local_parts). Waits, up to
  // connect_timeout, for every server, and checks that each serves
  // partition p of this graph.
  static absl::StatusOr<std::unique_ptr<GraphClient>> Connect(
      const PartitionConfig& config, const std::vector<std::vector<std::string>>& server_addresses,
      const GraphClientOptions& options = {});

  // Connect to the servers of ip_config.txt, in DGL's layout (ServerLayout).
  static absl::StatusOr<std::unique_ptr<GraphClient>> ConnectFromIpConfig(
      const std::string& ip_config_path, const PartitionConfig& config,
      const GraphClientOptions& options = {});

  // The partition config the client was opened with (graph shape, book).
  const PartitionConfig& config() const { return config_; }

  // DGL's sample_neighbors on in-edges. Without replacement a node with
  // in-degree <= fanout returns all its in-edges. Seeds may repeat.
  absl::Status SampleNeighbors(absl::Span<const int64_t> seeds, const SampleOptions& options,
                               SampledNeighbors* out);
  // Rows of feature `name` for `ids`, row-major into `out`, which must hold
  // ids.size() * dim floats (rows stored as bfloat16 widened exactly).
  absl::Status PullFeatures(const std::string& name, absl::Span<const int64_t> ids, float* out);
  // Where feature `name`'s rows for `ids` can be read, without copying those
  // that are already in this process: rows[i] = the address of ids[i]'s row
  // (dim floats). Rows of partitions held here as float32
  // (PartitionStore::FeatureRowAddresses: a store's own memory or a server's
  // mapped segment) are read in place; the others are pulled as PullFeatures
  // pulls them into `*pulled` (resized; its capacity is kept for the next
  // call), which, like the client, must outlive the use of the addresses.
  absl::Status LocateFeatureRows(const std::string& name, absl::Span<const int64_t> ids,
                                 const float** rows, std::vector<float>* pulled);
  // Where the rows of feature `name`, held as bfloat16 (stored so by
  // partition_graph --feature_dtype bfloat16, or rounded at load), are in
  // this process: rows[i] = the address of
  // ids[i]'s row (dim bfloat16 bit patterns), read in place as the store
  // holds it. FAILED_PRECONDITION where a row is not in this process as
  // bfloat16 (LocatesEveryRowInPlace says beforehand): LocateFeatureRows
  // then reads it widened to float32.
  absl::Status LocateBFloat16Rows(const std::string& name, absl::Span<const int64_t> ids,
                                  const uint16_t** rows);
  // Whether every row of feature `name` is in this process in memory, all
  // held in one dtype (every partition here, PartitionStore::
  // FeatureRowAddresses), so that LocateFeatureRows (rows held as float32)
  // or LocateBFloat16Rows (held as bfloat16) pulls and copies none.
  bool LocatesEveryRowInPlace(const std::string& name) const;
  // Whether they are all held as bfloat16, as stored (partition_graph
  // --feature_dtype bfloat16) or rounded at load (PartitionStoreOptions::
  // hold_features_bfloat16, graph_server --feature_memory_dtype): then
  // LocateBFloat16Rows is the way to read them in place.
  bool LocatesEveryRowInPlaceAsBFloat16(const std::string& name) const;
  // The servers (addresses) that hold feature `name`, stored as float32, as
  // bfloat16 (graph_server --feature_memory_dtype bfloat16, said by their
  // GetGraphInfo at connect): whatever reads their rows reads them rounded.
  std::vector<std::string> ServersRoundingFeature(const std::string& name) const;
  // The partitions (ascending) whose rows of feature `name`, stored as
  // float32, reach this client rounded to bfloat16: held so here (a store
  // or mapped segment that rounded them at load), by their server
  // (ServersRoundingFeature), or pulled as bfloat16 (feature_rows_bfloat16).
  // What a run computes from them depends on it, not only on the flags of
  // this process.
  std::vector<int> PartitionsRoundingFeature(const std::string& name) const;
  // GraphClientOptions::feature_rows_bfloat16 (servers' rows rounded).
  bool feature_rows_bfloat16() const { return feature_rows_bfloat16_; }
  // Changes that choice; only before the first pull (not thread-safe).
  void set_feature_rows_bfloat16(bool bfloat16) { feature_rows_bfloat16_ = bfloat16; }
  // Labels of `ids` into `out` (ids.size() entries; -1 = unlabelled).
  absl::Status PullLabels(absl::Span<const int64_t> ids, int64_t* out);
  // Split membership of `ids` into `out` (ids.size() bytes, bits of
  // partition_format::SplitMask: 1 train, 2 valid, 4 test).
  absl::Status PullSplitMasks(absl::Span<const int64_t> ids, uint8_t* out);
  // In-degrees of `ids` into `out` (ids.size() entries).
  absl::Status InDegrees(absl::Span<const int64_t> ids, int64_t* out);
  // Owned nodes of partition `part` in `split`, ascending.
  absl::StatusOr<std::vector<int64_t>> SplitNodes(int part, Split split);

  // Asks every connected server to shut down (client/admin_client.h);
  // `requester` appears in their logs. OK with nothing to do in standalone.
  absl::Status ShutdownServers(const std::string& requester);

  // Every connected server, partition by partition, with its transport.
  std::vector<ServerConnectionInfo> ServerConnections() const;

  // Bulk-call payload bytes (sampling and pulls) sent to and received from
  // servers since Connect; zero for in-process partitions.
  ServerChannels::Traffic traffic() const;

  // The channels to the servers, for the clients of their other services
  // (the KV client); null in standalone mode.
  std::shared_ptr<ServerChannels> channels() const { return channels_; }

 private:
  // `local[p]` serves partition p in this process (null: remote); `channels`
  // reaches the servers (null when there are none).
  GraphClient(PartitionConfig config, std::vector<std::shared_ptr<const PartitionStore>> local,
              std::unique_ptr<ServerChannels> channels);

  // Checks with GetGraphInfo that every server serves its partition of this graph.
  absl::Status CheckServersServeTheirPartitions();

  // Pulls `width` T per ID: a request of the graph name (field 1), the IDs
  // (field `ids_field`) and whatever add_fields(writer) adds, each answer
  // carrying its rows in bytes field `rows_field` (as bfloat16 when
  // `bfloat16_rows`, for float rows); in-process partitions are served by
  // gather_local(store, ids, rows). When a request spans partitions, an
  // in-process one whose rows `direct` can put straight at their request
  // positions (direct(store, ids, positions, out); UNIMPLEMENTED where it
  // cannot) skips gather_local's buffer and the scatter after it.
  template <typename T>
  using DirectGather =
      std::function<absl::Status(const PartitionStore& store, absl::Span<const int64_t> ids,
                                 absl::Span<const int64_t> positions, T* out)>;
  template <typename T, typename AddFields, typename GatherLocal>
  absl::Status PullRows(absl::Span<const int64_t> ids, size_t width, const char* method,
                        int ids_field, int rows_field, T* out, AddFields add_fields,
                        GatherLocal gather_local, bool bfloat16_rows = false,
                        const DirectGather<T>& direct = nullptr);
  // Whether every row of feature `name` is in this process, held in one
  // dtype: bfloat16 (true) or float32 (false); nullopt when not.
  std::optional<bool> EveryRowInPlaceHeldAsBFloat16(const std::string& name) const;
  // How partition `part`'s store in this process holds feature `name`: as
  // bfloat16 (true) or float32 (false); nullopt where the partition is not
  // in this process or has no such feature.
  std::optional<bool> HeldAsBFloat16Here(int part, const std::string& name) const;

  // Fills rows[i] for the `ids` whose rows partitions in this process hold
  // in memory as T (float, or uint16_t for bfloat16); appends the positions
  // of the others to `elsewhere`.
  template <typename T>
  absl::Status LocateInProcess(const std::string& name, absl::Span<const int64_t> ids,
                               const T** rows, std::vector<int64_t>* elsewhere) const;

  bool IsLocal(int part) const { return local_[part] != nullptr; }
  // The spec of feature `name`; NOT_FOUND listing the graph's features.
  absl::StatusOr<const FeatureSpec*> FindFeature(const std::string& name) const;

  const PartitionConfig config_;
  const PartitionBook book_;
  std::vector<std::shared_ptr<const PartitionStore>> local_;  // By part; null when remote.
  std::shared_ptr<ServerChannels> channels_;                  // Null when every part is local.
  bool feature_rows_bfloat16_ = false;  // GraphClientOptions::feature_rows_bfloat16.
  // Feature name -> the (partition, address) of each server holding its
  // float32 rows as bfloat16 (ServersRoundingFeature).
  std::map<std::string, std::vector<std::pair<int, std::string>>> servers_rounding_;
};

}  // namespace distsage

#endif  // DISTSAGE_CLIENT_GRAPH_CLIENT_H_
