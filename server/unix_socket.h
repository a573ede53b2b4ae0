// Where a graph_server listens besides TCP: a Unix-domain socket named after
// its TCP port, so that a client on the same machine can skip the TCP/IP
// stack. Shared by graph_server (binds it) and RemoteGraphClient (finds it).
#ifndef DISTSAGE_SERVER_UNIX_SOCKET_H_
#define DISTSAGE_SERVER_UNIX_SOCKET_H_

#include <string>

#include "absl/status/status.h"

namespace distsage {

// Default folder of the sockets (graph_server --uds_dir, and the client's).
inline constexpr char kDefaultUnixSocketDir[] = "/tmp";

// "<dir>/distsage-graph-<tcp_port>.sock".
std::string GraphServerSocketPath(const std::string& dir, int tcp_port);

// OK when `path` fits a Unix socket address (108 bytes) and its folder
// exists; otherwise INVALID_ARGUMENT saying which.
absl::Status CheckUnixSocketPath(const std::string& path);

// True when something accepts connections on the Unix socket at `path`
// (false for a missing file, or a stale one whose server is gone).
bool UnixSocketAnswers(const std::string& path);

// True when `host` (an IP literal, brackets allowed, or "localhost") is a
// loopback address or an address of one of this machine's interfaces
// (getifaddrs). Host names other than "localhost" are not resolved: false.
bool IsAddressOfThisMachine(const std::string& host);

}  // namespace distsage

#endif  // DISTSAGE_SERVER_UNIX_SOCKET_H_
