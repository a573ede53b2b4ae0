// Numbered snapshot folders with a CURRENT pointer, made crash-safe the same
// way wherever the project keeps them (KV saves, training checkpoints):
// a snapshot is written in full to <name>.tmp, synced, renamed to <name>,
// and only then made current by replacing <dir>/CURRENT (write, sync,
// rename, sync the folder). A crash at any point leaves the previous
// snapshot current and intact.
#ifndef DISTSAGE_COMMON_NUMBERED_FOLDERS_H_
#define DISTSAGE_COMMON_NUMBERED_FOLDERS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace distsage {

// fsync of a file or folder, so that a new file or a rename survives a crash.
absl::Status SyncPath(const std::string& path);

// The number n of a "<prefix><n>" name, or -1 (also for "<prefix><n>.tmp").
int64_t FolderNumber(absl::string_view name, absl::string_view prefix);

// Syncs the finished `tmp_path` folder's files and the folder, renames it to
// `final_path` and syncs the parent folder.
absl::Status PublishFolder(const std::string& tmp_path, const std::string& final_path);

// Makes `name` (a folder in `dir`) current: CURRENT.tmp written, synced and
// renamed over CURRENT, then `dir` synced.
absl::Status WriteCurrent(const std::string& dir, const std::string& name);

// The name CURRENT holds, or nullopt when `dir` has no CURRENT.
std::optional<std::string> ReadCurrent(const std::string& dir);

}  // namespace distsage

#endif  // DISTSAGE_COMMON_NUMBERED_FOLDERS_H_
