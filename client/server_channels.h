// Channels from one client process to the servers of a cluster, for any
// service they host: per server several HTTP/2 connections (so concurrent
// large answers do not queue behind one), a transport chosen once (TCP, or
// the server's Unix socket when both sides were given the same folder), a
// wait for servers that are not up yet, rotation over a partition's backup
// servers, and errors that name the partition and the server.
//
// Failure model: WaitUntilConnected waits up to connect_timeout for servers
// that are not up yet. After that, a call fails at once when its server is
// down (wait_for_ready false, as PrepareContext sets it); callers of
// idempotent methods then retry it (client/parallel_calls.h): on the
// partition's backup servers at once, and on any of its servers, waiting for
// one to come back, for up to server_restart_timeout. Thread-safe after
// construction.
#ifndef DISTSAGE_CLIENT_SERVER_CHANNELS_H_
#define DISTSAGE_CLIENT_SERVER_CHANNELS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/ip_config.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace distsage {

struct ServerChannelsOptions {
  // How long WaitUntilConnected waits for servers that are not up yet,
  // retrying with gRPC's reconnect backoff (at most 1 s apart).
  absl::Duration connect_timeout = absl::Seconds(60);
  // Deadline of every call (PrepareContext).
  absl::Duration rpc_timeout = absl::Seconds(60);
  // HTTP/2 keepalive: every connection is pinged after this much silence,
  // and one whose ping is not answered within keepalive_timeout is dropped,
  // failing its calls with UNAVAILABLE. A machine that vanishes without a
  // TCP reset (power loss, a cut link, a stopped process) is noticed in
  // seconds, not at rpc_timeout.
  absl::Duration keepalive_time = absl::Seconds(5);
  absl::Duration keepalive_timeout = absl::Seconds(5);
  // Connections per server; calls rotate over them.
  int connections_per_server = 2;
  // How long an idempotent call (sampling, pulls) that found its server down
  // keeps being retried: on a backup of the partition at once, otherwise
  // until the server is back (restarted by hand, systemd or launch).
  // Zero: no retries, the call fails at once.
  absl::Duration server_restart_timeout = absl::ZeroDuration();
  // Transport security (proto/transport_security.h ChannelCredentialsFrom);
  // null: plaintext. A server's certificate is checked for the host its
  // ip_config.txt line names, over TCP and over its Unix socket alike.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Bearer token sent with every call ("" for none): servers with
  // --auth_token_file require it for calls that change state.
  std::string auth_token;
  // The servers' --uds_dir: a server whose host is an address of this
  // machine is dialled at its Unix socket there (common/unix_socket.h).
  // Empty: TCP for every server.
  std::string uds_dir;
};

class ServerChannels {
 public:
  // One server and its connections.
  struct Server {
    ServerSlot slot;     // ID, partition and "host:port" as listed.
    std::string target;  // What the channels dial: the address or "unix:<path>".
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    std::vector<std::unique_ptr<grpc::GenericStub>> generic_stubs;  // One per channel.

    // "tcp" or "unix".
    const char* transport() const;
    // "host:port", plus " (unix:<path>)" when it is dialled there.
    std::string Describe() const;
  };

  // Opens channels to `servers` (no I/O yet), grouped by partition; every
  // slot's part must be in [0, num_parts).
  ServerChannels(const std::vector<ServerSlot>& servers, int num_parts,
                 const ServerChannelsOptions& options);

  // Waits, up to connect_timeout, until every connection of every server is
  // up. DEADLINE_EXCEEDED names every server that never answered and says
  // what to check.
  absl::Status WaitUntilConnected();

  int num_parts() const { return static_cast<int>(parts_.size()); }
  const std::vector<Server>& servers_of(int part) const { return parts_[part]->servers; }
  // Every server, partition by partition.
  std::vector<const Server*> AllServers() const;
  // The first server of every partition that has servers: the one holding
  // the partition's KV tensors.
  std::vector<const Server*> PrimaryServers() const;
  const ServerChannelsOptions& options() const { return options_; }

  // The server of `part` and the connection index the next call goes to,
  // rotating over backups and connections. `part` must have servers.
  std::pair<const Server*, size_t> Pick(int part);
  // The partition's first server, rotating over its connections.
  std::pair<const Server*, size_t> PickPrimary(int part);

  // Sets the call deadline (rpc_timeout from now) and fail-fast behaviour.
  void PrepareContext(grpc::ClientContext* context) const;
  // A retry's context: deadline rpc_timeout from now but not past
  // `give_up`; with `wait_for_ready` the call waits for its server to
  // (re)connect instead of failing while it is down.
  void PrepareRetryContext(grpc::ClientContext* context, absl::Time give_up,
                           bool wait_for_ready) const;

  // The error of `method` ("Service.Method") on `server` of partition `part`:
  // what failed, where, and for a server that is down or slow, what to check.
  absl::Status CallError(const grpc::Status& status, absl::string_view method, int part,
                         const Server& server) const;

  // Payload bytes of bulk calls, counted by their callers (AddTraffic).
  struct Traffic {
    int64_t bytes_sent = 0;
    int64_t bytes_received = 0;
  };
  Traffic traffic() const;
  void AddTraffic(int64_t sent, int64_t received);

 private:
  struct Partition {
    std::vector<Server> servers;
    std::atomic<uint32_t> next{0};  // Rotation over servers and connections.
  };

  const ServerChannelsOptions options_;
  // "Bearer <token>" for every call's metadata, built once ("" without one).
  const std::string authorization_;
  std::vector<std::unique_ptr<Partition>> parts_;
  std::atomic<int64_t> bytes_sent_{0};
  std::atomic<int64_t> bytes_received_{0};
};

}  // namespace distsage

#endif  // DISTSAGE_CLIENT_SERVER_CHANNELS_H_
