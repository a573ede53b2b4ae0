#include "client/admin_client.h"

#include <memory>
#include <vector>

#include "client/parallel_calls.h"
#include "proto/distsage/admin.grpc.pb.h"

namespace distsage {

absl::Status ShutdownServers(const ServerChannels& channels, const std::string& graph_name,
                             const std::string& requester) {
  struct Call {
    int part = 0;
    const ServerChannels::Server* server = nullptr;
    std::unique_ptr<AdminService::Stub> stub;
    grpc::ClientContext context;
    ShutdownRequest request;
    ShutdownResponse response;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int part = 0; part < channels.num_parts(); ++part) {
    for (const ServerChannels::Server& server : channels.servers_of(part)) {
      auto call = std::make_unique<Call>();
      call->part = part;
      call->server = &server;
      call->stub = AdminService::NewStub(server.channels[0]);
      channels.PrepareContext(&call->context);
      call->request.set_graph_name(graph_name);
      call->request.set_requester(requester);
      calls.push_back(std::move(call));
    }
  }
  const std::vector<grpc::Status> statuses = RunConcurrently(calls.size(), [&](size_t i,
                                                                               CallDone done) {
    Call* call = calls[i].get();
    call->stub->async()->Shutdown(&call->context, &call->request, &call->response, std::move(done));
  });
  for (size_t i = 0; i < calls.size(); ++i) {
    if (!statuses[i].ok()) {
      return channels.CallError(statuses[i], "AdminService.Shutdown", calls[i]->part,
                                *calls[i]->server);
    }
  }
  return absl::OkStatus();
}

}  // namespace distsage
