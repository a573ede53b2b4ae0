#include "trainer/rendezvous_store.h"

#include <stdexcept>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "common/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "proto/distsage/rendezvous.grpc.pb.h"
#include "server/call_authorizer.h"
#include "server/rendezvous_service.h"

namespace distsage {
namespace {

// The store uses TLS only when every trainer can both serve and present a
// certificate: with a CA alone, rank 0 would have nothing to serve TLS with.
bool UsesTls(const TlsFiles& tls) {
  return !tls.ca.empty() && !tls.cert.empty() && !tls.key.empty();
}

std::string Bytes(const std::vector<uint8_t>& value) {
  return std::string(value.begin(), value.end());
}
std::vector<uint8_t> Bytes(const std::string& value) {
  return std::vector<uint8_t>(value.begin(), value.end());
}

// " of 'a', 'b'" for errors.
std::string OfKeys(const std::vector<std::string>& keys) {
  std::string text = " of";
  for (const std::string& key : keys) {
    absl::StrAppend(&text, text.size() > 3 ? ", '" : " '", absl::CHexEscape(key), "'");
  }
  return text;
}

std::chrono::system_clock::time_point DeadlineAfter(std::chrono::milliseconds timeout) {
  if (timeout == c10d::Store::kNoTimeout) return std::chrono::system_clock::time_point::max();
  return std::chrono::system_clock::now() + timeout;
}

}  // namespace

struct RendezvousStore::Connection {
  std::string address;  // host:port of the store.
  std::string bearer;   // "Bearer <token>", or "".
  // The host's side (rank 0 only); the server stops before the service goes.
  std::unique_ptr<CallAuthorizer> authorizer;
  std::unique_ptr<RendezvousServiceImpl> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::unique_ptr<RendezvousService::Stub> stub;

  ~Connection() {
    // Gives blocked Get/Wait calls of a peer a moment, then cancels them.
    if (server != nullptr)
      server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }

  // Runs one call with `timeout`, throwing what c10d expects on failure.
  // `detail` follows the method's name in errors (e.g. the keys waited for).
  template <typename Request, typename Response>
  Response Call(const char* method, const std::string& detail,
                grpc::Status (RendezvousService::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                             Response*),
                const Request& request, std::chrono::milliseconds timeout) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineAfter(timeout));
    // Rank 0 may still be starting, or briefly unreachable: the deadline bounds the wait.
    context.set_wait_for_ready(true);
    if (!bearer.empty()) context.AddMetadata(kAuthorizationKey, bearer);
    Response response;
    const grpc::Status status = (stub.get()->*rpc)(&context, request, &response);
    if (!status.ok()) {
      throw std::runtime_error(absl::StrCat(
          "rendezvous store at ", address, ": ", method, detail,
          " failed: ", status.error_message(), " (",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())), ")"));
    }
    return response;
  }
};

absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> RendezvousStore::Open(
    const RendezvousOptions& options) {
  auto connection = std::make_unique<Connection>();
  const bool tls = UsesTls(options.tls);
  if (!options.auth_token.empty()) {
    connection->bearer = absl::StrCat(kBearerPrefix, options.auth_token);
  }
  connection->port = options.master_port;
  if (options.host) {
    std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
    if (tls) {
      DS_ASSIGN_OR_RETURN(credentials, ServerCredentialsFrom(options.tls));
    }
    connection->authorizer = std::make_unique<CallAuthorizer>(options.auth_token, tls);
    connection->service = std::make_unique<RendezvousServiceImpl>(connection->authorizer.get());
    grpc::ServerBuilder builder;
    // A second job on the same port must fail, not share it (gRPC sets
    // SO_REUSEPORT by default).
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    const std::string listen = JoinHostPort(options.master_addr, options.master_port);
    builder.AddListeningPort(listen, credentials, &connection->port);
    builder.RegisterService(connection->service.get());
    connection->server = builder.BuildAndStart();
    if (connection->server == nullptr || connection->port == 0) {
      return absl::UnavailableError(absl::StrCat(
          "cannot serve the trainers' rendezvous on ", listen,
          ": the port is in use, or --master_addr is not an address of rank 0's machine (pick "
          "another --master_port, or set --master_addr to this machine's address)"));
    }
  }
  connection->address = JoinHostPort(options.master_addr, connection->port);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls) {
    DS_ASSIGN_OR_RETURN(credentials, ChannelCredentialsFrom(options.tls));
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(connection->address, credentials);
  if (!channel->WaitForConnected(absl::ToChronoTime(absl::Now() + options.timeout))) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach rank 0's rendezvous store at ", connection->address, " within ",
        absl::FormatDuration(options.timeout),
        " (is rank 0 running, with the same --master_addr/--master_port?",
        tls ? " With TLS: is rank 0's --tls_cert valid for --master_addr and signed by this "
              "--tls_ca? deploy/make_certs makes such certificates"
            : "",
        ")"));
  }
  connection->stub = RendezvousService::NewStub(channel);
  auto store = c10::make_intrusive<RendezvousStore>(std::move(connection), options.timeout);
  // A refused credential shows here, as a Status, rather than as an
  // exception from inside Gloo's rendezvous.
  try {
    store->getNumKeys();
  } catch (const std::exception& error) {
    return absl::PermissionDeniedError(error.what());
  }
  return store;
}

