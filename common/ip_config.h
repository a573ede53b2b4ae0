// The cluster description file, in DGL's `ip_config.txt` format: one line per
// machine, `IP [PORT]`. Server K of a machine listens on PORT + K.
#ifndef DISTSAGE_COMMON_IP_CONFIG_H_
#define DISTSAGE_COMMON_IP_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace distsage {

// Port used for a machine line that names no port (DGL's default).
inline constexpr int kDefaultServerPort = 30050;

struct MachineAddress {
  std::string host;  // IPv4/IPv6 literal or host name, as written.
  int base_port = kDefaultServerPort;
};

// Parses `ip_config.txt`. Blank lines and lines starting with '#' are skipped.
// Errors name the file and line and say what is wrong.
absl::StatusOr<std::vector<MachineAddress>> ReadIpConfig(const std::string& path);
absl::StatusOr<std::vector<MachineAddress>> ParseIpConfig(const std::string& text,
                                                          const std::string& source_name);

// "host:port" (brackets around IPv6 literals) of server `server_index` on
// `machine`, i.e. port base_port + server_index.
std::string ServerAddress(const MachineAddress& machine, int server_index);

}  // namespace distsage

#endif  // DISTSAGE_COMMON_IP_CONFIG_H_
