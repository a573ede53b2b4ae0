#include "common/thread_priority.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <string>
#include <thread>

#include "tests/common/test_util.h"

namespace distsage {
namespace {

TEST(ThreadPriorityTest, LowersOnlyTheCallingThreadAndItsLaterChildren) {
  const int base = CallingThreadNice();
  ASSERT_LE(base, kMaxNice - 5) << "the test process already runs at nice " << base;
  long worker_tid = 0;
  int worker_nice = 0, child_nice = 0;
  std::thread worker([&] {
    worker_tid = CallingThreadId();
    ASSERT_TRUE(LowerCallingThreadPriority(5).ok());
    worker_nice = CallingThreadNice();
    // The kernel's own record, read while the thread is alive.
    EXPECT_EQ(testing::NiceOfEachThread().at(worker_tid), base + 5);
    std::thread child([&] { child_nice = CallingThreadNice(); });
    child.join();
  });
  worker.join();
  EXPECT_EQ(worker_nice, base + 5);
  EXPECT_EQ(child_nice, base + 5) << "a thread started later inherits the lowered priority";
  EXPECT_EQ(CallingThreadNice(), base) << "the other threads keep theirs";
  EXPECT_EQ(testing::NiceOfEachThread().at(CallingThreadId()), base);
}

TEST(ThreadPriorityTest, CapsAtTheLowestPriorityAndZeroLevelsChangesNothing) {
  std::thread([] {
    const int base = CallingThreadNice();
    ASSERT_TRUE(LowerCallingThreadPriority(0).ok());
    EXPECT_EQ(CallingThreadNice(), base);
    ASSERT_TRUE(LowerCallingThreadPriority(kMaxNice).ok());
    ASSERT_TRUE(LowerCallingThreadPriority(kMaxNice).ok()) << "already at the cap: not an error";
    EXPECT_EQ(CallingThreadNice(), kMaxNice);
  }).join();
}

TEST(ThreadPriorityTest, IdlesOnlyTheCallingThreadAndItsLaterChildren) {
  ASSERT_FALSE(CallingThreadIsIdle());
  long worker_tid = 0;
  bool worker_idle = false, child_idle = false;
  std::thread worker([&] {
    worker_tid = CallingThreadId();
    const absl::Status idle = MakeCallingThreadIdle();
    ASSERT_TRUE(idle.ok()) << idle;
    worker_idle = CallingThreadIsIdle();
    // The kernel's own record, read while the thread is alive.
    EXPECT_EQ(testing::PolicyOfEachThread().at(worker_tid), SCHED_IDLE);
    std::thread child([&] { child_idle = CallingThreadIsIdle(); });
    child.join();
  });
  worker.join();
  EXPECT_TRUE(worker_idle);
  EXPECT_TRUE(child_idle) << "a thread started later inherits the policy";
  EXPECT_FALSE(CallingThreadIsIdle()) << "the other threads keep theirs";
  EXPECT_EQ(testing::PolicyOfEachThread().at(CallingThreadId()), SCHED_OTHER);
}

TEST(ThreadPriorityTest, RefusesLevelsOutOfRange) {
  const int before = CallingThreadNice();
  for (const int levels : {-1, kMaxNice + 1}) {
    const absl::Status status = LowerCallingThreadPriority(levels);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << levels << ": " << status;
    EXPECT_NE(status.message().find("0 to 19"), std::string::npos) << status;
  }
  EXPECT_EQ(CallingThreadNice(), before);
}

}  // namespace
}  // namespace distsage
