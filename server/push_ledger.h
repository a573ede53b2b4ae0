// Exactly-once KV pushes across retries. A client that may send a push again
// (its connection dropped before the answer came) numbers its pushes: a
// random 64-bit client ID and a sequence number that grows by one per push
// (KVClient serialises its pushes). The ledger remembers, per client, the
// last sequence applied, and skips a push it has applied already. A client's
// pushes are applied one at a time, so a retry that arrives while its
// original is still being applied waits and is then recognised. Clients are
// trainer processes (a handful): entries are kept for the server's life.
// Thread-safe.
#ifndef DISTSAGE_SERVER_PUSH_LEDGER_H_
#define DISTSAGE_SERVER_PUSH_LEDGER_H_

#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace distsage {

class PushLedger {
 public:
  // Runs apply() (-> absl::Status) unless push `sequence` of `client` was
  // applied already; returns true for such a duplicate. Client 0 is
  // unnumbered: always applied. A failed apply is not recorded, so its
  // retry is applied.
  template <typename Apply>
  absl::StatusOr<bool> ApplyOnce(uint64_t client, uint64_t sequence, Apply apply) {
    if (client == 0) {
      absl::Status status = apply();
      if (!status.ok()) return status;
      return false;
    }
    Client* entry;
    {
      absl::MutexLock lock(&mu_);
      std::unique_ptr<Client>& slot = clients_[client];
      if (slot == nullptr) slot = std::make_unique<Client>();
      entry = slot.get();
    }
    absl::MutexLock lock(&entry->mu);
    if (sequence <= entry->last_applied) return true;
    absl::Status status = apply();
    if (!status.ok()) return status;
    entry->last_applied = sequence;
    return false;
  }

 private:
  struct Client {
    absl::Mutex mu;
    uint64_t last_applied ABSL_GUARDED_BY(mu) = 0;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Client>> clients_ ABSL_GUARDED_BY(mu_);
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_PUSH_LEDGER_H_
