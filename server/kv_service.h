// KVStoreService (proto/distsage/kvstore.proto) over one KVStore: the KV
// tensors of this server's partition. Every method is a raw callback method
// (server/raw_call.h): Pull and Push frame their answers by hand, as
// GraphService's bulk methods; the others parse their requests themselves,
// so that a request that does not parse is answered INVALID_ARGUMENT saying
// why, not INTERNAL with no message.
// A backup server (not its partition's first) holds no tensors and refuses
// every call with FAILED_PRECONDITION naming the server to use, so backups
// can never diverge. Thread-safe.
#ifndef DISTSAGE_SERVER_KV_SERVICE_H_
#define DISTSAGE_SERVER_KV_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "proto/distsage/kvstore.grpc.pb.h"
#include "proto/wire_limits.h"
#include "server/call_authorizer.h"
#include "server/kv_store.h"
#include "server/push_ledger.h"

namespace distsage {

using RawKVStoreService = KVStoreService::WithRawCallbackMethod_CreateTensor<
    KVStoreService::WithRawCallbackMethod_ListTensors<KVStoreService::WithRawCallbackMethod_Pull<
        KVStoreService::WithRawCallbackMethod_Push<KVStoreService::WithRawCallbackMethod_Save<
            KVStoreService::WithRawCallbackMethod_Load<KVStoreService::Service>>>>>>;

struct KVServiceOptions {
  std::string graph_name;
  int server_id = 0;
  // False on a partition's backup servers (server_id % num_servers != 0).
  bool primary = true;
  std::string primary_hint;  // For backups' errors: which server holds the tensors.
  int64_t max_answer_bytes = kMaxMessageBytes;
  // Who may create, push, save and load (pull and list are open); null:
  // anyone. Not owned; must outlive the service.
  const CallAuthorizer* authorizer = nullptr;
};

class KVServiceImpl final : public RawKVStoreService {
 public:
  // `store` may be null on a backup server.
  KVServiceImpl(KVServiceOptions options, std::shared_ptr<KVStore> store);

  // Each method: `request` is the serialised request message, `response`
  // receives the serialised answer.
  grpc::ServerUnaryReactor* CreateTensor(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListTensors(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Save(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Load(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Pull(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Push(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;

 private:
  // OK when this server holds tensors and `graph_name` is empty or its graph.
  absl::Status CheckServes(const std::string& graph_name) const;
  // OK when the caller may change the tensors with `method`.
  absl::Status CheckAuthorized(const grpc::ServerContextBase& context,
                               absl::string_view method) const;
  absl::Status AnswerCreateTensor(const grpc::ServerContextBase& context,
                                  const CreateTensorRequest& request, TensorInfo* response) const;
  absl::Status AnswerListTensors(const ListTensorsRequest& request,
                                 ListTensorsResponse* response) const;
  absl::Status AnswerSave(const grpc::ServerContextBase& context, const KVSaveRequest& request,
                          KVSaveResponse* response) const;
  absl::Status AnswerLoad(const grpc::ServerContextBase& context, const KVLoadRequest& request,
                          KVLoadResponse* response) const;
  absl::StatusOr<grpc::ByteBuffer> AnswerPull(const grpc::ByteBuffer& request) const;
  absl::StatusOr<grpc::ByteBuffer> AnswerPush(const grpc::CallbackServerContext& context,
                                              const grpc::ByteBuffer& request) const;

  mutable PushLedger push_ledger_;  // Exactly-once pushes.
  const KVServiceOptions options_;
  const std::shared_ptr<KVStore> store_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_KV_SERVICE_H_
