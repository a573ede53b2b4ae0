#include "server/call_authorizer.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/transport_security.h"

namespace distsage {
namespace {

// Compares in time that depends on the lengths only, so that timing does
// not reveal how much of a guessed token was right.
bool SameSecret(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ |= static_cast<unsigned char>(a[i] ^ b[i]);
  return differ == 0;
}

}  // namespace

CallAuthorizer::CallAuthorizer(std::string token, bool mutual_tls)
    : token_(std::move(token)), mutual_tls_(mutual_tls) {}

absl::Status CallAuthorizer::Check(const grpc::ServerContextBase& context,
                                   absl::string_view what) const {
  if (!requires_credential()) return absl::OkStatus();
  // With --tls_ca the handshake has already refused clients without a
  // certificate the CA signed: a peer that got here is verified.
  if (mutual_tls_) {
    const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
    if (auth != nullptr && auth->IsPeerAuthenticated()) return absl::OkStatus();
  }
  if (!token_.empty()) {
    const auto& metadata = context.client_metadata();
    const auto found = metadata.find(kAuthorizationKey);
    if (found != metadata.end()) {
      const absl::string_view value(found->second.data(), found->second.size());
      if (absl::StartsWith(value, kBearerPrefix) &&
          SameSecret(value.substr(sizeof(kBearerPrefix) - 1), token_)) {
        return absl::OkStatus();
      }
      return absl::PermissionDeniedError(
          absl::StrCat(what,
                       " refused: the bearer token does not match this server's "
                       "--auth_token_file"));
    }
  }
  return absl::UnauthenticatedError(absl::StrCat(
      what, " needs a credential: ",
      mutual_tls_ ? "a client certificate signed by the server's --tls_ca" : "",
      mutual_tls_ && !token_.empty() ? ", or " : "",
      token_.empty() ? ""
                     : "the token of the server's --auth_token_file (client: --auth_token_file)"));
}

absl::Status CallAuthorizer::AllowsShutdown(const grpc::ServerContextBase& context) const {
  if (requires_credential()) return Check(context, "AdminService.Shutdown");
  const std::string peer = context.peer();
  if (absl::StartsWith(peer, "unix:") || absl::StartsWith(peer, "ipv4:127.") ||
      absl::StartsWith(peer, "ipv6:[::1]") || absl::StartsWith(peer, "ipv6:%5B::1%5D")) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "Shutdown from ", peer,
      " refused: this server has no credential configured (--auth_token_file or --tls_ca), so "
      "it takes Shutdown only from its own machine; stop it with SIGTERM, or configure one"));
}

}  // namespace distsage
