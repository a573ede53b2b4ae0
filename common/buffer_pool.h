// Reusable large buffers: the trainer's feature batches, the graph server's
// feature-pull answers. They are tens of megabytes; allocated fresh each time
// they are fresh pages from the kernel, and the first-touch page faults cost
// more than the copy itself (bench/RESULTS-distributed.md, "What it took").
// Buffers go back to the pool when their user (a tensor, a gRPC slice) dies,
// and the next batch reuses pages that are already mapped.
#ifndef DISTSAGE_COMMON_BUFFER_POOL_H_
#define DISTSAGE_COMMON_BUFFER_POOL_H_

#include <cstddef>
#include <mutex>
#include <vector>

namespace distsage {

class BufferPool {
 public:
  // Keeps at most `max_idle` returned buffers; further ones are freed.
  explicit BufferPool(size_t max_idle) : max_idle_(max_idle) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of at least `bytes` bytes, 2 MiB aligned and advised to use
  // transparent huge pages. Thread-safe. Every buffer must be given back
  // with Release before the pool is destroyed (deleters holding a
  // shared_ptr to the pool guarantee that).
  void* Acquire(size_t bytes);
  void Release(void* buffer);

  // Released buffers kept for reuse (never more than `max_idle`).
  size_t idle_count() const;

 private:
  struct Buffer {
    void* data;
    size_t capacity;  // In bytes.
  };
  mutable std::mutex mu_;
  const size_t max_idle_;
  std::vector<Buffer> idle_;    // Guarded by mu_.
  std::vector<Buffer> in_use_;  // Guarded by mu_.
};

}  // namespace distsage

#endif  // DISTSAGE_COMMON_BUFFER_POOL_H_
