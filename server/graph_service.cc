#include "server/graph_service.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/grpc_status.h"
#include "proto/proto_wire.h"
#include "server/neighbor_sampler.h"
#include "server/raw_call.h"

namespace distsage {
namespace {

// PullLabels, PullSplitMasks and InDegrees answer in field 1.
static_assert(PullLabelsResponse::kLabelsFieldNumber == 1 &&
              PullSplitMasksResponse::kMasksFieldNumber == 1 &&
              InDegreesResponse::kDegreesFieldNumber == 1);
constexpr int kNodeRowsField = 1;

}  // namespace

GraphServiceImpl::GraphServiceImpl(const PartitionConfig& config,
                                   std::shared_ptr<const PartitionStore> store, int server_id,
                                   int64_t max_answer_bytes)
    : config_(config),
      store_(std::move(store)),
      server_id_(server_id),
      max_answer_bytes_(max_answer_bytes) {}

absl::Status GraphServiceImpl::CheckGraph(const std::string& graph_name) const {
  if (graph_name.empty() || graph_name == config_.graph_name) return absl::OkStatus();
  return absl::NotFoundError(
      absl::StrCat("this server serves graph '", config_.graph_name, "', not '", graph_name, "'"));
}

absl::Status GraphServiceImpl::CheckAnswerSize(int64_t bytes, const char* what) const {
  if (bytes <= max_answer_bytes_) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("the answer (", what, ") would be ", bytes, " bytes, over the message limit of ",
                   max_answer_bytes_, " bytes; split the request into smaller batches"));
}

void GraphServiceImpl::DescribeGraph(GraphInfo* info) const {
  info->set_graph_name(config_.graph_name);
  info->set_num_nodes(config_.num_nodes);
  info->set_num_edges(config_.num_edges);
  info->set_num_parts(config_.num_parts());
  for (const int64_t end : config_.range_ends) info->add_range_ends(end);
  for (const FeatureSpec& spec : config_.node_features) {
    FeatureInfo* feature = info->add_node_features();
    feature->set_name(spec.name);
    feature->set_dtype(spec.dtype);
    feature->set_dim(spec.dim);
    const absl::StatusOr<const FeatureSpec*> held = store_->FindFeature(spec.name);
    feature->set_held_dtype(held.ok() ? (*held)->dtype : spec.dtype);
  }
  info->set_num_classes(config_.num_classes);
  info->set_split_name(config_.split_name);
  info->set_num_train(config_.num_train);
  info->set_num_valid(config_.num_valid);
  info->set_num_test(config_.num_test);
  const PartInfo& part = config_.parts[store_->part_id()];
  info->set_part_id(part.part_id);
  info->set_server_id(server_id_);
  info->set_part_num_nodes(part.num_nodes);
  info->set_part_num_in_edges(part.num_in_edges);
  info->set_part_num_train(part.num_train);
  info->set_part_num_valid(part.num_valid);
  info->set_part_num_test(part.num_test);
  info->set_cache_mode(CacheModeName(store_->cache_mode()));
  info->set_max_message_bytes(max_answer_bytes_);
  info->set_book_fingerprint(store_->meta().book_fingerprint.empty()
                                 ? config_.book_fingerprint
                                 : store_->meta().book_fingerprint);
  info->set_part_config_path(config_.source_path);
  const SharedSegmentInfo segment = store_->shared_segment();
  info->set_shm_path(segment.path);
  info->set_shm_bytes(segment.bytes);
  info->set_shm_huge_page_bytes(segment.huge_page_bytes);
}

grpc::ServerUnaryReactor* GraphServiceImpl::GetGraphInfo(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return ReplyToMessage<GetGraphInfoRequest, GraphInfo>(
      context, "GraphService.GetGraphInfo", *request, response,
      [this](const GetGraphInfoRequest&, GraphInfo* info) {
        DescribeGraph(info);
        return absl::OkStatus();
      });
}

absl::StatusOr<grpc::ByteBuffer> GraphServiceImpl::AnswerSampleNeighbors(
    const grpc::ByteBuffer& raw_request) const {
  SampleNeighborsRequest request;
  DS_RETURN_IF_ERROR(ParseRequest(raw_request, "GraphService.SampleNeighbors", &request));
  DS_RETURN_IF_ERROR(CheckGraph(request.graph_name()));
  std::vector<int64_t> seeds;
  DS_RETURN_IF_ERROR(DecodePackedField(request.seeds(), "seeds", "LE int64 IDs", &seeds));
  proto_wire::MessageWriter answer;
  auto* counts = reinterpret_cast<int32_t*>(answer.AddBytesInPlace(
      SampleNeighborsResponse::kCountsFieldNumber, seeds.size() * sizeof(int32_t)));
  std::vector<int64_t> src;
  const NeighborSampleRequest sample{request.fanout(), request.replace(), request.rng_seed()};
  DS_RETURN_IF_ERROR(
      distsage::SampleNeighbors(*store_, seeds, sample, counts, &src, max_answer_bytes_));
  answer.AddOwnedBytes(SampleNeighborsResponse::kSrcFieldNumber, std::move(src));
  return answer.Finish();
}

