#include "common/thread_priority.h"

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
