#include "client/shared_partition.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/ip_config.h"
#include "common/status_macros.h"
#include "proto/distsage/graph.grpc.pb.h"
#include "server/memory_partition_store.h"

namespace distsage {

absl::StatusOr<LocalPartitionMode> ParseLocalPartitionMode(absl::string_view text) {
  if (text == "auto") return LocalPartitionMode::kAuto;
  if (text == "shm") return LocalPartitionMode::kShm;
  if (text == "server") return LocalPartitionMode::kServer;
  if (text == "inprocess") return LocalPartitionMode::kInProcess;
  return absl::InvalidArgumentError(
      absl::StrCat("--local_partition=", text, ": expected auto, shm, server or inprocess"));
}

absl::StatusOr<LocalPartitionChoice> MapPartitionSegment(LocalPartitionMode mode,
                                                         const std::string& ip_config_path,
                                                         const PartitionConfig& config, int part,
                                                         int num_servers,
                                                         const ServerChannelsOptions& channels) {
  DS_ASSIGN_OR_RETURN(const std::vector<MachineAddress> machines, ReadIpConfig(ip_config_path));
  DS_ASSIGN_OR_RETURN(const std::vector<ServerSlot> slots,
                      ServerLayout(machines, config.num_parts(), num_servers, ip_config_path));
  const ServerSlot& server = slots[static_cast<size_t>(part) * num_servers];
  const std::string who = absl::StrCat("partition ", part, "'s server ", server.address);
  auto use_server = [&](const std::string& why) -> absl::StatusOr<LocalPartitionChoice> {
    if (mode == LocalPartitionMode::kShm) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--local_partition=shm: ", why,
          "; start the trainer on the machine of its home partition's server (--part_id), with "
          "that server's --shm_dir set, as the same user (or give the server --shm_file_mode "
          "0644), or use --local_partition=auto or server"));
    }
    return LocalPartitionChoice{
        nullptr, absl::StrCat("reading partition ", part, " from its server over gRPC: ", why)};
  };

  DS_ASSIGN_OR_RETURN(const HostPort host_port, ParseHostPort(server.address));
  if (!IsAddressOfThisMachine(host_port.host)) return use_server(who + " is not on this machine");

  ServerChannelsOptions one_channel = channels;
  one_channel.connections_per_server = 1;
  ServerChannels server_channels({server}, config.num_parts(), one_channel);
  DS_RETURN_IF_ERROR(server_channels.WaitUntilConnected());
  const ServerChannels::Server& connected = server_channels.servers_of(part).front();
  grpc::ClientContext context;
  server_channels.PrepareContext(&context);
  GraphInfo info;
  const grpc::Status status = GraphService::NewStub(connected.channels.front())
                                  ->GetGraphInfo(&context, GetGraphInfoRequest(), &info);
  if (!status.ok()) return server_channels.CallError(status, "GetGraphInfo", part, connected);
  if (info.shm_path().empty()) {
    return use_server(
        who + " publishes no shared-memory segment (its --shm_dir is empty, or --cache none)");
  }
  absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> store =
      MemoryPartitionStore::MapSharedSegment(info.shm_path(), config, part);
  if (!store.ok()) {
    return use_server(
        absl::StrCat("cannot use the segment ", who, " publishes: ", store.status().message()));
  }
  return LocalPartitionChoice{
      *std::move(store),
      absl::StrCat("reading partition ", part, " from shared memory ", info.shm_path(), " (",
                   info.shm_bytes() >> 20, " MiB, ",
                   info.shm_huge_page_bytes() > 0
                       ? "2 MiB pages"
                       : "4 KiB pages: slower to sample than 2 MiB ones; see graph_server "
                         "--shm_dir",
                   ") published by ", who, " on this machine")};
}

}  // namespace distsage
