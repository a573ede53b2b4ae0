#include "client/parallel_calls.h"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"

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

grpc::Status RetryOnRestart(ServerChannels* channels, const std::string& method_path,
                            absl::string_view service_method, int part, bool primary_only,
                            const grpc::ByteBuffer& request, grpc::ByteBuffer* response,
                            const ServerChannels::Server** server, grpc::Status status) {
  const absl::Duration budget = channels->options().server_restart_timeout;
  const absl::Time start = absl::Now();
  const absl::Time give_up = start + budget;
  const bool has_backups = !primary_only && channels->servers_of(part).size() > 1;
  // With a backup, every call that lands on the dead server fails over:
  // log one retry and its outcome every few seconds, not every call.
  static std::atomic<int64_t> last_logged_ns{0};
  const int64_t now_ns = absl::ToUnixNanos(start);
  int64_t last_ns = last_logged_ns.load(std::memory_order_relaxed);
  const bool log = now_ns - last_ns >= absl::ToInt64Nanoseconds(absl::Seconds(5)) &&
                   last_logged_ns.compare_exchange_strong(last_ns, now_ns);
  if (log) {
    std::fprintf(stderr,
                 "%.*s on partition %d: server %s is down (%s); retrying on %s for up to %s "
                 "(--server_restart_timeout_s)\n",
                 static_cast<int>(service_method.size()), service_method.data(), part,
                 (*server)->Describe().c_str(), status.error_message().c_str(),
                 has_backups ? "the partition's servers" : "it",
                 absl::FormatDuration(budget).c_str());
  }
  absl::Duration backoff = absl::Milliseconds(50);
  int attempts = 0;
  while (absl::Now() < give_up) {
    const auto [next, connection] =
        primary_only ? channels->PickPrimary(part) : channels->Pick(part);
    // With backups, ask each at once and rotate; alone, let gRPC wait for
    // the server's return (it redials at most 1 s apart).
    grpc::ClientContext context;
    channels->PrepareRetryContext(&context, give_up, /*wait_for_ready=*/!has_backups);
    response->Clear();
    grpc::GenericStub* stub = next->generic_stubs[connection].get();
    status = RunConcurrently(1, [&](size_t, CallDone done) {
               stub->UnaryCall(&context, method_path, grpc::StubOptions(), &request, response,
                               std::move(done));
             }).front();
    *server = next;
    ++attempts;
    const bool down =
        status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && absl::Now() >= give_up);
    if (!down) break;
    if (has_backups) {
      absl::SleepFor(std::min(backoff, give_up - absl::Now()));
      backoff = std::min(backoff * 2, absl::Seconds(1));
    }
  }
  if (status.ok() && log) {
    std::fprintf(
        stderr, "%.*s on partition %d: served by %s after %s (%d retries)\n",
        static_cast<int>(service_method.size()), service_method.data(), part,
        (*server)->Describe().c_str(),
        absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1))).c_str(),
        attempts);
  } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
             status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    status = grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("no server of the partition came back within ", absl::FormatDuration(budget),
                     " (--server_restart_timeout_s); last: ", status.error_message()));
  }
  return status;
}

}  // namespace distsage
