// How a trainer reads the partitions on its own machine (trainer
// --local_partition): from its graph server over gRPC, from the shared-memory
// segment that server publishes (server/shared_segment.h; no RPC, no second
// copy), or from its own in-process copy of the partition files.
#ifndef DISTSAGE_CLIENT_SHARED_PARTITION_H_
#define DISTSAGE_CLIENT_SHARED_PARTITION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/server_channels.h"
#include "common/partition_config.h"
#include "server/partition_store.h"

namespace distsage {

enum class LocalPartitionMode {
  kAuto,       // The server's segment when it is on this machine and valid, else gRPC.
  kShm,        // The server's segment, or fail.
  kServer,     // gRPC.
  kInProcess,  // This process's own copy, opened from the partition files.
};

// "auto", "shm", "server" or "inprocess"; INVALID_ARGUMENT naming the flag
// otherwise.
absl::StatusOr<LocalPartitionMode> ParseLocalPartitionMode(absl::string_view text);

struct LocalPartitionChoice {
  std::shared_ptr<const PartitionStore> store;  // The mapped segment; null: use the server.
  std::string reason;                           // One line: what was chosen, and why.
};

// For kAuto and kShm: asks partition `part`'s first server in ip_config
// (waiting for it as GraphClient::Connect does) for its segment, when that
// server runs on this machine, and maps and checks it. kAuto answers a null
// store and the reason when the segment cannot be used; kShm fails then,
// saying why and what to do. The trainer asks this for its home partition
// (its --local_partition mode) and, in kAuto mode, for every other
// partition: each one served on this machine is read in place too.
absl::StatusOr<LocalPartitionChoice> MapPartitionSegment(LocalPartitionMode mode,
                                                         const std::string& ip_config_path,
                                                         const PartitionConfig& config, int part,
                                                         int num_servers,
                                                         const ServerChannelsOptions& channels);

}  // namespace distsage

#endif  // DISTSAGE_CLIENT_SHARED_PARTITION_H_
