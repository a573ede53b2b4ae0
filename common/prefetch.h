// Software prefetch for random reads the hardware prefetcher cannot follow
// (a feature row, an adjacency list at an unpredictable address): request
// the data's cache lines some iterations before it is read.
#ifndef DISTSAGE_COMMON_PREFETCH_H_
#define DISTSAGE_COMMON_PREFETCH_H_

#include <cstddef>

namespace distsage {

inline constexpr size_t kCacheLine = 64;

// Starts loading the cache lines of `bytes` bytes at `data`, the last one
// included (`data` need not start on a line).
inline void PrefetchBytes(const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  for (size_t b = 0; b < bytes; b += kCacheLine) __builtin_prefetch(p + b);
  if (bytes > 0) __builtin_prefetch(p + bytes - 1);
}

}  // namespace distsage

#endif  // DISTSAGE_COMMON_PREFETCH_H_
