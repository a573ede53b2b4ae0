// Helpers for tests that drive distsage the way a user does: CLIs as real
// child processes, files in a scratch folder, the bundled real datasets.
#ifndef DISTSAGE_TESTS_COMMON_TEST_UTIL_H_
#define DISTSAGE_TESTS_COMMON_TEST_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace distsage::testing {

// Folder of a bundled dataset, e.g. DatasetDir("cora") (env DISTSAGE_DATASETS overrides).
std::string DatasetDir(const std::string& name);
// Path of a built executable, e.g. BinPath("partition_graph") (env DISTSAGE_BIN overrides).
std::string BinPath(const std::string& name);

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Join(const std::string& relative) const { return path_ + "/" + relative; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal.
  std::string output;  // stdout and stderr, interleaved.
};

// Runs argv[0] with arguments and waits for it.
CommandResult RunCommand(const std::vector<std::string>& argv);

// A long-running child (e.g. a graph_server). Output goes to `log_path`.
// The destructor kills it (SIGKILL) if it is still running.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Polls the log until a line contains `needle`; returns that line, or ""
  // when the child exits or `timeout` passes first.
  std::string WaitForLogLine(const std::string& needle,
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::string ReadLog() const;
  void Signal(int signal_number);
  // Waits for exit; returns the exit code (128 + signal when killed).
  int Wait();
  bool running() const { return pid_ > 0 && !exited_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string log_path_;
};

// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);

// The nice value of each live thread of this process, by thread ID, as the
// kernel reports it (field 19 of /proc/self/task/TID/stat).
std::map<long, int> NiceOfEachThread();
// The same for the scheduling policy (field 41: SCHED_OTHER 0, SCHED_IDLE 5).
std::map<long, int> PolicyOfEachThread();

// A loopback TCP port that was free a moment ago (for a child's listening
// port that has to be known in advance, e.g. the trainers' --master_port).
int FreePort();

}  // namespace distsage::testing

#endif  // DISTSAGE_TESTS_COMMON_TEST_UTIL_H_
