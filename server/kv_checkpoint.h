// The on-disk saves of a server's KV tensors. A save folder <dir>/save-<n>
// is a RocksDB database holding every tensor's spec, rows and optimiser
// state, and a label; <dir>/CURRENT names the last complete one. A save is
// written in full to save-<n>.tmp, synced, renamed to save-<n>, and only
// then made current by replacing CURRENT (write, sync, rename): a crash at
// any point leaves the previous save current and intact. The save before
// the current one is kept too (a training job resumes from the last
// checkpoint all its trainers reached, which can be the older one); older
// saves are removed after the switch, leftover .tmp folders when the next
// save starts.
#ifndef DISTSAGE_SERVER_KV_CHECKPOINT_H_
#define DISTSAGE_SERVER_KV_CHECKPOINT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/kv_table.h"

namespace distsage {

struct KVSave {
  std::string path;   // The save folder.
  std::string label;  // What the saver called it ("" for none).
  int64_t row_begin = 0;
  int64_t row_end = 0;
  std::vector<std::pair<KVTensorSpec, KVTableContents>> tensors;
};

// Writes `save` (its path is ignored) as the next save in `dir` (created if
// missing) and makes it current; returns its folder. For fault-injection
// tests only: with DISTSAGE_KV_SAVE_CRASH_AFTER_CHUNKS=N in the environment
// the process exits abruptly (_exit(86)) after writing N chunks of data.
absl::StatusOr<std::string> WriteKVSave(const std::string& dir, const KVSave& save);

// The current save in `dir`, or nullopt when there is none (no folder, or
// no CURRENT). DATA_LOSS when CURRENT names a save that cannot be read.
absl::StatusOr<std::optional<KVSave>> ReadCurrentKVSave(const std::string& dir);

// The newest kept save in `dir` labelled `label`; NOT_FOUND naming `dir`
// and the labels kept when there is none. DATA_LOSS as above.
absl::StatusOr<KVSave> ReadLabelledKVSave(const std::string& dir, const std::string& label);

}  // namespace distsage

#endif  // DISTSAGE_SERVER_KV_CHECKPOINT_H_
