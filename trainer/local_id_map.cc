#include "trainer/local_id_map.h"

#include <algorithm>

namespace distsage {

void LocalIdMap::Reset(int64_t max_entries) {
  // At most 2/3 full: linear probing stays short (about 2 probes a miss).
  size_t wanted = 16;
  while (wanted * 2 < static_cast<size_t>(std::max<int64_t>(max_entries, 0)) * 3) wanted *= 2;
  if (wanted > capacity_) {
    // Value-initialised: generation 0, which no Reset hands out.
    slots_.reset(new Slot[wanted]());
    capacity_ = wanted;
    mask_ = wanted - 1;
    shift_ = 64 - __builtin_ctzll(wanted);
    generation_ = 0;
  }
  if (++generation_ == 0) {
    // Wrapped after 2^32 resets: old stamps could read as current.
    std::fill_n(slots_.get(), capacity_, Slot{0, 0, 0});
    generation_ = 1;
  }
}

}  // namespace distsage
