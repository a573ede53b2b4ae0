// "host:port" addresses, as servers listen on them and clients dial them
// (IPv6 literals in brackets: "[::1]:30050").
#ifndef DISTSAGE_COMMON_HOST_PORT_H_
#define DISTSAGE_COMMON_HOST_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace distsage {

struct HostPort {
  std::string host;  // Without brackets; may be empty ("":port = every interface).
  int port = 0;      // 0..65535; 0 asks a listener for any free port.
};

// Splits "host:port"; INVALID_ARGUMENT naming `address` when there is no
// port or it is not a number in 0..65535.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view address);

// "host:port", with brackets when `host` is an IPv6 literal.
std::string JoinHostPort(absl::string_view host, int port);

// True when `host` (an IP literal, brackets allowed, or "localhost") is a
// loopback address or an address of one of this machine's interfaces
// (getifaddrs). Host names other than "localhost" are not resolved: false.
bool IsAddressOfThisMachine(absl::string_view host);

// True when `host` is "localhost" or a loopback IP literal (127.0.0.0/8,
// ::1): reachable from this machine only. "" (every interface) is not.
bool IsLoopbackHost(absl::string_view host);

}  // namespace distsage

#endif  // DISTSAGE_COMMON_HOST_PORT_H_
