#include "server/unix_socket.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace distsage {

std::string GraphServerSocketPath(const std::string& dir, int tcp_port) {
  return absl::StrCat(dir, "/distsage-graph-", tcp_port, ".sock");
}

absl::Status CheckUnixSocketPath(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("the Unix socket path '", path, "' has ",
                                                   path.size(), " bytes, over the limit of ",
                                                   sizeof(sockaddr_un{}.sun_path) - 1));
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the folder '", dir.string(), "' of Unix socket '", path, "' does not exist"));
  }
  return absl::OkStatus();
}

bool UnixSocketAnswers(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) return false;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool answers =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return answers;
}

bool IsAddressOfThisMachine(const std::string& host) {
  absl::string_view literal = host;
  if (absl::ConsumePrefix(&literal, "[")) absl::ConsumeSuffix(&literal, "]");
  if (literal == "localhost") return true;
  const std::string text(literal);
  in_addr v4{};
  in6_addr v6{};
  const bool is_v4 = inet_pton(AF_INET, text.c_str(), &v4) == 1;
  const bool is_v6 = !is_v4 && inet_pton(AF_INET6, text.c_str(), &v6) == 1;
  if (!is_v4 && !is_v6) return false;
  // 127.0.0.0/8 and ::1 need no interface list.
  if (is_v4 && (ntohl(v4.s_addr) >> 24) == 127) return true;
  if (is_v6 && IN6_IS_ADDR_LOOPBACK(&v6)) return true;
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
