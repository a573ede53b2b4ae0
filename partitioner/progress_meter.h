// Throttled progress lines on stderr for stages that take longer than a few
// seconds (loading CSV, building the METIS graph, writing partitions).
#ifndef DISTSAGE_PARTITIONER_PROGRESS_METER_H_
#define DISTSAGE_PARTITIONER_PROGRESS_METER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace distsage {

class ProgressMeter {
 public:
  // `unit` names what is counted ("rows", "nodes"); `total` may be 0 when
  // unknown, otherwise a percentage is shown.
  ProgressMeter(std::string stage, std::string unit, int64_t total = 0);
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  // Counts `n` more items; prints at most one line every two seconds.
  // Thread-safe.
  void Add(int64_t n);
  // Counts `n` more items without printing, then prints the final count,
  // elapsed time and rate.
  void Finish(int64_t n = 0);
  double ElapsedSeconds() const;
  // Runs `work`, which reports no progress of its own (a METIS call), on the
  // calling thread and prints a "still running" line with the elapsed time
  // every `interval` until it returns, so a long stage never looks hung.
  void RunWithHeartbeat(const std::function<void()>& work,
                        std::chrono::seconds interval = std::chrono::seconds(10));

 private:
  void Print(int64_t done, bool final);

  const std::string stage_;
  const std::string unit_;
  const int64_t total_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> done_{0};
  std::mutex print_mutex_;
  // Written under print_mutex_; read racily only to skip the lock.
  std::atomic<int64_t> next_print_ms_{2000};
};

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_PROGRESS_METER_H_
