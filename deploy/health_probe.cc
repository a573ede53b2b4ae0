// distsage_health: asks a gRPC server whether it is SERVING, through the
// standard health protocol (grpc.health.v1.Health/Check), retrying until the
// answer is SERVING or --timeout_s has passed. For `launch` (which waits for
// every graph server before it starts the trainers) and for operators.
//
//   distsage_health HOST:PORT [SERVICE] [--timeout_s N]
//                   [--tls_ca CA.pem [--tls_cert CERT.pem --tls_key KEY.pem]]
//
// With --tls_ca it dials TLS and verifies the server's certificate for HOST;
// with a certificate too it can probe servers that require mutual TLS.
// SERVICE defaults to "" (the server as a whole); graph servers also answer
// for "distsage.GraphService". Exit 0: SERVING; 1: not SERVING (or not
// reachable) by the deadline, the last answer on stderr; 2: bad usage.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "grpcpp/grpcpp.h"
#include "proto/grpc_health_v1.grpc.pb.h"
#include "proto/transport_security.h"

ABSL_FLAG(double, timeout_s, 10.0,
          "keep asking until SERVING for this many seconds (0: ask once, with a 1 s deadline)");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA that signed the server's certificate: dial TLS");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate, for servers requiring mutual TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");

namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Check call; returns true when SERVING, else sets `*why`.
bool CheckOnce(Health::Stub* stub, const std::string& service,
               std::chrono::system_clock::time_point deadline, std::string* why) {
  grpc::ClientContext context;
  context.set_deadline(deadline);
  context.set_wait_for_ready(true);  // Wait for the listener instead of failing fast.
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    *why = "health check failed: " + status.error_message() + " (gRPC code " +
           std::to_string(status.error_code()) + ")";
    return false;
  }
  if (response.status() == HealthCheckResponse::SERVING) return true;
  *why = "status " + HealthCheckResponse::ServingStatus_Name(response.status());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Waits until a gRPC server answers health SERVING.\n"
      "  distsage_health HOST:PORT [SERVICE] [--timeout_s N]\n"
      "Exit 0: SERVING; 1: not SERVING by the deadline; 2: bad usage.");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2 || positional.size() > 3) {
    std::fprintf(stderr, "usage: distsage_health HOST:PORT [SERVICE] [--timeout_s N]\n");
    return 2;
  }
  const std::string address = positional[1];
  const std::string service = positional.size() == 3 ? positional[2] : "";
  const double timeout_s = absl::GetFlag(FLAGS_timeout_s);
  if (timeout_s < 0) {
    std::fprintf(stderr, "distsage_health: --timeout_s must be >= 0\n");
    return 2;
  }
  const auto deadline =
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(std::max(timeout_s, 1.0) * 1000));
  const absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      distsage::ChannelCredentialsFrom({absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                                        absl::GetFlag(FLAGS_tls_ca)});
  if (!credentials.ok()) {
    std::fprintf(stderr, "distsage_health: %s\n",
                 std::string(credentials.status().message()).c_str());
    return 2;
  }
  auto stub = Health::NewStub(grpc::CreateChannel(address, *credentials));
  std::string why;
  while (true) {
    // Each call waits at most 1 s, so a server that is up but NOT_SERVING
    // is asked again.
    const auto call_deadline =
        std::min(deadline, std::chrono::system_clock::now() + std::chrono::seconds(1));
    if (CheckOnce(stub.get(), service, call_deadline, &why)) {
      std::printf("%s%s%s: SERVING\n", address.c_str(), service.empty() ? "" : " ",
                  service.c_str());
      return 0;
    }
    if (std::chrono::system_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::fprintf(stderr, "distsage_health: %s%s%s is not SERVING after %.1f s: %s\n", address.c_str(),
               service.empty() ? "" : " service ", service.c_str(), timeout_s, why.c_str());
  return 1;
}
