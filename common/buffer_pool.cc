#include "common/buffer_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>

namespace distsage {
namespace {

// Huge-page alignment: a batch buffer in transparent huge pages costs one
// first-touch fault per 2 MiB instead of one per 4 KiB.
constexpr size_t kAlignment = size_t{2} << 20;

void* Allocate(size_t size) {
  const size_t bytes = std::max(kAlignment, (size + kAlignment - 1) / kAlignment * kAlignment);
  void* data = std::aligned_alloc(kAlignment, bytes);
  if (data == nullptr) throw std::bad_alloc();
  madvise(data, bytes, MADV_HUGEPAGE);  // Advice only.
  return data;
}

}  // namespace

BufferPool::~BufferPool() {
  for (const Buffer& buffer : idle_) std::free(buffer.data);
}

void* BufferPool::Acquire(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  // Best fit among idle buffers that are large enough.
  size_t best = idle_.size();
  for (size_t i = 0; i < idle_.size(); ++i) {
    if (idle_[i].capacity >= bytes &&
        (best == idle_.size() || idle_[i].capacity < idle_[best].capacity)) {
      best = i;
    }
  }
  Buffer buffer;
  if (best < idle_.size()) {
    buffer = idle_[best];
    idle_.erase(idle_.begin() + best);
  } else {
    // Batches vary in size: headroom lets the next, slightly larger one fit.
    if (!idle_.empty() && idle_.size() >= max_idle_) {
      std::free(idle_.front().data);
      idle_.erase(idle_.begin());
    }
    buffer.capacity = bytes + bytes / 4;
    buffer.data = Allocate(buffer.capacity);
  }
  in_use_.push_back(buffer);
  return buffer.data;
}

void BufferPool::Release(void* data) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < in_use_.size(); ++i) {
    if (in_use_[i].data != data) continue;
    const Buffer buffer = in_use_[i];
    in_use_[i] = in_use_.back();
    in_use_.pop_back();
    if (idle_.size() < max_idle_) {
      idle_.push_back(buffer);
    } else {
      std::free(buffer.data);
    }
    return;
  }
}

size_t BufferPool::idle_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

}  // namespace distsage
