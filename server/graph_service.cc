#include "server/graph_service.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/neighbor_sampler.h"

namespace distsage {
namespace {

namespace pf = partition_format;

// Unpacks LE int64 IDs; INVALID_ARGUMENT when the field is not whole int64s.
absl::Status DecodeIds(const std::string& bytes, const char* field, std::vector<int64_t>* ids) {
  if (!pf::UnpackArray(bytes, ids)) {
    return absl::InvalidArgumentError(absl::StrCat("field '", field, "' has ", bytes.size(),
                                                   " bytes, not a whole number of LE int64 IDs"));
  }
  return absl::OkStatus();
}

// A string of `count` T whose buffer the store writes into directly.
template <typename T>
T* ResizeFor(std::string* bytes, size_t count) {
  bytes->resize(count * sizeof(T));
  return reinterpret_cast<T*>(bytes->data());
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

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

grpc::Status GraphServiceImpl::GetGraphInfo(grpc::ServerContext*, const GetGraphInfoRequest*,
                                            GraphInfo* info) {
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
  return grpc::Status::OK;
}

grpc::Status GraphServiceImpl::SampleNeighbors(grpc::ServerContext*,
                                               const SampleNeighborsRequest* request,
                                               SampleNeighborsResponse* response) {
  absl::Status status = CheckGraph(request->graph_name());
  std::vector<int64_t> seeds;
  if (status.ok()) status = DecodeIds(request->seeds(), "seeds", &seeds);
  std::vector<int64_t> src;
  if (status.ok()) {
    const NeighborSampleRequest sample{request->fanout(), request->replace(), request->rng_seed()};
    int32_t* counts = ResizeFor<int32_t>(response->mutable_counts(), seeds.size());
    status = distsage::SampleNeighbors(*store_, seeds, sample, counts, &src);
  }
  if (status.ok()) {
    status = CheckAnswerSize(
        static_cast<int64_t>(src.size() * sizeof(int64_t) + seeds.size() * sizeof(int32_t)),
        "sampled edges");
  }
  if (!status.ok()) {
    response->Clear();
    return ToGrpcStatus(status);
  }
  response->set_src(pf::PackArray(src.data(), src.size()));
  return grpc::Status::OK;
}

grpc::Status GraphServiceImpl::PullFeatures(grpc::ServerContext*,
                                            const PullFeaturesRequest* request,
                                            PullFeaturesResponse* response) {
  absl::Status status = CheckGraph(request->graph_name());
  const FeatureSpec* spec = nullptr;
  if (status.ok()) {
    absl::StatusOr<const FeatureSpec*> found = store_->FindFeature(request->feature());
    status = found.status();
    if (found.ok()) spec = *found;
  }
  std::vector<int64_t> ids;
  if (status.ok()) status = DecodeIds(request->ids(), "ids", &ids);
  if (status.ok()) {
    status = CheckAnswerSize(
        static_cast<int64_t>(ids.size()) * spec->dim * static_cast<int64_t>(sizeof(float)),
        "feature rows");
  }
  if (status.ok()) {
    response->set_dim(spec->dim);
    float* rows = ResizeFor<float>(response->mutable_rows(), ids.size() * spec->dim);
    status = store_->GatherFeatures(spec->name, ids, rows);
  }
  if (!status.ok()) response->Clear();
  return ToGrpcStatus(status);
}

grpc::Status GraphServiceImpl::PullLabels(grpc::ServerContext*, const NodeIdsRequest* request,
                                          PullLabelsResponse* response) {
  absl::Status status = CheckGraph(request->graph_name());
  std::vector<int64_t> ids;
  if (status.ok()) status = DecodeIds(request->ids(), "ids", &ids);
  if (status.ok()) {
    status = store_->GatherLabels(ids, ResizeFor<int64_t>(response->mutable_labels(), ids.size()));
  }
  if (!status.ok()) response->Clear();
  return ToGrpcStatus(status);
}

grpc::Status GraphServiceImpl::PullSplitMasks(grpc::ServerContext*, const NodeIdsRequest* request,
                                              PullSplitMasksResponse* response) {
  absl::Status status = CheckGraph(request->graph_name());
  std::vector<int64_t> ids;
  if (status.ok()) status = DecodeIds(request->ids(), "ids", &ids);
  if (status.ok()) {
    status =
        store_->GatherSplitMasks(ids, ResizeFor<uint8_t>(response->mutable_masks(), ids.size()));
  }
  if (!status.ok()) response->Clear();
  return ToGrpcStatus(status);
}

grpc::Status GraphServiceImpl::InDegrees(grpc::ServerContext*, const NodeIdsRequest* request,
                                         InDegreesResponse* response) {
  absl::Status status = CheckGraph(request->graph_name());
  std::vector<int64_t> ids;
  if (status.ok()) status = DecodeIds(request->ids(), "ids", &ids);
  if (status.ok()) {
    status =
        store_->GatherInDegrees(ids, ResizeFor<int64_t>(response->mutable_degrees(), ids.size()));
  }
  if (!status.ok()) response->Clear();
  return ToGrpcStatus(status);
}

grpc::Status GraphServiceImpl::SplitNodes(grpc::ServerContext*, const SplitNodesRequest* request,
                                          SplitNodesResponse* response) {
  absl::Status status = CheckGraph(request->graph_name());
  if (!status.ok()) return ToGrpcStatus(status);
  absl::StatusOr<std::vector<int64_t>> nodes = store_->SplitNodes(request->split());
  if (!nodes.ok()) return ToGrpcStatus(nodes.status());
  response->set_nodes(pf::PackArray(nodes->data(), nodes->size()));
  return grpc::Status::OK;
}

}  // namespace distsage
