// The GraphClient of standalone mode: every partition of the config is opened
// in this process (server/partition_store.h) and requests are answered in the
// calling thread, with no sockets and no serialisation. It runs the same
// store, validation and sampler code as graph_server, so its answers are
// identical to the distributed ones.
#ifndef DISTSAGE_TRAINER_LOCAL_GRAPH_CLIENT_H_
#define DISTSAGE_TRAINER_LOCAL_GRAPH_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/partition_store.h"
#include "trainer/graph_client.h"

namespace distsage {

struct LocalGraphClientOptions {
  // How each partition is held (memory by default, or straight from RocksDB).
  PartitionStoreOptions store;
};

// Opens every partition of `config` in this process.
absl::StatusOr<std::unique_ptr<GraphClient>> OpenLocalGraphClient(
    const PartitionConfig& config, const LocalGraphClientOptions& options = {});

class LocalGraphClient : public GraphClient {
 public:
  // `stores[p]` serves partition p; one per partition of `config`.
  LocalGraphClient(PartitionConfig config,
                   std::vector<std::shared_ptr<const PartitionStore>> stores);

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
  // Runs gather(store, ids, rows) per partition and puts rows of `width` T
  // back in request order.
  template <typename T, typename Gather>
  absl::Status RoutedGather(absl::Span<const int64_t> ids, size_t width, T* out, Gather gather);

  const PartitionConfig config_;
  const PartitionBook book_;
  const std::vector<std::shared_ptr<const PartitionStore>> stores_;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_LOCAL_GRAPH_CLIENT_H_
