// CPU time of the calling thread, for per-stage figures that other processes
// on a shared machine do not inflate (a thread waiting for a core is not
// charged, unlike a wall clock); and of the whole process, for how much of
// the machine a pass kept busy.
#ifndef DISTSAGE_COMMON_THREAD_CPU_CLOCK_H_
#define DISTSAGE_COMMON_THREAD_CPU_CLOCK_H_

#include <time.h>

namespace distsage {

// The reading of CPU clock `clock` in seconds.
inline double CpuClockSeconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// Seconds of CPU the calling thread has used so far (CLOCK_THREAD_CPUTIME_ID);
// only differences of two readings on the same thread mean anything.
inline double ThreadCpuSeconds() { return CpuClockSeconds(CLOCK_THREAD_CPUTIME_ID); }

// Seconds of CPU all threads of this process have used so far
// (CLOCK_PROCESS_CPUTIME_ID); only differences of two readings mean anything.
inline double ProcessCpuSeconds() { return CpuClockSeconds(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace distsage

#endif  // DISTSAGE_COMMON_THREAD_CPU_CLOCK_H_
