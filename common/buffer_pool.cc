#include "common/buffer_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

namespace distsage {
namespace {

// Huge-page alignment: a batch buffer in transparent huge pages costs one
// first-touch fault per 2 MiB instead of one per 4 KiB.
constexpr size_t kAlignment = size_t{2} << 20;

size_t Rounded(size_t size) {
  return std::max(kAlignment, (size + kAlignment - 1) / kAlignment * kAlignment);
}

// `size` bytes (a multiple of kAlignment) mapped at a kAlignment boundary:
// map one alignment more and unmap the ends.
void* Map(size_t size) {
  const size_t mapped = size + kAlignment;
  void* raw = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t begin = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (begin + kAlignment - 1) / kAlignment * kAlignment;
  if (aligned > begin) munmap(raw, aligned - begin);
  const uintptr_t end = begin + mapped;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  void* data = reinterpret_cast<void*>(aligned);
  madvise(data, size, MADV_HUGEPAGE);  // Advice only.
  return data;
}

}  // namespace

BufferPool::~BufferPool() {
  for (const Buffer& buffer : idle_) munmap(buffer.data, buffer.mapped);
}

void* BufferPool::Acquire(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  recent_[next_recent_] = bytes;
  next_recent_ = (next_recent_ + 1) % kRecentRequests;
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
    idle_bytes_ -= buffer.mapped;
  } else {
    // Batches vary in size: headroom lets the next, slightly larger one fit.
    // A full pool drops a buffer now, so that this one can be kept later.
    if (!idle_.empty() && idle_.size() >= max_idle_) {
      munmap(idle_.front().data, idle_.front().mapped);
      idle_bytes_ -= idle_.front().mapped;
      idle_.erase(idle_.begin());
    }
    buffer.capacity = bytes + bytes / 4;
    buffer.mapped = Rounded(buffer.capacity);
    buffer.data = Map(buffer.mapped);
  }
  in_use_.push_back(buffer);
  TrimLocked();
  return buffer.data;
}

void BufferPool::Release(void* data) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < in_use_.size(); ++i) {
    if (in_use_[i].data != data) continue;
    const Buffer buffer = in_use_[i];
    in_use_[i] = in_use_.back();
    in_use_.pop_back();
    idle_.push_back(buffer);
    idle_bytes_ += buffer.mapped;
    TrimLocked();
    return;
  }
}

void BufferPool::TrimLocked() {
  const size_t recent_max = *std::max_element(recent_.begin(), recent_.end());
  const size_t keep_at_most = Rounded(recent_max + recent_max / 4) * kMaxIdleOverRecent;
  while (!idle_.empty()) {
    // The largest idle buffer; of equal ones the last released.
    size_t largest = 0;
    for (size_t i = 1; i < idle_.size(); ++i) {
      if (idle_[i].mapped >= idle_[largest].mapped) largest = i;
    }
    const Buffer buffer = idle_[largest];
    if (idle_.size() <= max_idle_ && idle_bytes_ <= max_idle_bytes_ &&
        buffer.mapped <= keep_at_most) {
      return;
    }
    munmap(buffer.data, buffer.mapped);
    idle_bytes_ -= buffer.mapped;
    idle_.erase(idle_.begin() + largest);
  }
}

size_t BufferPool::idle_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

size_t BufferPool::idle_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_bytes_;
}

}  // namespace distsage
