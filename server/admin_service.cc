#include "server/admin_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/grpc_status.h"

namespace distsage {

AdminServiceImpl::AdminServiceImpl(AdminServiceOptions options, StopFunction stop)
    : options_(std::move(options)), stop_(std::move(stop)) {}

grpc::Status AdminServiceImpl::Shutdown(grpc::ServerContext* context,
                                        const ShutdownRequest* request,
                                        ShutdownResponse* response) {
  if (request->graph_name().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "Shutdown must name the graph: this server serves graph '", options_.graph_name, "'")));
  }
  if (request->graph_name() != options_.graph_name) {
    return ToGrpcStatus(absl::FailedPreconditionError(absl::StrCat(
        "Shutdown asked for graph '", request->graph_name(), "' but this server serves graph '",
        options_.graph_name, "'; not shutting down")));
  }
  if (!options_.allow_shutdown) {
    return ToGrpcStatus(absl::PermissionDeniedError(
        "this server was started with --allow_shutdown_rpc=false; restart it without that flag "
        "to allow the Shutdown RPC, or stop it with SIGTERM"));
  }
  if (options_.authorizer != nullptr) {
    const absl::Status allowed = options_.authorizer->AllowsShutdown(*context);
    if (!allowed.ok()) return ToGrpcStatus(allowed);
  }
  stop_(absl::StrCat("'", request->requester(), "' (", context->peer(), ")"));
  response->set_server_id(options_.server_id);
  return grpc::Status::OK;
}

}  // namespace distsage
