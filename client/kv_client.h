// The client of the KV store (DGL's DistTensor / DistEmbedding): named
// tensors with one row per node of the graph, sharded like the nodes. A
// sibling of GraphClient: the same routing by the partition book, the same
// concurrent per-partition calls (client/parallel_calls.h) over the same
// channels; in standalone mode every partition's tensors live in this
// process (server/kv_store.h). Every call for a partition goes to its first
// server, which alone holds the partition's tensors. Thread-safe.
#ifndef DISTSAGE_CLIENT_KV_CLIENT_H_
#define DISTSAGE_CLIENT_KV_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "client/server_channels.h"
#include "common/partition_book.h"
#include "common/partition_config.h"
#include "server/kv_store.h"

namespace distsage {

class KVClient {
 public:
  // Standalone: a KVStore per partition in this process, empty. With
  // `with_saves`, partition p saves to (and Load reads from) <partition
  // folder>.kv, graph_server's default folder.
  static absl::StatusOr<std::unique_ptr<KVClient>> OpenInProcess(const PartitionConfig& config,
                                                                 bool with_saves = true);
  // Over `channels` (GraphClient::channels()) to the graph servers;
  // FAILED_PRECONDITION when a partition has no server to hold its tensors.
  static absl::StatusOr<std::unique_ptr<KVClient>> Connect(
      const PartitionConfig& config, std::shared_ptr<ServerChannels> channels);

  // Creates the tensor on every partition, or checks that it exists with the
  // same spec (several trainers may all call it).
  absl::Status CreateTensor(const KVTensorSpec& spec);
  // The spec of tensor `name` (NOT_FOUND when no partition holds it).
  absl::StatusOr<KVTensorSpec> Describe(const std::string& name);

  // Rows of `ids` into `out` (ids.size() * dim floats), in request order.
  absl::Status Pull(const std::string& name, absl::Span<const int64_t> ids, float* out);
  // Gradients of `ids` (ids.size() * dim floats; IDs may repeat), applied by
  // the owners' optimiser exactly once, even when a call is retried after its
  // server seemed down (ServerChannelsOptions::server_restart_timeout).
  absl::Status Push(const std::string& name, absl::Span<const int64_t> ids,
                    absl::Span<const float> grads);

  // Saves / loads every partition's tensors (each server's own folder),
  // under / from the saves labelled `label` when it is not empty (each
  // server keeps its last two saves; server/kv_checkpoint.h).
  absl::Status Save(const std::string& label = "");
  absl::Status Load(const std::string& label = "");

 private:
  KVClient(PartitionConfig config, std::vector<std::shared_ptr<KVStore>> local,
           std::shared_ptr<ServerChannels> channels);

  bool IsLocal(int part) const { return local_[part] != nullptr; }
  // Runs a small call on every partition: local(store) for those in this
  // process; over the channels, `request` to every partition's first server,
  // started as in CallServers. The first error names `method` and where.
  template <typename Response, typename Request, typename Local, typename Start>
  absl::Status OnEveryPartition(const char* method, const Request& request, Local local,
                                Start start);

  const PartitionConfig config_;
  const PartitionBook book_;
  const std::vector<std::shared_ptr<KVStore>> local_;  // By part; null when remote.
  const std::shared_ptr<ServerChannels> channels_;
  absl::Mutex mu_;
  std::map<std::string, KVTensorSpec> specs_ ABSL_GUARDED_BY(mu_);  // Known tensors.
  // Pushes are numbered (client ID, sequence) and sent one at a time, so
  // that a retried push is applied exactly once (server/push_ledger.h).
  const uint64_t client_id_;
  absl::Mutex push_mu_;
  uint64_t pushes_sent_ ABSL_GUARDED_BY(push_mu_) = 0;
};

}  // namespace distsage

#endif  // DISTSAGE_CLIENT_KV_CLIENT_H_
