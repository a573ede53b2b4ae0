// GraphService (proto/distsage/graph.proto) over one PartitionStore: decodes packed
// requests, runs the same store and sampler code as the in-process client,
// and answers. Owns no sockets and has no main(): graph_server builds the
// gRPC server around it. Thread-safe.
//
// The bulk methods (everything but GetGraphInfo) are raw callback methods:
// their answers are framed by hand (proto/proto_wire.h) so that feature rows
// are gathered straight into the buffer gRPC sends and sampled IDs move into
// it, with no protobuf serialisation copy; the bytes on the wire are still
// the proto messages. They run on gRPC's callback threads; GetGraphInfo runs
// on the sync thread pool. Process-level calls (Shutdown) are not here but in
// AdminService (server/admin_service.h).
#ifndef DISTSAGE_SERVER_GRAPH_SERVICE_H_
#define DISTSAGE_SERVER_GRAPH_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/partition_config.h"
#include "grpcpp/grpcpp.h"
#include "proto/distsage/graph.grpc.pb.h"
#include "proto/wire_limits.h"
#include "server/partition_store.h"

namespace distsage {

// GraphService::Service with every bulk method taken over as a raw callback,
// and GetGraphInfo too, so that a request that does not parse is answered
// with INVALID_ARGUMENT saying why (gRPC's own parsing answers INTERNAL with
// no message).
using RawBulkGraphService = GraphService::WithRawCallbackMethod_SampleNeighbors<
    GraphService::WithRawCallbackMethod_PullFeatures<GraphService::WithRawCallbackMethod_PullLabels<
        GraphService::WithRawCallbackMethod_PullSplitMasks<
            GraphService::WithRawCallbackMethod_InDegrees<
                GraphService::WithRawCallbackMethod_SplitNodes<
                    GraphService::WithRawCallbackMethod_GetGraphInfo<GraphService::Service>>>>>>>;

class GraphServiceImpl final : public RawBulkGraphService {
 public:
  // Serves `store` (partition store->part_id() of `config`) as `server_id`.
  // Answers larger than `max_answer_bytes` fail with RESOURCE_EXHAUSTED.
  GraphServiceImpl(const PartitionConfig& config, std::shared_ptr<const PartitionStore> store,
                   int server_id, int64_t max_answer_bytes = kMaxMessageBytes);

  grpc::ServerUnaryReactor* GetGraphInfo(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  // The bulk methods: `request` is the serialised request message,
  // `response` receives the serialised answer.
  grpc::ServerUnaryReactor* SampleNeighbors(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PullFeatures(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PullLabels(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PullSplitMasks(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* InDegrees(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SplitNodes(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

 private:
  // The answer of GetGraphInfo.
  void DescribeGraph(GraphInfo* info) const;
  // The answers of the bulk methods, as serialised messages.
  absl::StatusOr<grpc::ByteBuffer> AnswerSampleNeighbors(const grpc::ByteBuffer& request) const;
  absl::StatusOr<grpc::ByteBuffer> AnswerPullFeatures(const grpc::ByteBuffer& request) const;
  // PullLabels, PullSplitMasks and InDegrees (`method`): `width` bytes per ID
  // in field 1, written by gather(ids, out).
  template <typename Gather>
  absl::StatusOr<grpc::ByteBuffer> AnswerNodeRows(const grpc::ByteBuffer& request,
                                                  const char* method, size_t width,
                                                  Gather gather) const;
  absl::StatusOr<grpc::ByteBuffer> AnswerSplitNodes(const grpc::ByteBuffer& request) const;

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
