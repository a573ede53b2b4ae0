// Concurrent RPCs from one client thread: a set of asynchronous calls started
// together and awaited together, and on top of it the per-partition fan-out
// of one logical request (one call per partition, partitions held in this
// process served meanwhile, answers read back in partition order).
#ifndef DISTSAGE_CLIENT_PARALLEL_CALLS_H_
#define DISTSAGE_CLIENT_PARALLEL_CALLS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "client/server_channels.h"
#include "grpcpp/grpcpp.h"
#include "proto/proto_wire.h"

namespace distsage {

// Calls start(i, done) for every i in [0, n), then waits until every call has
// ended. Each start begins one asynchronous call and arranges for done(status)
// to be called exactly once when it ends (gRPC's callback API does). Returns
// the statuses by i.
using CallDone = std::function<void(grpc::Status)>;
std::vector<grpc::Status> RunConcurrently(size_t n,
                                          const std::function<void(size_t, CallDone)>& start);

// What one server answered (CallServers).
template <typename Response>
struct ServerAnswer {
  const ServerChannels::Server* server = nullptr;
  grpc::Status status;
  Response response;
};

// Sends `request` to each of `servers` (of `channels`) at once, each on its
// first connection, with the channels' deadline: start(async_stub, context,
// request, response, done) starts the call, e.g.
//   [](auto* async, auto* context, auto* request, auto* response, CallDone done) {
//     async->Shutdown(context, request, response, std::move(done)); }
// Returns every server's answer, in the order of `servers`.
template <typename Service, typename Response, typename Request, typename StartCall>
std::vector<ServerAnswer<Response>> CallServers(
    const ServerChannels& channels, const std::vector<const ServerChannels::Server*>& servers,
    const Request& request, StartCall start) {
  struct Call {
    std::unique_ptr<typename Service::Stub> stub;
    grpc::ClientContext context;
  };
  std::vector<ServerAnswer<Response>> answers(servers.size());
  std::vector<Call> calls(servers.size());
  for (size_t i = 0; i < servers.size(); ++i) {
    answers[i].server = servers[i];
    calls[i].stub = Service::NewStub(servers[i]->channels[0]);
    channels.PrepareContext(&calls[i].context);
  }
  const std::vector<grpc::Status> statuses =
      RunConcurrently(servers.size(), [&](size_t i, CallDone done) {
        start(calls[i].stub->async(), &calls[i].context, &request, &answers[i].response,
              std::move(done));
      });
  for (size_t i = 0; i < servers.size(); ++i) answers[i].status = statuses[i];
  return answers;
}

// OK when every answer is; otherwise the first failed one's error, naming
// `method` ("Service.Method"), partition and server (ServerChannels::CallError).
template <typename Response>
absl::Status FirstFailure(const ServerChannels& channels,
                          const std::vector<ServerAnswer<Response>>& answers,
                          absl::string_view method) {
  for (const ServerAnswer<Response>& answer : answers) {
    if (!answer.status.ok()) {
      return channels.CallError(answer.status, method, answer.server->slot.part, *answer.server);
    }
  }
  return absl::OkStatus();
}

// Calls `method_path` ("/Service/Method") of partition `part` again with
// `request` after it failed with `status` because its server was down, for
// up to the channels' server_restart_timeout: on the partition's other
// servers at once (fail-fast, with a short backoff between rounds), or, with
// one server (or `primary_only`), waiting for it to come back. Only for
// idempotent methods. Logs the retry and its outcome to stderr. Returns the
// last attempt's status; `*server` is the server that gave it.
grpc::Status RetryOnRestart(ServerChannels* channels, const std::string& method_path,
                            absl::string_view service_method, int part, bool primary_only,
                            const grpc::ByteBuffer& request, grpc::ByteBuffer* response,
                            const ServerChannels::Server** server, grpc::Status status);

// One logical request of `method` of `service` (its full name, e.g.
// "distsage.GraphService") over the partitions `parts`: for every part that is_local(part) says
// lives in this process, serve_local(part) runs in this thread while the calls to the other parts
// are in flight; those get the hand-framed request make_request(part, writer), sent to a server of
// the part (rotating over backups). Then, in part order, take_response(part, reader) reads each
// answer. Returns the first error, naming partition and server. `channels` may be null when every
// part is local; bytes sent and received are counted on it. With `primary_only` every call goes
// to its partition's first server (where KV tensors live). With `idempotent` a call whose server
// is down is retried (RetryOnRestart).
template <typename IsLocal, typename MakeRequest, typename ServeLocal, typename TakeResponse>
absl::Status PartitionFanout(ServerChannels* channels, absl::Span<const int> parts,
                             absl::string_view service, absl::string_view method, IsLocal is_local,
                             MakeRequest make_request, ServeLocal serve_local,
                             TakeResponse take_response, bool primary_only = false,
                             bool idempotent = true) {
  struct Call {
    int part = 0;
    const ServerChannels::Server* server = nullptr;
    grpc::GenericStub* stub = nullptr;
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };
  std::vector<std::unique_ptr<Call>> calls;
  int64_t bytes_sent = 0;
  for (const int part : parts) {
    if (is_local(part)) continue;
    auto call = std::make_unique<Call>();
    call->part = part;
    const auto [server, connection] =
        primary_only ? channels->PickPrimary(part) : channels->Pick(part);
    call->server = server;
    call->stub = server->generic_stubs[connection].get();
    channels->PrepareContext(&call->context);
    proto_wire::MessageWriter writer;
    make_request(part, &writer);
    call->request = writer.Finish();
    bytes_sent += static_cast<int64_t>(call->request.Length());
    calls.push_back(std::move(call));
  }
  const std::string method_path = absl::StrCat("/", service, "/", method);
  // "GraphService.PullFeatures" in errors.
  const std::string service_method =
      absl::StrCat(service.substr(service.rfind('.') + 1), ".", method);
  absl::Status local_status;
  const std::vector<grpc::Status> statuses =
      RunConcurrently(calls.size() + 1, [&](size_t i, CallDone done) {
        if (i == calls.size()) {
          // The in-process parts, in this thread, once the calls are on their way.
          for (const int part : parts) {
            if (is_local(part) && local_status.ok()) local_status = serve_local(part);
          }
          done(grpc::Status::OK);
          return;
        }
        Call* call = calls[i].get();
        call->stub->UnaryCall(&call->context, method_path, grpc::StubOptions(), &call->request,
                              &call->response, std::move(done));
      });
  if (!local_status.ok()) return local_status;
  for (size_t i = 0; i < calls.size(); ++i) {
    grpc::Status status = statuses[i];
    Call* call = calls[i].get();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE && idempotent &&
        channels->options().server_restart_timeout > absl::ZeroDuration()) {
      status = RetryOnRestart(channels, method_path, service_method, call->part, primary_only,
                              call->request, &call->response, &call->server, status);
    }
    if (!status.ok()) return channels->CallError(status, service_method, call->part, *call->server);
  }
  int64_t bytes_received = 0;
  for (const std::unique_ptr<Call>& call : calls) {
    bytes_received += static_cast<int64_t>(call->response.Length());
    proto_wire::MessageReader reader(call->response);
    const absl::Status status = take_response(call->part, &reader);
    if (!status.ok()) {
      return absl::Status(
          status.code(),
          absl::StrCat(service_method, " answer of partition ", call->part, " (server ",
                       call->server->slot.address, "): ", status.message()));
    }
  }
  if (channels != nullptr) channels->AddTraffic(bytes_sent, bytes_received);
  return absl::OkStatus();
}

}  // namespace distsage

#endif  // DISTSAGE_CLIENT_PARALLEL_CALLS_H_
