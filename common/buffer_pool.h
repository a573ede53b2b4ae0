// Reusable large buffers: the trainer's feature batches, the graph server's
// feature-pull answers. They are tens of megabytes; allocated fresh each time
// they are fresh pages from the kernel, and the first-touch page faults cost
// more than the copy itself (bench/RESULTS-distributed.md, "What it took").
// Buffers go back to the pool when their user (a tensor, a gRPC slice) dies,
// and the next batch reuses pages that are already mapped.
//
// What the pool keeps is bounded, so one huge answer or a burst of
// concurrent ones does not raise the process's memory for good: at most
// `max_idle` buffers and `max_idle_bytes` bytes stay idle, a buffer far
// larger than the recent requests is not kept, and buffers are mapped and
// unmapped straight from the kernel (mmap/munmap), so one that is dropped
// leaves the resident set at once instead of staying in malloc's arenas.
#ifndef DISTSAGE_COMMON_BUFFER_POOL_H_
#define DISTSAGE_COMMON_BUFFER_POOL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace distsage {

class BufferPool {
 public:
  // A kept buffer may be at most this many times the largest of the last
  // kRecentRequests requests.
  static constexpr size_t kMaxIdleOverRecent = 4;
  static constexpr size_t kRecentRequests = 32;

  // Keeps at most `max_idle` returned buffers holding at most
  // `max_idle_bytes` bytes in all; further ones are unmapped.
  explicit BufferPool(size_t max_idle, size_t max_idle_bytes = SIZE_MAX)
      : max_idle_(max_idle), max_idle_bytes_(max_idle_bytes) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of at least `bytes` bytes, 2 MiB aligned and advised to use
  // transparent huge pages. Thread-safe. Every buffer must be given back
  // with Release before the pool is destroyed (deleters holding a
  // shared_ptr to the pool guarantee that).
  void* Acquire(size_t bytes);
  void Release(void* buffer);

  // Released buffers kept for reuse (never more than `max_idle`), and their
  // bytes (never more than `max_idle_bytes`).
  size_t idle_count() const;
  size_t idle_bytes() const;

 private:
  struct Buffer {
    void* data;
    size_t capacity;  // Usable bytes (the request and its headroom).
    size_t mapped;    // Bytes mapped (capacity rounded up to the alignment).
  };
  // Drops idle buffers, largest first, until the bounds hold; and any idle
  // buffer too large for the recent requests.
  void TrimLocked();

  mutable std::mutex mu_;
  const size_t max_idle_;
  const size_t max_idle_bytes_;
  std::vector<Buffer> idle_;    // Guarded by mu_.
  size_t idle_bytes_ = 0;       // Guarded by mu_.
  std::vector<Buffer> in_use_;  // Guarded by mu_.
  // Sizes of the last kRecentRequests requests, a ring. Guarded by mu_.
  std::array<size_t, kRecentRequests> recent_{};
  size_t next_recent_ = 0;  // Guarded by mu_.
};

}  // namespace distsage

#endif  // DISTSAGE_COMMON_BUFFER_POOL_H_
