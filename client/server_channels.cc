#include "client/server_channels.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/host_port.h"
#include "common/unix_socket.h"
#include "proto/grpc_status.h"
#include "proto/transport_security.h"
#include "proto/wire_limits.h"

namespace distsage {
namespace {

// What a channel to `server` dials.
std::string TargetOf(const ServerSlot& server, const std::string& uds_dir) {
  if (uds_dir.empty()) return server.address;
  const absl::StatusOr<HostPort> host_port = ParseHostPort(server.address);
  if (!host_port.ok() || !IsAddressOfThisMachine(host_port->host)) return server.address;
  return "unix:" + ServerSocketPath(uds_dir, server.server_id);
}

std::shared_ptr<grpc::Channel> OpenChannel(const ServerSlot& server, const std::string& target,
                                           const ServerChannelsOptions& options) {
  grpc::ChannelArguments args;
  if (options.credentials != nullptr) {
    // The certificate names the host of ip_config.txt, whether the channel
    // dials it there or at the server's Unix socket.
    const absl::StatusOr<HostPort> host_port = ParseHostPort(server.address);
    if (host_port.ok()) args.SetSslTargetNameOverride(host_port->host);
  }
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxMessageBytes));
  args.SetMaxSendMessageSize(static_cast<int>(kMaxMessageBytes));
  // A private subchannel pool gives each channel its own connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // gRPC's reconnect backoff grows to 120 s by default: a server that starts
  // while the client waits would be noticed up to two minutes late.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Pings while idle too (a trainer between steps), as often as asked
  // (servers accept it: ServiceHost).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return grpc::CreateCustomChannel(
      target,
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials(),
      args);
}

}  // namespace

const char* ServerChannels::Server::transport() const {
  return target == slot.address ? "tcp" : "unix";
}

std::string ServerChannels::Server::Describe() const {
  return target == slot.address ? slot.address : absl::StrCat(slot.address, " (", target, ")");
}

ServerChannels::ServerChannels(const std::vector<ServerSlot>& servers, int num_parts,
                               const ServerChannelsOptions& options)
    : options_(options),
      authorization_(options.auth_token.empty() ? ""
                                                : absl::StrCat(kBearerPrefix, options.auth_token)) {
  for (int p = 0; p < num_parts; ++p) parts_.push_back(std::make_unique<Partition>());
  for (const ServerSlot& slot : servers) {
    Server server;
    server.slot = slot;
    server.target = TargetOf(slot, options.uds_dir);
    for (int c = 0; c < std::max(1, options.connections_per_server); ++c) {
      server.channels.push_back(OpenChannel(slot, server.target, options));
      server.generic_stubs.push_back(std::make_unique<grpc::GenericStub>(server.channels.back()));
    }
    parts_[slot.part]->servers.push_back(std::move(server));
  }
}

std::vector<const ServerChannels::Server*> ServerChannels::AllServers() const {
  std::vector<const Server*> servers;
  for (const auto& part : parts_) {
    for (const Server& server : part->servers) servers.push_back(&server);
  }
  return servers;
}

std::vector<const ServerChannels::Server*> ServerChannels::PrimaryServers() const {
  std::vector<const Server*> servers;
  for (const auto& part : parts_) {
    if (!part->servers.empty()) servers.push_back(&part->servers.front());
  }
  return servers;
}

absl::Status ServerChannels::WaitUntilConnected() {
  const auto deadline = absl::ToChronoTime(absl::Now() + options_.connect_timeout);
  const std::vector<const Server*> servers = AllServers();
  // One waiting thread per connection: they all wait at once.
  std::vector<std::vector<char>> connected(servers.size());
  std::vector<std::thread> waiters;
  for (size_t i = 0; i < servers.size(); ++i) {
    connected[i].assign(servers[i]->channels.size(), 0);
    for (size_t c = 0; c < servers[i]->channels.size(); ++c) {
      waiters.emplace_back([&, i, c] {
        connected[i][c] = servers[i]->channels[c]->WaitForConnected(deadline) ? 1 : 0;
      });
    }
  }
  for (std::thread& waiter : waiters) waiter.join();
  std::vector<std::string> silent;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (std::find(connected[i].begin(), connected[i].end(), 0) != connected[i].end()) {
      silent.push_back(
          absl::StrCat("partition ", servers[i]->slot.part, " at ", servers[i]->Describe()));
    }
  }
  if (silent.empty()) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat(
      silent.size(), " of ", servers.size(), " graph servers never answered within ",
      absl::FormatDuration(options_.connect_timeout), ": ", absl::StrJoin(silent, ", "),
      ". Start their graph_server (same --part_config, the --server_id of that machine), or "
      "check that ip_config.txt lists the right addresses and that they are reachable",
      options_.uds_dir.empty() ? ""
                               : absl::StrCat(" (servers on this machine must listen in --uds_dir=",
                                              options_.uds_dir, ")")));
}

std::pair<const ServerChannels::Server*, size_t> ServerChannels::Pick(int part) {
  Partition& partition = *parts_[part];
  const uint32_t turn = partition.next.fetch_add(1, std::memory_order_relaxed);
  const Server& server = partition.servers[turn % partition.servers.size()];
  return {&server, (turn / partition.servers.size()) % server.channels.size()};
}

std::pair<const ServerChannels::Server*, size_t> ServerChannels::PickPrimary(int part) {
  Partition& partition = *parts_[part];
  const uint32_t turn = partition.next.fetch_add(1, std::memory_order_relaxed);
  const Server& server = partition.servers.front();
  return {&server, turn % server.channels.size()};
}

void ServerChannels::PrepareContext(grpc::ClientContext* context) const {
  // A server that is down fails the call at once instead of stalling the
  // caller until the deadline.
  PrepareRetryContext(context, absl::InfiniteFuture(), /*wait_for_ready=*/false);
}

void ServerChannels::PrepareRetryContext(grpc::ClientContext* context, absl::Time give_up,
                                         bool wait_for_ready) const {
  context->set_deadline(absl::ToChronoTime(std::min(absl::Now() + options_.rpc_timeout, give_up)));
  context->set_wait_for_ready(wait_for_ready);
  if (!authorization_.empty()) context->AddMetadata(kAuthorizationKey, authorization_);
}

absl::Status ServerChannels::CallError(const grpc::Status& status, absl::string_view method,
                                       int part, const Server& server) const {
  const std::string where =
      absl::StrCat(method, " on partition ", part, ": graph server ", server.Describe());
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(
          absl::StrCat(where, " is down or unreachable (", status.error_message(),
                       "); check that its graph_server is running and reachable"));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          absl::StrCat(where, " did not answer within ", absl::FormatDuration(options_.rpc_timeout),
                       " (rpc_timeout); it may be overloaded, or the request too large"));
    default:
      return FromGrpcStatus(status, where);
  }
}

ServerChannels::Traffic ServerChannels::traffic() const {
  return {bytes_sent_.load(std::memory_order_relaxed),
          bytes_received_.load(std::memory_order_relaxed)};
}

void ServerChannels::AddTraffic(int64_t sent, int64_t received) {
  bytes_sent_.fetch_add(sent, std::memory_order_relaxed);
  bytes_received_.fetch_add(received, std::memory_order_relaxed);
}

}  // namespace distsage
