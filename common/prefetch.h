// Software prefetch for random reads the hardware prefetcher cannot follow
// (a feature row, an adjacency list at an unpredictable address): request
// the data's cache lines some iterations before it is read.
#ifndef DISTSAGE_COMMON_PREFETCH_H_
#define DISTSAGE_COMMON_PREFETCH_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace distsage {

inline constexpr size_t kCacheLine = 64;

// Starts loading the cache lines of `bytes` bytes at `data`, the last one
// included (`data` need not start on a line).
inline void PrefetchBytes(const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  for (size_t b = 0; b < bytes; b += kCacheLine) __builtin_prefetch(p + b);
  if (bytes > 0) __builtin_prefetch(p + bytes - 1);
}

// Calls visit(rows[i], i) for i in [0, count) (rows of `dim` T each,
// wherever they are), requesting each row's cache lines a few rows ahead:
// random addresses, which the hardware prefetcher cannot follow.
template <typename T, typename Visit>
void VisitRowsPrefetched(const T* const* rows, int64_t count, int64_t dim, Visit visit) {
  constexpr int64_t kPrefetchRows = 8;
  const size_t row_bytes = static_cast<size_t>(dim) * sizeof(T);
  for (int64_t i = 0; i < count; ++i) {
    if (i + kPrefetchRows < count) PrefetchBytes(rows[i + kPrefetchRows], row_bytes);
    visit(rows[i], i);
  }
}

// Copies rows[0 .. count) (`dim` T each, wherever they are) to
// out + row_of(i) * dim (VisitRowsPrefetched).
template <typename T, typename RowOf>
void CopyRowsFrom(const T* const* rows, int64_t count, int64_t dim, T* out, RowOf row_of) {
  VisitRowsPrefetched(rows, count, dim, [&](const T* row, int64_t i) {
    std::copy_n(row, dim, out + row_of(i) * dim);
  });
}

}  // namespace distsage

#endif  // DISTSAGE_COMMON_PREFETCH_H_
