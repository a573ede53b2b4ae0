// Scheduling priority of one thread, so that background work (the trainer's
// batch loader) only takes the cores the foreground threads (the model's
// step) leave idle instead of preempting them: a 2-thread matrix product
// whose one thread waits for a core waits as a whole.
#ifndef DISTSAGE_COMMON_THREAD_PRIORITY_H_
#define DISTSAGE_COMMON_THREAD_PRIORITY_H_

#include "absl/status/status.h"

namespace distsage {

// The highest nice value Linux gives a thread (its lowest priority).
inline constexpr int kMaxNice = 19;

// Raises the calling thread's nice value by `levels` (0-19; capped at
// kMaxNice), so that the scheduler runs it after threads of the process
// left at the old value. Linux keeps a nice value per thread, and threads
// started later inherit it. A thread can always lower its own priority,
// but going back up needs CAP_SYS_NICE, so this is for threads that stay in
// the background for good. InvalidArgument for `levels` out of range;
// Internal with the system's reason if the kernel refuses.
absl::Status LowerCallingThreadPriority(int levels);

// Moves the calling thread to Linux's SCHED_IDLE policy, below every nice
// level: it runs only on a core no other runnable thread wants, and a
// thread of the normal policy that wakes up takes the core from it at once
// (a nice-19 thread keeps it until the scheduler's next check). Threads it
// starts later inherit the policy. Like a raised nice value there is no
// way back without CAP_SYS_NICE. Internal with the system's reason if the
// kernel refuses.
absl::Status MakeCallingThreadIdle();

// Whether the calling thread runs under SCHED_IDLE.
bool CallingThreadIsIdle();

// The calling thread's nice value (-20..19).
int CallingThreadNice();

// The calling thread's kernel ID (its /proc/self/task entry).
long CallingThreadId();

}  // namespace distsage

#endif  // DISTSAGE_COMMON_THREAD_PRIORITY_H_
