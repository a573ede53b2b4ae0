#include "common/host_port.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace distsage {

absl::StatusOr<HostPort> ParseHostPort(absl::string_view address) {
  const size_t colon = address.rfind(':');
  HostPort parsed;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &parsed.port) || parsed.port < 0 ||
      parsed.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address '", address, "' is not host:port (port 0..65535), e.g. 127.0.0.1:30050"));
  }
  absl::string_view host = address.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  parsed.host = std::string(host);
  return parsed;
}

std::string JoinHostPort(absl::string_view host, int port) {
  const bool ipv6 = host.find(':') != absl::string_view::npos;
  return absl::StrCat(ipv6 ? "[" : "", host, ipv6 ? "]" : "", ":", port);
}

namespace {

// `host` as an IP literal (brackets allowed); neither flag set otherwise.
struct IpLiteral {
  bool is_v4 = false;
  bool is_v6 = false;
  in_addr v4{};
  in6_addr v6{};
  bool loopback() const {
    return (is_v4 && (ntohl(v4.s_addr) >> 24) == 127) || (is_v6 && IN6_IS_ADDR_LOOPBACK(&v6));
  }
};

IpLiteral ParseIpLiteral(absl::string_view host) {
  absl::string_view literal = host;
  if (absl::ConsumePrefix(&literal, "[")) absl::ConsumeSuffix(&literal, "]");
  const std::string text(literal);
  IpLiteral ip;
  ip.is_v4 = inet_pton(AF_INET, text.c_str(), &ip.v4) == 1;
  ip.is_v6 = !ip.is_v4 && inet_pton(AF_INET6, text.c_str(), &ip.v6) == 1;
  return ip;
}

}  // namespace

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || ParseIpLiteral(host).loopback();
}

bool IsAddressOfThisMachine(absl::string_view host) {
  if (host == "localhost") return true;
  const IpLiteral ip = ParseIpLiteral(host);
  const bool is_v4 = ip.is_v4;
  const bool is_v6 = ip.is_v6;
  const in_addr v4 = ip.v4;
  const in6_addr v6 = ip.v6;
  if (!is_v4 && !is_v6) return false;
  // 127.0.0.0/8 and ::1 need no interface list.
  if (ip.loopback()) return true;
  ifaddrs* interfaces = nullptr;
  if (getifaddrs(&interfaces) != 0) return false;
  bool found = false;
  for (const ifaddrs* entry = interfaces; entry != nullptr && !found; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    if (is_v4 && entry->ifa_addr->sa_family == AF_INET) {
      found = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr.s_addr == v4.s_addr;
    } else if (is_v6 && entry->ifa_addr->sa_family == AF_INET6) {
      found = IN6_ARE_ADDR_EQUAL(&reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr)->sin6_addr,
                                 &v6);
    }
  }
  freeifaddrs(interfaces);
  return found;
}

}  // namespace distsage
