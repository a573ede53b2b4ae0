// The optional same-machine transport of distsage servers: a Unix-domain
// socket beside the TCP port, named after the server's ID (its place in
// ip_config.txt), so that a client that knows the cluster layout can find it
// without asking. Off unless both sides are given the folder (--uds_dir).
#ifndef DISTSAGE_COMMON_UNIX_SOCKET_H_
#define DISTSAGE_COMMON_UNIX_SOCKET_H_

#include <string>

#include "absl/status/status.h"

namespace distsage {

// "<dir>/distsage-server-<server_id>.sock".
std::string ServerSocketPath(const std::string& dir, int server_id);

// OK when `path` fits a Unix socket address (108 bytes) and its folder
// exists; otherwise INVALID_ARGUMENT saying which.
absl::Status CheckUnixSocketPath(const std::string& path);

// True when something accepts connections on the Unix socket at `path`
// (false for a missing file, or a stale one whose server is gone).
bool UnixSocketAnswers(const std::string& path);

}  // namespace distsage

#endif  // DISTSAGE_COMMON_UNIX_SOCKET_H_
