// Makes writing a partition set all-or-nothing. Everything is written into a
// hidden staging folder inside OUT (same filesystem, so moves are renames)
// and moved into place at the end, the config file last: a set is only
// recognisable by its config, so an interrupted or failed run never leaves
// something that looks like a valid partition set.
//
// A run holds an exclusive flock(2) on its staging folder for as long as it
// lives; the kernel drops it when the process ends however it ends (kill -9
// included). So a staging folder nobody holds a lock on was left by a run
// that was interrupted, and the next run into the same OUT removes it.
#ifndef DISTSAGE_PARTITIONER_STAGED_OUTPUT_H_
#define DISTSAGE_PARTITIONER_STAGED_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace distsage {

class StagedOutput {
 public:
  // Checks `out_dir` and creates it (if needed) and a fresh staging folder
  // in it. When `out_dir` already holds a partition set (a partition config
  // JSON, part<N>/ folders or orig_node_ids.bin) this fails unless
  // `overwrite`, in which case that set is replaced at Commit(). Staging
  // folders left in OUT by interrupted runs are removed first (those of runs
  // still going are left alone).
  static absl::StatusOr<StagedOutput> Create(const std::string& out_dir, bool overwrite);
  StagedOutput(StagedOutput&& other) noexcept;
  StagedOutput& operator=(StagedOutput&&) = delete;
  StagedOutput(const StagedOutput&) = delete;
  // Removes the staging folder unless Commit() succeeded.
  ~StagedOutput();

  // Where to write the new partition set.
  const std::string& staging_dir() const { return staging_dir_; }
  // Removes the old set (config first), then moves every staged entry into
  // OUT with `config_file` (a file name in the staging folder) last.
  absl::Status Commit(const std::string& config_file);

  // The staging folders of interrupted runs that Create() removed.
  const std::vector<std::string>& removed_stale() const { return removed_stale_; }

 private:
  StagedOutput(std::string out_dir, std::string staging_dir, int lock_fd,
               std::vector<std::string> old_set, std::vector<std::string> removed_stale);

  std::string out_dir_;
  std::string staging_dir_;  // Empty once committed or moved from.
  int lock_fd_;              // Holds the flock on the staging folder; -1 when none.
  // Entries of OUT that belong to a previous partition set, configs first.
  std::vector<std::string> old_set_;
  std::vector<std::string> removed_stale_;
};

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_STAGED_OUTPUT_H_
