#include "proto/transport_security.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace distsage {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, "=", path, ": cannot read a PEM file there (deploy/make_certs makes them)"));
  }
  return text.str();
}

absl::Status CheckPair(const TlsFiles& files) {
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--tls_cert and --tls_key go together (given: ",
                                                   files.cert.empty() ? "--tls_key" : "--tls_cert",
                                                   " only)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFrom(
    const TlsFiles& files) {
  if (!files.any()) return grpc::InsecureServerCredentials();
  DS_RETURN_IF_ERROR(CheckPair(files));
  if (files.cert.empty()) {
    return absl::InvalidArgumentError(
        "--tls_ca on a server needs its own --tls_cert and --tls_key to serve TLS");
  }
  grpc::SslServerCredentialsOptions options(
      files.ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                       : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  DS_ASSIGN_OR_RETURN(pair.private_key, ReadPem(files.key, "--tls_key"));
  DS_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(files.cert, "--tls_cert"));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!files.ca.empty()) {
    DS_ASSIGN_OR_RETURN(options.pem_root_certs, ReadPem(files.ca, "--tls_ca"));
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFrom(
    const TlsFiles& files) {
  if (!files.any()) return grpc::InsecureChannelCredentials();
  DS_RETURN_IF_ERROR(CheckPair(files));
  if (files.ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert/--tls_key without --tls_ca: a TLS client needs the CA that signed the "
        "servers' certificates to verify them");
  }
  grpc::SslCredentialsOptions options;
  DS_ASSIGN_OR_RETURN(options.pem_root_certs, ReadPem(files.ca, "--tls_ca"));
  if (!files.cert.empty()) {
    DS_ASSIGN_OR_RETURN(options.pem_private_key, ReadPem(files.key, "--tls_key"));
    DS_ASSIGN_OR_RETURN(options.pem_cert_chain, ReadPem(files.cert, "--tls_cert"));
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<std::string> ReadAuthToken(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("--auth_token_file=", path, ": no such file"));
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--auth_token_file=", path,
        ": readable by other users; it holds a secret, so make it private: chmod 600 ", path));
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--auth_token_file=", path,
                                                   ": empty; put a long random token in it, e.g. "
                                                   "openssl rand -hex 32 > ",
                                                   path));
  }
  return token;
}

}  // namespace distsage
