// Fuzzes the AdminService handler (Shutdown): the input's first byte says
// which credential the call carries (bit 0: the server's bearer token) and
// the rest is the serialised ShutdownRequest, handed to the real
// AdminServiceImpl over an in-process gRPC channel. A Shutdown the service
// accepts calls the stop function, which here only counts; it must be
// accepted only for the right graph name and with the token. Every answer
// must be OK or a client error with a message (fuzz_support.h); sanitizers
// catch the rest.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "proto/distsage/admin.pb.h"
#include "proto/transport_security.h"
#include "server/admin_service.h"
#include "server/call_authorizer.h"
#include "tests/fuzz/fuzz_support.h"

namespace distsage::fuzz {
namespace {

constexpr char kToken[] = "admin-fuzz-token";
// The graph the server serves (Shutdown only checks the name, so no
// partition is loaded).
constexpr char kGraph[] = "cora";
constexpr char kMethod[] = "/distsage.AdminService/Shutdown";

struct Served {
  CallAuthorizer authorizer{kToken, false};
  int64_t stops = 0;  // Calls of the stop function.
  AdminServiceImpl service{{kGraph, 0, true, &authorizer}, [this](const std::string&) { ++stops; }};
  InProcessServer server{{&service}};
};

}  // namespace
}  // namespace distsage::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace distsage::fuzz;
  static Served* const served = new Served;
  const Selected input = SplitSelector(data, size);
  const bool with_token = (input.selector & 1) != 0;
  distsage::ShutdownRequest request;
  const bool parses =
      request.ParseFromArray(input.rest.data(), static_cast<int>(input.rest.size()));
  const int64_t stops_before = served->stops;
  grpc::ByteBuffer response;
  const grpc::Status status =
      served->server.Call(kMethod, input.rest, &response,
                          with_token ? absl::StrCat(distsage::kBearerPrefix, kToken) : "");
  CheckAnswerStatus(status, kMethod, !parses);
  const bool should_stop = parses && with_token && request.graph_name() == kGraph;
  if (status.ok() != should_stop || (served->stops > stops_before) != should_stop) {
    std::fprintf(stderr, "Shutdown (graph '%s', token %d) answered %d and %s the server\n",
                 request.graph_name().c_str(), with_token, status.error_code(),
                 served->stops > stops_before ? "stopped" : "did not stop");
    std::abort();
  }
  return 0;
}
