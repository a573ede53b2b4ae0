#include "common/unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace distsage {

std::string ServerSocketPath(const std::string& dir, int server_id) {
  return absl::StrCat(dir, "/distsage-server-", server_id, ".sock");
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

}  // namespace distsage
