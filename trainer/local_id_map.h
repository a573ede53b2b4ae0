// Global node ID -> block-local index, the dedup-and-relabel step of block
// construction (DGL's to_block): each new ID gets the next local index, in
// first-seen order. An open-addressing table (linear probing) that a loader
// thread keeps from batch to batch: Reset() is O(1) (a generation stamp marks
// the previous batch's slots stale) and the slots only grow, so after its
// first batches a thread neither allocates nor clears anything per batch. The
// IDs of a batch are known before they are looked up, so the caller can
// Prefetch a slot a few IDs ahead: at products scale the table is megabytes
// and each lookup would otherwise be a cache miss.
#ifndef DISTSAGE_TRAINER_LOCAL_ID_MAP_H_
#define DISTSAGE_TRAINER_LOCAL_ID_MAP_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

namespace distsage {

class LocalIdMap {
 public:
  // Most entries a map can hold between resets.
  static constexpr int64_t kMaxEntries = std::numeric_limits<int32_t>::max();

  // Empties the map and makes room for up to `max_entries` (<= kMaxEntries)
  // insertions before the next Reset.
  void Reset(int64_t max_entries);

  // The local index of `node`: the one it has, or else `next_local`, which
  // it gets (second: true). At most the `max_entries` of the last Reset may
  // be inserted.
  std::pair<int64_t, bool> FindOrInsert(int64_t node, int64_t next_local) {
    for (size_t slot = SlotOf(node);; slot = (slot + 1) & mask_) {
      Slot& s = slots_[slot];
      if (s.generation != generation_) {
        s = {node, generation_, static_cast<int32_t>(next_local)};
        return {next_local, true};
      }
      if (s.node == node) return {s.local, false};
    }
  }

  // Starts loading the slot where `node`'s probe begins.
  void Prefetch(int64_t node) const { __builtin_prefetch(&slots_[SlotOf(node)], 1); }

 private:
  struct Slot {
    int64_t node;
    uint32_t generation;  // The slot is in use iff this is generation_.
    int32_t local;
  };

  size_t SlotOf(int64_t node) const {
    // Fibonacci hashing: the top bits of a multiplication by 2^64 / phi.
    return static_cast<size_t>((static_cast<uint64_t>(node) * 0x9e3779b97f4a7c15ULL) >> shift_);
  }

  std::unique_ptr<Slot[]> slots_;
  size_t capacity_ = 0;  // A power of two, or 0.
  size_t mask_ = 0;
  int shift_ = 64;
  uint32_t generation_ = 0;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_LOCAL_ID_MAP_H_
