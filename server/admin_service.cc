#include "server/admin_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/raw_call.h"

namespace distsage {

AdminServiceImpl::AdminServiceImpl(AdminServiceOptions options, StopFunction stop)
    : options_(std::move(options)), stop_(std::move(stop)) {}

absl::Status AdminServiceImpl::AnswerShutdown(const grpc::ServerContextBase& context,
                                              const ShutdownRequest& request,
                                              ShutdownResponse* response) const {
  if (request.graph_name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Shutdown must name the graph: this server serves graph '", options_.graph_name, "'"));
  }
  if (request.graph_name() != options_.graph_name) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Shutdown asked for graph '", request.graph_name(), "' but this server serves graph '",
        options_.graph_name, "'; not shutting down"));
  }
  if (!options_.allow_shutdown) {
    return absl::PermissionDeniedError(
        "this server was started with --allow_shutdown_rpc=false; restart it without that flag "
        "to allow the Shutdown RPC, or stop it with SIGTERM");
  }
  if (options_.authorizer != nullptr) {
    const absl::Status allowed = options_.authorizer->AllowsShutdown(context);
    if (!allowed.ok()) return allowed;
  }
  stop_(absl::StrCat("'", request.requester(), "' (", context.peer(), ")"));
  response->set_server_id(options_.server_id);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminServiceImpl::Shutdown(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return ReplyToMessage<ShutdownRequest, ShutdownResponse>(
      context, "AdminService.Shutdown", *request, response,
      [&](const ShutdownRequest& parsed, ShutdownResponse* answer) {
        return AnswerShutdown(*context, parsed, answer);
      });
}

}  // namespace distsage
