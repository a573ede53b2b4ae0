// Process-level calls to every server of a cluster (AdminService in
// proto/distsage/admin.proto), whatever data services they host.
#ifndef DISTSAGE_CLIENT_ADMIN_CLIENT_H_
#define DISTSAGE_CLIENT_ADMIN_CLIENT_H_

#include <string>

#include "absl/status/status.h"
#include "client/server_channels.h"

namespace distsage {

// Sends AdminService.Shutdown to every server of `channels`, backups
// included, all at once: each answers, drains its in-flight calls and exits 0.
// `graph_name` must be the served graph's; `requester` appears in the
// servers' logs. Every server is asked even when some fail; returns the first
// error (partition order), naming the server.
absl::Status ShutdownServers(const ServerChannels& channels, const std::string& graph_name,
                             const std::string& requester);

}  // namespace distsage

#endif  // DISTSAGE_CLIENT_ADMIN_CLIENT_H_