absl::StatusOr<grpc::ByteBuffer> GraphServiceImpl::AnswerPullFeatures(
    const grpc::ByteBuffer& raw_request) const {
  PullFeaturesRequest request;
  DS_RETURN_IF_ERROR(ParseRequest(raw_request, "GraphService.PullFeatures", &request));
  DS_RETURN_IF_ERROR(CheckGraph(request.graph_name()));
  DS_ASSIGN_OR_RETURN(const FeatureSpec* spec, store_->FindFeature(request.feature()));
  std::vector<int64_t> ids;
  DS_RETURN_IF_ERROR(DecodePackedField(request.ids(), "ids", "LE int64 IDs", &ids));
  const size_t values = ids.size() * static_cast<size_t>(spec->dim);
  proto_wire::MessageWriter answer;
  answer.AddVarint(PullFeaturesResponse::kDimFieldNumber, static_cast<uint64_t>(spec->dim));
  if (request.row_type() == FEATURE_ROWS_BFLOAT16) {
    DS_RETURN_IF_ERROR(
        CheckAnswerSize(static_cast<int64_t>(values * sizeof(uint16_t)), "feature rows"));
    // Straight into the answer: rows stored as bfloat16 as they are, float32
    // rows rounded as they are gathered.
    DS_RETURN_IF_ERROR(store_->GatherFeaturesBFloat16(
        spec->name, ids,
        reinterpret_cast<uint16_t*>(answer.AddBytesInPlace(
            PullFeaturesResponse::kBfloat16RowsFieldNumber, values * sizeof(uint16_t)))));
    return answer.Finish();
  }
  DS_RETURN_IF_ERROR(CheckAnswerSize(static_cast<int64_t>(values * sizeof(float)), "feature rows"));
  auto* rows = reinterpret_cast<float*>(
      answer.AddBytesInPlace(PullFeaturesResponse::kRowsFieldNumber, values * sizeof(float)));
  DS_RETURN_IF_ERROR(store_->GatherFeatures(spec->name, ids, rows));
  return answer.Finish();
}

template <typename Gather>
absl::StatusOr<grpc::ByteBuffer> GraphServiceImpl::AnswerNodeRows(
    const grpc::ByteBuffer& raw_request, const char* method, size_t width, Gather gather) const {
  NodeIdsRequest request;
  DS_RETURN_IF_ERROR(ParseRequest(raw_request, method, &request));
  DS_RETURN_IF_ERROR(CheckGraph(request.graph_name()));
  std::vector<int64_t> ids;
  DS_RETURN_IF_ERROR(DecodePackedField(request.ids(), "ids", "LE int64 IDs", &ids));
  DS_RETURN_IF_ERROR(CheckAnswerSize(static_cast<int64_t>(ids.size() * width), "node rows"));
  proto_wire::MessageWriter answer;
  DS_RETURN_IF_ERROR(gather(ids, answer.AddBytesInPlace(kNodeRowsField, ids.size() * width)));
  return answer.Finish();
}

absl::StatusOr<grpc::ByteBuffer> GraphServiceImpl::AnswerSplitNodes(
    const grpc::ByteBuffer& raw_request) const {
  SplitNodesRequest request;
  DS_RETURN_IF_ERROR(ParseRequest(raw_request, "GraphService.SplitNodes", &request));
  DS_RETURN_IF_ERROR(CheckGraph(request.graph_name()));
  DS_ASSIGN_OR_RETURN(std::vector<int64_t> nodes, store_->SplitNodes(request.split()));
  proto_wire::MessageWriter answer;
  answer.AddOwnedBytes(SplitNodesResponse::kNodesFieldNumber, std::move(nodes));
  return answer.Finish();
}

grpc::ServerUnaryReactor* GraphServiceImpl::SampleNeighbors(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return Reply(context, AnswerSampleNeighbors(*request), response);
}

grpc::ServerUnaryReactor* GraphServiceImpl::PullFeatures(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return Reply(context, AnswerPullFeatures(*request), response);
}

grpc::ServerUnaryReactor* GraphServiceImpl::PullLabels(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return Reply(context,
               AnswerNodeRows(*request, "GraphService.PullLabels", sizeof(int64_t),
                              [this](absl::Span<const int64_t> ids, char* out) {
                                return store_->GatherLabels(ids, reinterpret_cast<int64_t*>(out));
                              }),
               response);
}

grpc::ServerUnaryReactor* GraphServiceImpl::PullSplitMasks(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return Reply(context,
               AnswerNodeRows(*request, "GraphService.PullSplitMasks", sizeof(uint8_t),
                              [this](absl::Span<const int64_t> ids, char* out) {
                                return store_->GatherSplitMasks(ids,
                                                                reinterpret_cast<uint8_t*>(out));
                              }),
               response);
}

grpc::ServerUnaryReactor* GraphServiceImpl::InDegrees(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  return Reply(context,
               AnswerNodeRows(*request, "GraphService.InDegrees", sizeof(int64_t),
                              [this](absl::Span<const int64_t> ids, char* out) {
                                return store_->GatherInDegrees(ids,
                                                               reinterpret_cast<int64_t*>(out));
                              }),
               response);
}

grpc::ServerUnaryReactor* GraphServiceImpl::SplitNodes(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return Reply(context, AnswerSplitNodes(*request), response);
}

}  // namespace distsage
