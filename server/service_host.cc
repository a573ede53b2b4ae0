#include "server/service_host.h"

#include <pthread.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/status_macros.h"
#include "common/unix_socket.h"
#include "glog/logging.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "server/protobuf_log.h"

namespace distsage {
namespace {

sigset_t ShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

// Removes the reflection plugin from a builder. Linking grpc++_reflection
// registers it for every server (a static initialiser), so turning it off
// means taking it out again.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
                                    return plugin->name() == "proto_server_reflection";
                                  }),
                   plugins->end());
  }
};

// OK when `path` can be listened on: its folder exists, and nobody answers
// on it (a file left by a killed process is removed).
absl::Status ClaimUnixSocket(const std::string& path) {
  DS_RETURN_IF_ERROR(CheckUnixSocketPath(path));
  if (UnixSocketAnswers(path)) {
    return absl::FailedPreconditionError(
        absl::StrCat("another server already listens on unix:", path,
                     " (the same server ID twice with one socket folder?)"));
  }
  unlink(path.c_str());
  return absl::OkStatus();
}

// Sends `state` ("READY=1\n...") to the service manager when NOTIFY_SOCKET
// names one; does nothing otherwise.
void NotifyServiceManager(const std::string& state) {
  const int sent = sd_notify(0, state.c_str());
  if (sent < 0) {
    LOG(WARNING) << "cannot notify systemd (NOTIFY_SOCKET=" << std::getenv("NOTIFY_SOCKET")
                 << ") of " << state.substr(0, state.find('\n')) << ": " << std::strerror(-sent);
  }
}

}  // namespace

void ServiceHost::BlockShutdownSignals() {
  const sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

ServiceHost::ServiceHost(ServiceHostOptions options) : options_(std::move(options)) {}

ServiceHost::~ServiceHost() {
  if (watcher_.joinable()) {
    RequestShutdown("the host is destroyed");
    Wait();
  }
}

void ServiceHost::AddService(grpc::Service* service, std::string health_name) {
  services_.emplace_back(service, std::move(health_name));
}

absl::Status ServiceHost::Start() {
  sigset_t blocked;
  pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  if (sigismember(&blocked, SIGTERM) != 1 || sigismember(&blocked, SIGINT) != 1) {
    return absl::FailedPreconditionError(
        "ServiceHost::BlockShutdownSignals must be called first, before any thread starts");
  }
  DS_ASSIGN_OR_RETURN(const HostPort listen, ParseHostPort(options_.listen_address));
  if (!options_.unix_socket_path.empty()) {
    DS_RETURN_IF_ERROR(ClaimUnixSocket(options_.unix_socket_path));
  }
  // Requests libprotobuf cannot parse must not write a log line each.
  RateLimitProtobufLog();
  grpc::EnableDefaultHealthCheckService(true);
  if (options_.reflection) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options_.reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  int port = 0;
  const std::shared_ptr<grpc::ServerCredentials> credentials =
      options_.credentials != nullptr ? options_.credentials : grpc::InsecureServerCredentials();
  if (options_.credentials == nullptr && !IsLoopbackHost(listen.host)) {
    LOG(WARNING) << "serving PLAINTEXT and UNAUTHENTICATED on " << options_.listen_address
                 << ": anyone who reaches this port can read what it serves; give --tls_cert, "
                    "--tls_key and --tls_ca (deploy/make_certs) to require mutual TLS";
  }
  builder.AddListeningPort(options_.listen_address, credentials, &port);
  if (!options_.unix_socket_path.empty()) {
    builder.AddListeningPort("unix:" + options_.unix_socket_path, credentials);
  }
  for (const auto& [service, name] : services_) builder.RegisterService(service);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_receive_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options_.max_send_message_bytes));
  // A second server on a port in use must fail, not share it (gRPC sets
  // SO_REUSEPORT by default).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Clients ping idle connections every few seconds to notice a vanished
  // machine (ServerChannelsOptions::keepalive_time): accept those pings
  // instead of answering them with GOAWAY "too_many_pings".
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 500);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options_.listen_address,
        options_.unix_socket_path.empty() ? ""
                                          : absl::StrCat(" and unix:", options_.unix_socket_path),
        ": the address is in use or not local to this machine"));
  }
  socket_created_ = !options_.unix_socket_path.empty();
  address_ = JoinHostPort(listen.host, port);
  for (const auto& [service, name] : services_) {
    server_->GetHealthCheckService()->SetServingStatus(name, true);
  }
  watcher_ = std::thread([this] { WatchSignals(); });
  // Every service answers SERVING from here on: a Type=notify unit is up.
  // sd_notify does nothing when NOTIFY_SOCKET is unset (not under systemd).
  NotifyServiceManager(absl::StrCat("READY=1\nSTATUS=serving on ", address_));
  return absl::OkStatus();
}

void ServiceHost::RequestShutdown(const std::string& reason) {
  {
    absl::MutexLock lock(&mu_);
    if (!stop_reason_.has_value()) stop_reason_ = reason;
  }
  // Process-directed: it stays pending until the watcher's sigwait takes it,
  // however early it is raised.
  kill(getpid(), SIGTERM);
}

void ServiceHost::WatchSignals() {
  const sigset_t signals = ShutdownSignals();
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::string reason;
  {
    absl::MutexLock lock(&mu_);
    if (!stop_reason_.has_value()) stop_reason_ = absl::StrCat("signal ", signal_number);
    reason = *stop_reason_;
  }
  LOG(INFO) << "stopping (" << reason << "): draining in-flight calls";
  NotifyServiceManager(
      absl::StrCat("STOPPING=1\nSTATUS=stopping (", reason, "): draining in-flight calls"));
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(options_.shutdown_grace));
}

std::string ServiceHost::Wait() {
  if (server_ == nullptr) return "never started";
  server_->Wait();
  if (watcher_.joinable()) watcher_.join();
  if (socket_created_) unlink(options_.unix_socket_path.c_str());
  socket_created_ = false;
  absl::MutexLock lock(&mu_);
  return stop_reason_.value_or("stopped");
}

}  // namespace distsage
