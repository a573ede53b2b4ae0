// The KV tensors one server holds for its partition (node IDs [row_begin,
// row_end)), by name: created idempotently, pulled, pushed, saved to and
// loaded from the server's KV folder (server/kv_checkpoint.h). Opening a
// store loads the last save when there is one, so a restarted server comes
// back with the state of its last save. Thread-safe; used by KVStoreService
// and, in standalone mode, directly by the client.
#ifndef DISTSAGE_SERVER_KV_STORE_H_
#define DISTSAGE_SERVER_KV_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/kv_table.h"

namespace distsage {

struct KVStoreOptions {
  int64_t row_begin = 0;
  int64_t row_end = 0;
  // Where saves go ("" : Save and Load fail with FAILED_PRECONDITION).
  std::string save_dir;
  // Whether Open loads the current save (a server restarting does; a
  // standalone trainer starts fresh unless it loads a model).
  bool load_current_save = true;
};

class KVStore {
 public:
  // An empty store, or the last save in options.save_dir when
  // options.load_current_save (DATA_LOSS when it is damaged,
  // FAILED_PRECONDITION when it holds another row range).
  static absl::StatusOr<std::unique_ptr<KVStore>> Open(const KVStoreOptions& options);

  int64_t row_begin() const { return options_.row_begin; }
  int64_t row_end() const { return options_.row_end; }

  // Creates `spec`'s tensor, or checks that the existing one has the same
  // spec (FAILED_PRECONDITION naming both otherwise).
  absl::Status Create(const KVTensorSpec& spec);
  // Every tensor's spec, by name.
  std::vector<KVTensorSpec> List() const;
  // The tensor `name`; NOT_FOUND listing the known ones.
  absl::StatusOr<std::shared_ptr<KVTable>> Find(const std::string& name) const;

  // Saves every tensor, under `label` (may be empty); returns the save's
  // folder. The last two saves are kept (server/kv_checkpoint.h).
  absl::StatusOr<std::string> Save(const std::string& label = "");
  // Replaces every tensor with the last save, or with the newest kept save
  // labelled `label` when it is not empty (NOT_FOUND when none is);
  // returns how many tensors it holds.
  absl::StatusOr<int64_t> Load(const std::string& label = "");

 private:
  explicit KVStore(KVStoreOptions options) : options_(std::move(options)) {}
  absl::Status CheckSaveDir(const char* what) const;

  const KVStoreOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<KVTable>> tables_ ABSL_GUARDED_BY(mu_);
  absl::Mutex save_mu_;  // One save or load at a time.
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_KV_STORE_H_
