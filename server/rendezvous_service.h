// RendezvousService (proto/distsage/rendezvous.proto): the key-value store the
// trainers of one job meet through, served by rank 0 (trainer/
// rendezvous_store.h hosts it and is its client). Get and Wait block until
// their keys exist, until the call's deadline, or until the call is
// cancelled (the server stopping cancels it). Every call must pass the
// authorizer: in a job with a token or mutual TLS, only its trainers may read
// or write the store. Thread-safe.
#ifndef DISTSAGE_SERVER_RENDEZVOUS_SERVICE_H_
#define DISTSAGE_SERVER_RENDEZVOUS_SERVICE_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "proto/distsage/rendezvous.grpc.pb.h"
#include "server/call_authorizer.h"

namespace distsage {

class RendezvousServiceImpl final : public RendezvousService::Service {
 public:
  // `authorizer` is not owned and must outlive the service.
  explicit RendezvousServiceImpl(const CallAuthorizer* authorizer);

  grpc::Status Set(grpc::ServerContext* context, const RendezvousSetRequest* request,
                   RendezvousSetResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const RendezvousGetRequest* request,
                   RendezvousGetResponse* response) override;
  grpc::Status Add(grpc::ServerContext* context, const RendezvousAddRequest* request,
                   RendezvousAddResponse* response) override;
  grpc::Status CompareSet(grpc::ServerContext* context, const RendezvousCompareSetRequest* request,
                          RendezvousCompareSetResponse* response) override;
  grpc::Status DeleteKey(grpc::ServerContext* context, const RendezvousKeyRequest* request,
                         RendezvousDeleteKeyResponse* response) override;
  grpc::Status Check(grpc::ServerContext* context, const RendezvousKeysRequest* request,
                     RendezvousCheckResponse* response) override;
  grpc::Status Wait(grpc::ServerContext* context, const RendezvousKeysRequest* request,
                    RendezvousWaitResponse* response) override;
  grpc::Status NumKeys(grpc::ServerContext* context, const RendezvousNumKeysRequest* request,
                       RendezvousNumKeysResponse* response) override;

 private:
  // OK when the authorizer lets the call to `method` (e.g. "Get") through;
  // else its refusal (every method needs the job's credential).
  grpc::Status Admit(const grpc::ServerContext& context, absl::string_view method) const;
  // Blocks until every key of `keys` exists (then OK, with mu_ held), the
  // context's deadline passes (DEADLINE_EXCEEDED) or it is cancelled.
  template <typename Keys>
  grpc::Status AwaitKeys(grpc::ServerContext* context, const Keys& keys)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const CallAuthorizer* const authorizer_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> values_ ABSL_GUARDED_BY(mu_);
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_RENDEZVOUS_SERVICE_H_
