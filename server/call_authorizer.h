// Who may change state: the check every state-changing call (Shutdown, KV
// CreateTensor, Push, Save, Load) makes before acting, and every call of the
// trainers' rendezvous store (server/rendezvous_service.h). A caller is
// authorised by a client certificate the server's --tls_ca verified (mutual
// TLS), or by the bearer token of --auth_token_file in its "authorization"
// metadata. A server with neither configured lets every caller change state
// (the plaintext mode a single machine or a trusted network runs in), except
// Shutdown, which it only takes from a caller on the same machine (see
// AllowsShutdown). Thread-safe.
#ifndef DISTSAGE_SERVER_CALL_AUTHORIZER_H_
#define DISTSAGE_SERVER_CALL_AUTHORIZER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"

namespace distsage {

class CallAuthorizer {
 public:
  // `token`: the expected bearer token ("" for none); `mutual_tls`: the
  // server verifies client certificates (--tls_ca).
  CallAuthorizer(std::string token, bool mutual_tls);

  // A credential is required (a token or mutual TLS is configured).
  bool requires_credential() const { return !token_.empty() || mutual_tls_; }

  // OK when the caller of `context` may do `what` (e.g. "KVStoreService.Push");
  // UNAUTHENTICATED when it presented no credential, PERMISSION_DENIED when a
  // wrong token; the message says what to configure.
  absl::Status Check(const grpc::ServerContextBase& context, absl::string_view what) const;

  // Shutdown: Check when a credential is required; without one, only from
  // this machine (a loopback or Unix socket peer), so that nobody else on
  // the network can stop the server.
  absl::Status AllowsShutdown(const grpc::ServerContextBase& context) const;

 private:
  const std::string token_;
  const bool mutual_tls_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_CALL_AUTHORIZER_H_
