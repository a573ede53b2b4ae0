#include "partitioner/progress_meter.h"

#include <cstdio>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace distsage {

ProgressMeter::ProgressMeter(std::string stage, std::string unit, int64_t total)
    : stage_(std::move(stage)),
      unit_(std::move(unit)),
      total_(total),
      start_(std::chrono::steady_clock::now()) {}

double ProgressMeter::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressMeter::Add(int64_t n) {
  const int64_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start_)
                              .count();
  if (elapsed_ms < next_print_ms_.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(print_mutex_);
  if (elapsed_ms < next_print_ms_.load(std::memory_order_relaxed)) return;
  next_print_ms_.store(elapsed_ms + 2000, std::memory_order_relaxed);
  Print(done, /*final=*/false);
}

void ProgressMeter::Finish(int64_t n) {
  std::lock_guard<std::mutex> lock(print_mutex_);
  Print(done_.fetch_add(n) + n, /*final=*/true);
}

void ProgressMeter::RunWithHeartbeat(const std::function<void()>& work,
                                     std::chrono::seconds interval) {
  absl::Notification done;
  std::thread heartbeat([&] {
    while (!done.WaitForNotificationWithTimeout(absl::FromChrono(interval))) {
      std::fprintf(stderr, "[%s] still running, %.0f s elapsed\n", stage_.c_str(),
                   ElapsedSeconds());
    }
  });
  work();
  done.Notify();
  heartbeat.join();
}

void ProgressMeter::Print(int64_t done, bool final) {
  const double seconds = ElapsedSeconds();
  const double rate = seconds > 0 ? done / seconds : 0.0;
  std::string percent;
  if (total_ > 0) percent = absl::StrFormat(" (%.1f%%)", 100.0 * done / total_);
  std::fprintf(stderr, "[%s] %s%lld %s%s in %.1f s, %.3g %s/s\n", stage_.c_str(),
               final ? "done: " : "", static_cast<long long>(done), unit_.c_str(), percent.c_str(),
               seconds, rate, unit_.c_str());
}

}  // namespace distsage
