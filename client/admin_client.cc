#include "client/admin_client.h"

#include <vector>

#include "client/parallel_calls.h"
#include "proto/distsage/admin.grpc.pb.h"

namespace distsage {

absl::Status ShutdownServers(const ServerChannels& channels, const std::string& graph_name,
                             const std::string& requester) {
  ShutdownRequest request;
  request.set_graph_name(graph_name);
  request.set_requester(requester);
  const std::vector<ServerAnswer<ShutdownResponse>> answers =
      CallServers<AdminService, ShutdownResponse>(
          channels, channels.AllServers(), request,
          [](auto* async, grpc::ClientContext* context, const ShutdownRequest* request,
             ShutdownResponse* response,
             CallDone done) { async->Shutdown(context, request, response, std::move(done)); });
  for (const ServerAnswer<ShutdownResponse>& answer : answers) {
    if (!answer.status.ok()) {
      return channels.CallError(answer.status, "AdminService.Shutdown", answer.server->slot.part,
                                *answer.server);
    }
  }
  return absl::OkStatus();
}

}  // namespace distsage
