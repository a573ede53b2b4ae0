// One parallel loop for the whole project: a fixed set of threads claims
// work items one at a time from a shared counter, so items of uneven cost
// (a part with more edges, a chunk of high-degree nodes) balance themselves.
#ifndef DISTSAGE_COMMON_PARALLEL_FOR_H_
#define DISTSAGE_COMMON_PARALLEL_FOR_H_

#include <cstdint>
#include <functional>

namespace distsage {

// Calls body(i) exactly once for every i in [0, num_items), on at most
// `num_threads` threads (the calling thread is one of them; fewer when there
// are fewer items; num_threads < 1 counts as 1), and returns when every call
// has returned. Items run in no particular order and concurrently, so
// `body` must be safe to call from several threads and must not throw.
// Work that has to be deterministic should depend on i, never on the thread
// or the order: then the result does not depend on the thread count.
void ParallelFor(int64_t num_items, int num_threads, const std::function<void(int64_t)>& body);

}  // namespace distsage

#endif  // DISTSAGE_COMMON_PARALLEL_FOR_H_
