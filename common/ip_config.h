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
  int line = 0;  // Line of the file it came from (for messages); 0 when not from a file.
};

// Parses `ip_config.txt`. Blank lines and lines starting with '#' are skipped.
// Errors name the file and line and say what is wrong.
absl::StatusOr<std::vector<MachineAddress>> ReadIpConfig(const std::string& path);
absl::StatusOr<std::vector<MachineAddress>> ParseIpConfig(const std::string& text,
                                                          const std::string& source_name);

// "host:port" (brackets around IPv6 literals) of server `server_index` on
// `machine`, i.e. port base_port + server_index.
std::string ServerAddress(const MachineAddress& machine, int server_index);

// One graph server's place in DGL's layout of ip_config.txt: with
// `num_servers` (S) servers per machine, server K runs on machine K / S as
// that machine's server K % S, serves partition K / S (the S servers of a
// machine are interchangeable backups of its partition) and listens on the
// machine's port base_port + K % S.
struct ServerSlot {
  int server_id = 0;
  int part = 0;
  std::string address;  // "host:port".
};

// Every server of the layout, in server-ID order. INVALID_ARGUMENT, naming
// `source` (the ip_config path), when num_servers < 1, the file does not
// list one machine per partition, a machine's servers would need a port past
// 65535 (PORT + num_servers - 1), or two servers would get the same address
// (naming both lines; `localhost` and loopback or IP literals written
// differently count as the same host): two servers cannot share a port.
absl::StatusOr<std::vector<ServerSlot>> ServerLayout(const std::vector<MachineAddress>& machines,
                                                     int num_parts, int num_servers,
                                                     const std::string& source);

}  // namespace distsage

#endif  // DISTSAGE_COMMON_IP_CONFIG_H_
