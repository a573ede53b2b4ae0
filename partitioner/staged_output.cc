#include "partitioner/staged_output.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "partitioner/partition_writer.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;

constexpr char kStagingPrefix[] = ".partition_graph.tmp-";
// A staging folder is created under this name, locked, and only then renamed
// to kStagingPrefix: no other run can find it, unlocked, in between.
constexpr char kNewStagingPrefix[] = ".partition_graph.new-";

// Opens folder `path` and takes an exclusive flock on it without waiting;
// returns the descriptor holding it, or -1 when another process holds it (or
// the folder cannot be opened).
int TryLockFolder(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Removes the staging folders in `out_dir` that no live run holds; returns
// their paths.
std::vector<std::string> RemoveStaleStagingFolders(const std::string& out_dir) {
  std::vector<std::string> removed;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(out_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, kStagingPrefix) || !entry.is_directory()) continue;
    const int fd = TryLockFolder(entry.path().string());
    if (fd < 0) continue;  // A run still writing into it.
    std::error_code ignored;
    if (fs::remove_all(entry.path(), ignored) != static_cast<std::uintmax_t>(-1)) {
      removed.push_back(entry.path().string());
    }
    close(fd);
  }
  return removed;
}

bool IsPartitionConfig(const fs::path& path) {
  if (path.extension() != ".json") return false;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return absl::StrContains(text.str(), "\"format_version\"");
}

bool IsPartFolder(const std::string& name) {
  return name.size() > 4 && absl::StartsWith(name, "part") &&
         std::all_of(name.begin() + 4, name.end(), absl::ascii_isdigit);
}

}  // namespace

absl::StatusOr<StagedOutput> StagedOutput::Create(const std::string& out_dir, bool overwrite) {
  if (out_dir.empty()) return absl::InvalidArgumentError("--out is required: the output folder");
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error || !fs::is_directory(out_dir)) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create output folder '", out_dir, "': ",
                                                    error.message(), " (choose another --out)"));
  }
  std::vector<std::string> configs;
  std::vector<std::string> others;
  for (const auto& entry : fs::directory_iterator(out_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (IsPartitionConfig(entry.path())) {
      configs.push_back(entry.path().string());
    } else if (name == kOrigNodeIdsFile || (IsPartFolder(name) && entry.is_directory())) {
      others.push_back(entry.path().string());
    }
  }
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot list output folder '", out_dir, "': ", error.message()));
  }
  std::sort(configs.begin(), configs.end());
  std::sort(others.begin(), others.end());
  if (!overwrite && !(configs.empty() && others.empty())) {
    return absl::AlreadyExistsError(
        absl::StrCat("output folder '", out_dir, "' already holds a partition set (",
                     absl::StrJoin(configs.empty() ? others : configs, ", "),
                     "); pass --overwrite to replace it, or choose another --out"));
  }
  std::vector<std::string> removed_stale = RemoveStaleStagingFolders(out_dir);
  std::string fresh = (fs::path(out_dir) / absl::StrCat(kNewStagingPrefix, "XXXXXX")).string();
  if (mkdtemp(fresh.data()) == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create a staging folder in '", out_dir, "' (is it writable?)"));
  }
  const int lock_fd = TryLockFolder(fresh);
  const std::string staging =
      (fs::path(out_dir) / (kStagingPrefix + fresh.substr(fresh.size() - 6))).string();
  if (lock_fd < 0 || rename(fresh.c_str(), staging.c_str()) != 0) {
    if (lock_fd >= 0) close(lock_fd);
    fs::remove_all(fresh, error);
    return absl::PermissionDeniedError(
        absl::StrCat("cannot lock and name the staging folder '", staging, "' in '", out_dir, "'"));
  }
  configs.insert(configs.end(), others.begin(), others.end());
  return StagedOutput(out_dir, staging, lock_fd, std::move(configs), std::move(removed_stale));
}

StagedOutput::StagedOutput(std::string out_dir, std::string staging_dir, int lock_fd,
                           std::vector<std::string> old_set, std::vector<std::string> removed_stale)
    : out_dir_(std::move(out_dir)),
      staging_dir_(std::move(staging_dir)),
      lock_fd_(lock_fd),
      old_set_(std::move(old_set)),
      removed_stale_(std::move(removed_stale)) {}

StagedOutput::StagedOutput(StagedOutput&& other) noexcept
    : out_dir_(std::move(other.out_dir_)),
      staging_dir_(std::move(other.staging_dir_)),
      lock_fd_(other.lock_fd_),
      old_set_(std::move(other.old_set_)),
      removed_stale_(std::move(other.removed_stale_)) {
  other.staging_dir_.clear();
  other.lock_fd_ = -1;
}

StagedOutput::~StagedOutput() {
  if (!staging_dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(staging_dir_, ignored);
  }
  if (lock_fd_ >= 0) close(lock_fd_);
}

absl::Status StagedOutput::Commit(const std::string& config_file) {
  std::error_code error;
  for (const std::string& old_entry : old_set_) {
    fs::remove_all(old_entry, error);
    if (error) {
      return absl::PermissionDeniedError(
          absl::StrCat("--overwrite: cannot remove old '", old_entry, "': ", error.message()));
    }
  }
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(staging_dir_)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  std::stable_partition(entries.begin(), entries.end(),
                        [&](const fs::path& p) { return p.filename() != config_file; });
  for (const fs::path& entry : entries) {
    const fs::path target = fs::path(out_dir_) / entry.filename();
    fs::remove_all(target, error);
    fs::rename(entry, target, error);
    if (error) {
      return absl::InternalError(absl::StrCat("cannot move '", entry.string(), "' to '",
                                              target.string(), "': ", error.message()));
    }
  }
  fs::remove(staging_dir_, error);
  staging_dir_.clear();
  return absl::OkStatus();
}

}  // namespace distsage
