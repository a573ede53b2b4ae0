#include "server/kv_service.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/grpc_status.h"
#include "proto/proto_wire.h"
#include "server/kv_spec_proto.h"
#include "server/raw_call.h"

namespace distsage {

KVServiceImpl::KVServiceImpl(KVServiceOptions options, std::shared_ptr<KVStore> store)
    : options_(std::move(options)), store_(std::move(store)) {}

absl::Status KVServiceImpl::CheckServes(const std::string& graph_name) const {
  if (!options_.primary || store_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "server ", options_.server_id,
        " is a backup of its partition and holds no KV tensors; KV calls go to the "
        "partition's first server",
        options_.primary_hint.empty() ? "" : absl::StrCat(" (", options_.primary_hint, ")")));
  }
  if (graph_name.empty() || graph_name == options_.graph_name) return absl::OkStatus();
  return absl::NotFoundError(
      absl::StrCat("this server serves graph '", options_.graph_name, "', not '", graph_name, "'"));
}

absl::Status KVServiceImpl::CheckAuthorized(const grpc::ServerContextBase& context,
                                            absl::string_view method) const {
  if (options_.authorizer == nullptr) return absl::OkStatus();
  return options_.authorizer->Check(context, absl::StrCat("KVStoreService.", method));
}

absl::Status KVServiceImpl::AnswerCreateTensor(const grpc::ServerContextBase& context,
                                               const CreateTensorRequest& request,
                                               TensorInfo* response) const {
  DS_RETURN_IF_ERROR(CheckServes(request.graph_name()));
  DS_RETURN_IF_ERROR(CheckAuthorized(context, "CreateTensor"));
  DS_ASSIGN_OR_RETURN(const KVTensorSpec spec, SpecFromProto(request.spec()));
  DS_RETURN_IF_ERROR(store_->Create(spec));
  *response->mutable_spec() = SpecToProto(spec);
  response->set_row_begin(store_->row_begin());
  response->set_row_end(store_->row_end());
  return absl::OkStatus();
}

absl::Status KVServiceImpl::AnswerListTensors(const ListTensorsRequest& request,
                                              ListTensorsResponse* response) const {
  DS_RETURN_IF_ERROR(CheckServes(request.graph_name()));
  for (const KVTensorSpec& spec : store_->List()) {
    TensorInfo* info = response->add_tensors();
    *info->mutable_spec() = SpecToProto(spec);
    info->set_row_begin(store_->row_begin());
    info->set_row_end(store_->row_end());
  }
  return absl::OkStatus();
}

absl::Status KVServiceImpl::AnswerSave(const grpc::ServerContextBase& context,
                                       const KVSaveRequest& request,
                                       KVSaveResponse* response) const {
  DS_RETURN_IF_ERROR(CheckServes(request.graph_name()));
  DS_RETURN_IF_ERROR(CheckAuthorized(context, "Save"));
  DS_ASSIGN_OR_RETURN(const std::string path, store_->Save(request.label()));
  response->set_tensors(static_cast<int64_t>(store_->List().size()));
  response->set_path(path);
  return absl::OkStatus();
}

absl::Status KVServiceImpl::AnswerLoad(const grpc::ServerContextBase& context,
                                       const KVLoadRequest& request,
                                       KVLoadResponse* response) const {
  DS_RETURN_IF_ERROR(CheckServes(request.graph_name()));
  DS_RETURN_IF_ERROR(CheckAuthorized(context, "Load"));
  DS_ASSIGN_OR_RETURN(const int64_t tensors, store_->Load(request.label()));
  response->set_tensors(tensors);
  return absl::OkStatus();
}

