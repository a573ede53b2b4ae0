#include "common/numbered_folders.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;
constexpr char kCurrent[] = "CURRENT";

}  // namespace

absl::Status SyncPath(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    const int saved = errno;
    if (fd >= 0) close(fd);
    return absl::InternalError(absl::StrCat("cannot sync '", path, "': ", std::strerror(saved)));
  }
  close(fd);
  return absl::OkStatus();
}

int64_t FolderNumber(absl::string_view name, absl::string_view prefix) {
  int64_t n = -1;
  if (!absl::ConsumePrefix(&name, prefix) || !absl::SimpleAtoi(name, &n)) return -1;
  return n;
}

absl::Status PublishFolder(const std::string& tmp_path, const std::string& final_path) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(tmp_path, error)) {
    if (entry.is_regular_file()) DS_RETURN_IF_ERROR(SyncPath(entry.path().string()));
  }
  if (error) {
    return absl::InternalError(absl::StrCat("cannot list '", tmp_path, "': ", error.message()));
  }
  DS_RETURN_IF_ERROR(SyncPath(tmp_path));
  fs::rename(tmp_path, final_path, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot rename '", tmp_path, "' to '", final_path, "': ", error.message()));
  }
  return SyncPath(fs::path(final_path).parent_path().string());
}

absl::Status WriteCurrent(const std::string& dir, const std::string& name) {
  const std::string current = (fs::path(dir) / kCurrent).string();
  {
    std::ofstream out(current + ".tmp", std::ios::trunc);
    out << name << "\n";
    if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write '", current, ".tmp'"));
  }
  DS_RETURN_IF_ERROR(SyncPath(current + ".tmp"));
  std::error_code error;
  fs::rename(current + ".tmp", current, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot replace '", current, "': ", error.message()));
  }
  return SyncPath(dir);
}

std::optional<std::string> ReadCurrent(const std::string& dir) {
  std::ifstream in((fs::path(dir) / kCurrent).string());
  if (!in) return std::nullopt;
  std::string name;
  std::getline(in, name);
  return name;
}

}  // namespace distsage
