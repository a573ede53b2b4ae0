// GraphService (proto/graph.proto) over one PartitionStore: decodes packed
// requests, runs the same store and sampler code as the in-process client,
// and packs answers with one memcpy per row. Owns no sockets and has no
// main(): graph_server builds the gRPC server around it. Thread-safe; the
// sync gRPC API runs calls concurrently on its thread pool.
#ifndef DISTSAGE_SERVER_GRAPH_SERVICE_H_
#define DISTSAGE_SERVER_GRAPH_SERVICE_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "common/partition_config.h"
#include "grpcpp/grpcpp.h"
#include "proto/graph.grpc.pb.h"
#include "server/partition_store.h"

namespace distsage {

// Largest message (request or answer) servers and clients accept: 1 GiB,
// e.g. 2.6M rows of 100 float32 or ~134M int64 IDs. Protobuf's own hard
// limit is 2 GiB.
inline constexpr int64_t kMaxMessageBytes = int64_t{1} << 30;

// absl::Status -> grpc::Status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

class GraphServiceImpl final : public GraphService::Service {
 public:
  // Serves `store` (partition store->part_id() of `config`) as `server_id`.
  // Answers larger than `max_answer_bytes` fail with RESOURCE_EXHAUSTED.
  GraphServiceImpl(const PartitionConfig& config, std::shared_ptr<const PartitionStore> store,
                   int server_id, int64_t max_answer_bytes = kMaxMessageBytes);

  grpc::Status GetGraphInfo(grpc::ServerContext* context, const GetGraphInfoRequest* request,
                            GraphInfo* response) override;
  grpc::Status SampleNeighbors(grpc::ServerContext* context, const SampleNeighborsRequest* request,
                               SampleNeighborsResponse* response) override;
  grpc::Status PullFeatures(grpc::ServerContext* context, const PullFeaturesRequest* request,
                            PullFeaturesResponse* response) override;
  grpc::Status PullLabels(grpc::ServerContext* context, const NodeIdsRequest* request,
                          PullLabelsResponse* response) override;
  grpc::Status PullSplitMasks(grpc::ServerContext* context, const NodeIdsRequest* request,
                              PullSplitMasksResponse* response) override;
  grpc::Status InDegrees(grpc::ServerContext* context, const NodeIdsRequest* request,
                         InDegreesResponse* response) override;
  grpc::Status SplitNodes(grpc::ServerContext* context, const SplitNodesRequest* request,
                          SplitNodesResponse* response) override;

 private:
  // NOT_FOUND unless `graph_name` is empty or the served graph.
  absl::Status CheckGraph(const std::string& graph_name) const;
  // RESOURCE_EXHAUSTED when an answer of `bytes` would exceed the limit.
  absl::Status CheckAnswerSize(int64_t bytes, const char* what) const;

  const PartitionConfig config_;
  const std::shared_ptr<const PartitionStore> store_;
  const int server_id_;
  const int64_t max_answer_bytes_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_GRAPH_SERVICE_H_
