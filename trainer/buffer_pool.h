// Reusable float buffers for the loader's feature batches. A batch's input
// features are tens of megabytes; allocated fresh for every batch they are
// fresh pages from the kernel, and the first-touch page faults cost more than
// the copy itself. Buffers go back to the pool when the tensor wrapping them
// dies, and the next batch reuses pages that are already mapped.
#ifndef DISTSAGE_TRAINER_BUFFER_POOL_H_
#define DISTSAGE_TRAINER_BUFFER_POOL_H_

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

  // A buffer of at least `count` floats, 2 MiB aligned. Thread-safe. Every
  // buffer must be given back with Release before the pool is destroyed
  // (tensor deleters holding a shared_ptr to the pool guarantee that).
  float* Acquire(size_t count);
  void Release(float* buffer);

 private:
  struct Buffer {
    float* data;
    size_t capacity;  // In floats.
  };
  std::mutex mu_;
  const size_t max_idle_;
  std::vector<Buffer> idle_;    // Guarded by mu_.
  std::vector<Buffer> in_use_;  // Guarded by mu_.
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_BUFFER_POOL_H_
