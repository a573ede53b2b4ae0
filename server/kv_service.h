// KVStoreService (proto/distsage/kvstore.proto) over one KVStore: the KV
// tensors of this server's partition. Pull and Push are raw callback methods
// (hand-framed answers, as GraphService's bulk methods); the rest are plain.
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

using RawBulkKVStoreService = KVStoreService::WithRawCallbackMethod_Pull<
    KVStoreService::WithRawCallbackMethod_Push<KVStoreService::Service>>;

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

class KVServiceImpl final : public RawBulkKVStoreService {
 public:
  // `store` may be null on a backup server.
  KVServiceImpl(KVServiceOptions options, std::shared_ptr<KVStore> store);

  grpc::Status CreateTensor(grpc::ServerContext* context, const CreateTensorRequest* request,
                            TensorInfo* response) override;
  grpc::Status ListTensors(grpc::ServerContext* context, const ListTensorsRequest* request,
                           ListTensorsResponse* response) override;
  grpc::Status Save(grpc::ServerContext* context, const KVSaveRequest* request,
                    KVSaveResponse* response) override;
  grpc::Status Load(grpc::ServerContext* context, const KVLoadRequest* request,
                    KVLoadResponse* response) override;
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
  absl::StatusOr<grpc::ByteBuffer> AnswerPull(const grpc::ByteBuffer& request) const;
  absl::StatusOr<grpc::ByteBuffer> AnswerPush(const grpc::CallbackServerContext& context,
                                              const grpc::ByteBuffer& request) const;

  mutable PushLedger push_ledger_;  // Exactly-once pushes.
  const KVServiceOptions options_;
  const std::shared_ptr<KVStore> store_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_KV_SERVICE_H_
