#include "common/thread_priority.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace distsage {

long CallingThreadId() { return syscall(SYS_gettid); }

// With PRIO_PROCESS and a thread ID, getpriority and setpriority act on
// that one thread (Linux; POSIX would have the whole process).
int CallingThreadNice() {
  // Cannot fail: the calling thread exists (so -1 is a nice value here).
  return getpriority(PRIO_PROCESS, static_cast<id_t>(CallingThreadId()));
}

absl::Status MakeCallingThreadIdle() {
  sched_param param{};
  param.sched_priority = 0;
  // With a thread ID, sched_setscheduler acts on that one thread (Linux).
  if (sched_setscheduler(static_cast<pid_t>(CallingThreadId()), SCHED_IDLE, &param) != 0) {
    return absl::InternalError(
        absl::StrCat("sched_setscheduler(SCHED_IDLE) of this thread: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool CallingThreadIsIdle() {
  return sched_getscheduler(static_cast<pid_t>(CallingThreadId())) == SCHED_IDLE;
}

absl::Status LowerCallingThreadPriority(int levels) {
  if (levels < 0 || levels > kMaxNice) {
    return absl::InvalidArgumentError(absl::StrCat("a thread's priority can be lowered by 0 to ",
                                                   kMaxNice, " nice levels, not ", levels));
  }
  if (levels == 0) return absl::OkStatus();
  const int target = std::min(kMaxNice, CallingThreadNice() + levels);
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(CallingThreadId()), target) != 0) {
    return absl::InternalError(
        absl::StrCat("setpriority(nice ", target, ") of this thread: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace distsage