absl::StatusOr<grpc::ByteBuffer> KVServiceImpl::AnswerPull(const grpc::ByteBuffer& raw) const {
  KVPullRequest request;
  DS_RETURN_IF_ERROR(ParseRequest(raw, "KVStoreService.Pull", &request));
  DS_RETURN_IF_ERROR(CheckServes(request.graph_name()));
  DS_ASSIGN_OR_RETURN(const std::shared_ptr<KVTable> table, store_->Find(request.name()));
  std::vector<int64_t> ids;
  DS_RETURN_IF_ERROR(DecodePackedField(request.ids(), "ids", "LE int64 IDs", &ids));
  const int64_t bytes = static_cast<int64_t>(ids.size() * table->spec().dim * sizeof(float));
  if (bytes > options_.max_answer_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the answer would be ", bytes, " bytes, over the message limit of ",
                     options_.max_answer_bytes, " bytes; split the request into smaller batches"));
  }
  proto_wire::MessageWriter answer;
  auto* rows =
      reinterpret_cast<float*>(answer.AddBytesInPlace(KVPullResponse::kRowsFieldNumber, bytes));
  DS_RETURN_IF_ERROR(table->Pull(ids, rows));
  return answer.Finish();
}

absl::StatusOr<grpc::ByteBuffer> KVServiceImpl::AnswerPush(
    const grpc::CallbackServerContext& context, const grpc::ByteBuffer& raw) const {
  KVPushRequest request;
  DS_RETURN_IF_ERROR(ParseRequest(raw, "KVStoreService.Push", &request));
  DS_RETURN_IF_ERROR(CheckServes(request.graph_name()));
  DS_RETURN_IF_ERROR(CheckAuthorized(context, "Push"));
  DS_ASSIGN_OR_RETURN(const std::shared_ptr<KVTable> table, store_->Find(request.name()));
  std::vector<int64_t> ids;
  DS_RETURN_IF_ERROR(DecodePackedField(request.ids(), "ids", "LE int64 IDs", &ids));
  std::vector<float> grads;
  DS_RETURN_IF_ERROR(DecodePackedField(request.grads(), "grads", "float32", &grads));
  int64_t updated = 0;
  DS_ASSIGN_OR_RETURN(const bool duplicate,
                      push_ledger_.ApplyOnce(request.client_id(), request.sequence(), [&] {
                        absl::StatusOr<int64_t> pushed = table->Push(ids, grads);
                        if (pushed.ok()) updated = *pushed;
                        return pushed.status();
                      }));
  proto_wire::MessageWriter answer;
  answer.AddVarint(KVPushResponse::kRowsUpdatedFieldNumber, static_cast<uint64_t>(updated));
  if (duplicate) answer.AddVarint(KVPushResponse::kDuplicateFieldNumber, 1);
  return answer.Finish();
}

grpc::ServerUnaryReactor* KVServiceImpl::CreateTensor(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  return ReplyToMessage<CreateTensorRequest, TensorInfo>(
      context, "KVStoreService.CreateTensor", *request, response,
      [&](const CreateTensorRequest& parsed, TensorInfo* answer) {
        return AnswerCreateTensor(*context, parsed, answer);
      });
}

grpc::ServerUnaryReactor* KVServiceImpl::ListTensors(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return ReplyToMessage<ListTensorsRequest, ListTensorsResponse>(
      context, "KVStoreService.ListTensors", *request, response,
      [&](const ListTensorsRequest& parsed, ListTensorsResponse* answer) {
        return AnswerListTensors(parsed, answer);
      });
}

grpc::ServerUnaryReactor* KVServiceImpl::Save(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) {
  return ReplyToMessage<KVSaveRequest, KVSaveResponse>(
      context, "KVStoreService.Save", *request, response,
      [&](const KVSaveRequest& parsed, KVSaveResponse* answer) {
        return AnswerSave(*context, parsed, answer);
      });
}

grpc::ServerUnaryReactor* KVServiceImpl::Load(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) {
  return ReplyToMessage<KVLoadRequest, KVLoadResponse>(
      context, "KVStoreService.Load", *request, response,
      [&](const KVLoadRequest& parsed, KVLoadResponse* answer) {
        return AnswerLoad(*context, parsed, answer);
      });
}

grpc::ServerUnaryReactor* KVServiceImpl::Pull(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) {
  return Reply(context, AnswerPull(*request), response);
}

grpc::ServerUnaryReactor* KVServiceImpl::Push(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) {
  return Reply(context, AnswerPush(*context, *request), response);
}

}  // namespace distsage