RendezvousStore::RendezvousStore(std::unique_ptr<Connection> connection, absl::Duration timeout)
    : c10d::Store(std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout))),
      connection_(std::move(connection)) {}

RendezvousStore::~RendezvousStore() = default;

int RendezvousStore::port() const { return connection_->port; }

void RendezvousStore::set(const std::string& key, const std::vector<uint8_t>& value) {
  RendezvousSetRequest request;
  request.set_key(key);
  request.set_value(Bytes(value));
  connection_->Call("Set", OfKeys({key}), &RendezvousService::Stub::Set, request, timeout_);
}

std::vector<uint8_t> RendezvousStore::compareSet(const std::string& key,
                                                 const std::vector<uint8_t>& expected,
                                                 const std::vector<uint8_t>& desired) {
  RendezvousCompareSetRequest request;
  request.set_key(key);
  request.set_expected(Bytes(expected));
  request.set_desired(Bytes(desired));
  return Bytes(connection_
                   ->Call("CompareSet", OfKeys({key}), &RendezvousService::Stub::CompareSet,
                          request, timeout_)
                   .value());
}

std::vector<uint8_t> RendezvousStore::get(const std::string& key) {
  RendezvousGetRequest request;
  request.set_key(key);
  return Bytes(
      connection_->Call("Get", OfKeys({key}), &RendezvousService::Stub::Get, request, timeout_)
          .value());
}

int64_t RendezvousStore::add(const std::string& key, int64_t value) {
  RendezvousAddRequest request;
  request.set_key(key);
  request.set_delta(value);
  return connection_->Call("Add", OfKeys({key}), &RendezvousService::Stub::Add, request, timeout_)
      .value();
}

bool RendezvousStore::deleteKey(const std::string& key) {
  RendezvousKeyRequest request;
  request.set_key(key);
  return connection_
      ->Call("DeleteKey", OfKeys({key}), &RendezvousService::Stub::DeleteKey, request, timeout_)
      .existed();
}

bool RendezvousStore::check(const std::vector<std::string>& keys) {
  RendezvousKeysRequest request;
  for (const std::string& key : keys) request.add_keys(key);
  return connection_
      ->Call("Check", OfKeys(keys), &RendezvousService::Stub::Check, request, timeout_)
      .all_exist();
}

int64_t RendezvousStore::getNumKeys() {
  return connection_
      ->Call("NumKeys", "", &RendezvousService::Stub::NumKeys, RendezvousNumKeysRequest(), timeout_)
      .count();
}

void RendezvousStore::wait(const std::vector<std::string>& keys) { wait(keys, timeout_); }

void RendezvousStore::wait(const std::vector<std::string>& keys,
                           const std::chrono::milliseconds& timeout) {
  RendezvousKeysRequest request;
  for (const std::string& key : keys) request.add_keys(key);
  connection_->Call("Wait", OfKeys(keys), &RendezvousService::Stub::Wait, request, timeout);
}

}  // namespace distsage
