// Makes writing a partition set all-or-nothing. Everything is written into a
// hidden staging folder inside OUT (same filesystem, so moves are renames)
// and moved into place at the end, the config file last: a set is only
// recognisable by its config, so an interrupted or failed run never leaves
// something that looks like a valid partition set.
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
  // `overwrite`, in which case that set is replaced at Commit().
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

 private:
  StagedOutput(std::string out_dir, std::string staging_dir, std::vector<std::string> old_set);

  std::string out_dir_;
  std::string staging_dir_;  // Empty once committed or moved from.
  // Entries of OUT that belong to a previous partition set, configs first.
  std::vector<std::string> old_set_;
};

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_STAGED_OUTPUT_H_
