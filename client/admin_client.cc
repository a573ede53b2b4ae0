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
  return FirstFailure(channels,
                      CallServers<AdminService, ShutdownResponse>(
                          channels, channels.AllServers(), request,
                          [](auto* async, auto* context, auto* r, auto* response, CallDone done) {
                            async->Shutdown(context, r, response, std::move(done));
                          }),
                      "AdminService.Shutdown");
}

}  // namespace distsage
