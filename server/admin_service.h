// AdminService (proto/distsage/admin.proto): the process-level calls of a
// server process, answered once for the whole process whatever data services
// it hosts. Shutdown checks the request, then hands the stop to whoever owns
// the process (ServiceHost::RequestShutdown); it must not stop the gRPC
// server itself, since grpc::Server::Shutdown waits for in-flight calls, this
// one included. Shutdown is a raw callback method (server/raw_call.h), so
// that a request that does not parse is answered INVALID_ARGUMENT saying
// why. Thread-safe.
#ifndef DISTSAGE_SERVER_ADMIN_SERVICE_H_
#define DISTSAGE_SERVER_ADMIN_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "proto/distsage/admin.grpc.pb.h"
#include "server/call_authorizer.h"

namespace distsage {

struct AdminServiceOptions {
  std::string graph_name;  // What a Shutdown request must name.
  int server_id = 0;       // Reported in the Shutdown answer.
  // False: Shutdown answers PERMISSION_DENIED (the process stops on SIGTERM only).
  bool allow_shutdown = true;
  // Who may shut the server down (CallAuthorizer::AllowsShutdown); null:
  // anyone. Not owned; must outlive the service.
  const CallAuthorizer* authorizer = nullptr;
};

class AdminServiceImpl final
    : public AdminService::WithRawCallbackMethod_Shutdown<AdminService::Service> {
 public:
  // `stop(who)` is called for every accepted Shutdown, with the requester and
  // the caller's address; it must return at once.
  using StopFunction = std::function<void(const std::string& who)>;
  AdminServiceImpl(AdminServiceOptions options, StopFunction stop);

  // `request` is the serialised ShutdownRequest, `response` receives the
  // serialised ShutdownResponse.
  grpc::ServerUnaryReactor* Shutdown(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;

 private:
  absl::Status AnswerShutdown(const grpc::ServerContextBase& context,
                              const ShutdownRequest& request, ShutdownResponse* response) const;

  const AdminServiceOptions options_;
  const StopFunction stop_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_ADMIN_SERVICE_H_
