// The process around distsage's services: one gRPC server that carries any
// number of services on one TCP port (and optionally a Unix socket), with the
// standard health service reporting each of them, reflection, and one stop
// path for SIGTERM, SIGINT and a Shutdown RPC: mark every service
// NOT_SERVING, drain the in-flight calls (up to a grace period), stop.
//
// Under systemd (a Type=notify unit: NOTIFY_SOCKET is set) the host tells the
// service manager "READY=1" once Start has every service SERVING, and
// "STOPPING=1" when a stop begins; without NOTIFY_SOCKET it sends nothing.
//
// Usage (main() of a server binary):
//   ServiceHost::BlockShutdownSignals();        // first, before any thread
//   ServiceHost host(options);
//   host.AddService(&graph_service, "distsage.GraphService");
//   DS_RETURN_IF_ERROR(host.Start());           // binds; host.address() is known
//   host.Wait();                                // until a signal or RequestShutdown
#ifndef DISTSAGE_SERVER_SERVICE_HOST_H_
#define DISTSAGE_SERVER_SERVICE_HOST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/wire_limits.h"

namespace distsage {

struct ServiceHostOptions {
  // "host:port" to listen on; port 0 lets the kernel pick a free one, which
  // address() reports once started.
  std::string listen_address;
  // A Unix socket to listen on as well ("" for none). A stale file (nobody
  // answers on it) is replaced; one a live process answers on is an error.
  // The file is removed when the host stops.
  std::string unix_socket_path;
  // Largest request gRPC lets through to the services (which may check
  // tighter limits themselves), and largest answer.
  int64_t max_receive_message_bytes = kMaxMessageBytes;
  int64_t max_send_message_bytes = kMaxMessageBytes;
  // How long in-flight calls may run after a stop was asked for.
  absl::Duration shutdown_grace = absl::Seconds(30);
  // gRPC server reflection (grpcurl can list and call the services).
  bool reflection = true;
  // Transport security of both listeners (proto/transport_security.h); null:
  // plaintext, logged as a warning when listening beyond loopback.
  std::shared_ptr<grpc::ServerCredentials> credentials;
};

class ServiceHost {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread. Call it in main()
  // before any thread exists, so that every thread inherits the mask and
  // only the host's watcher thread receives them.
  static void BlockShutdownSignals();

  explicit ServiceHost(ServiceHostOptions options);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Registers `service` (not owned; it must outlive the host) before Start.
  // The health service reports it under `health_name`, its full name, e.g.
  // "distsage.GraphService".
  void AddService(grpc::Service* service, std::string health_name);

  // Binds the addresses and starts serving; every service is then SERVING,
  // and systemd is told READY=1 (when NOTIFY_SOCKET is set). Load what the
  // services serve before calling it.
  // FAILED_PRECONDITION unless BlockShutdownSignals was called first.
  // INVALID_ARGUMENT for a bad address or socket path, FAILED_PRECONDITION
  // when another live process owns the socket, UNAVAILABLE when the address
  // is in use or not local to this machine.
  absl::Status Start();

  // The bound "host:port" (after Start).
  const std::string& address() const { return address_; }

  // Asks the host to stop as on SIGTERM; `reason` goes to the log. Returns
  // at once (callable from an RPC handler). Thread-safe.
  void RequestShutdown(const std::string& reason);

  // Blocks until a stop is asked for (signal or RequestShutdown) and done:
  // NOT_SERVING, in-flight calls drained or cancelled after the grace
  // period, the socket file removed. Returns the reason of the stop.
  std::string Wait();

 private:
  // Waits for SIGTERM/SIGINT (RequestShutdown raises SIGTERM) and stops the server.
  void WatchSignals();

  const ServiceHostOptions options_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  bool socket_created_ = false;
  std::thread watcher_;

  absl::Mutex mu_;
  std::optional<std::string> stop_reason_ ABSL_GUARDED_BY(mu_);  // The first one asked for.
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_SERVICE_HOST_H_
