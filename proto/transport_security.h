// TLS and bearer tokens for every distsage channel, read from PEM and token
// files the way every binary takes them (--tls_cert, --tls_key, --tls_ca,
// --auth_token_file). deploy/make_certs makes the files for a cluster.
//
// Server: a certificate and key make it serve TLS; a CA as well makes it
// mutual: every client must present a certificate that CA signed, or its
// handshake fails. Client: a CA makes it dial TLS and verify the server's
// certificate (for the host in ip_config.txt, whichever transport dials it);
// a certificate and key are presented to servers that ask (mutual TLS).
#ifndef DISTSAGE_PROTO_TRANSPORT_SECURITY_H_
#define DISTSAGE_PROTO_TRANSPORT_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace distsage {

// Paths of PEM files ("" for none).
struct TlsFiles {
  std::string cert;  // This side's certificate chain.
  std::string key;   // Its private key.
  std::string ca;    // The CA that signs the other side's certificates.
  bool any() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

// Server credentials: insecure (plaintext) without files; TLS with cert and
// key; mutual TLS with a CA too. INVALID_ARGUMENT naming the flag for a
// missing half (cert without key, a CA without a certificate) or an
// unreadable file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFrom(
    const TlsFiles& files);

// Channel credentials: insecure without files; TLS verified against the CA;
// presenting cert and key when given. INVALID_ARGUMENT as above (a
// certificate without a CA to verify the server is one).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFrom(
    const TlsFiles& files);

// The bearer token in `path` (surrounding whitespace dropped). It must not
// be empty, and the file must not be readable by other users (a secret:
// chmod 600), or INVALID_ARGUMENT says so.
absl::StatusOr<std::string> ReadAuthToken(const std::string& path);

// The metadata key and value prefix a token travels in ("authorization:
// Bearer <token>", as HTTP has it).
inline constexpr char kAuthorizationKey[] = "authorization";
inline constexpr char kBearerPrefix[] = "Bearer ";

}  // namespace distsage

#endif  // DISTSAGE_PROTO_TRANSPORT_SECURITY_H_
