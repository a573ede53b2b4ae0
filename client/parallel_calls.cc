#include "client/parallel_calls.h"

#include "absl/synchronization/blocking_counter.h"

namespace distsage {

std::vector<grpc::Status> RunConcurrently(size_t n,
                                          const std::function<void(size_t, CallDone)>& start) {
  std::vector<grpc::Status> statuses(n);
  absl::BlockingCounter pending(static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) {
    start(i, [&statuses, &pending, i](grpc::Status status) {
      statuses[i] = std::move(status);
      pending.DecrementCount();
    });
  }
  pending.Wait();
  return statuses;
}

}  // namespace distsage
