#include "tests/common/test_util.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace distsage::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Starts argv with stdout+stderr redirected to `output_path`.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& output_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

}  // namespace

std::string DatasetDir(const std::string& name) {
  return EnvOr("DISTSAGE_DATASETS", DISTSAGE_DEFAULT_DATASETS_DIR) + "/" + name;
}

std::string BinPath(const std::string& name) {
  return EnvOr("DISTSAGE_BIN", DISTSAGE_DEFAULT_BIN_DIR) + "/" + name;
}

TempDir::TempDir() {
  std::string pattern = EnvOr("TMPDIR", "/tmp") + "/distsage_test_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

// Field `number` (>= 3) of /proc/self/task/TID/stat of each live thread.
std::map<long, int> StatFieldOfEachThread(int number) {
  std::map<long, int> values;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", error)) {
    const std::string stat = ReadFile(entry.path() / "stat");
    const size_t name_end = stat.rfind(')');
    if (name_end == std::string::npos) continue;  // Gone since the listing.
    // Fields 3.. follow the parenthesised name.
    std::istringstream fields(stat.substr(name_end + 2));
    std::string field;
    for (int i = 3; i <= number && fields >> field; ++i) {
    }
    values[std::stol(entry.path().filename().string())] = std::stoi(field);
  }
  return values;
}

}  // namespace

std::map<long, int> NiceOfEachThread() { return StatFieldOfEachThread(19); }
std::map<long, int> PolicyOfEachThread() { return StatFieldOfEachThread(41); }

CommandResult RunCommand(const std::vector<std::string>& argv) {
  TempDir scratch;
  const std::string output_path = scratch.Join("output.txt");
  const pid_t pid = Spawn(argv, output_path);
  int status = 0;
  waitpid(pid, &status, 0);
  return CommandResult{DecodeWaitStatus(status), ReadFile(output_path)};
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path)
    : log_path_(log_path) {
  pid_ = Spawn(argv, log_path);
}

ChildProcess::~ChildProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    Wait();
  }
}

std::string ChildProcess::ReadLog() const { return ReadFile(log_path_); }

std::string ChildProcess::WaitForLogLine(const std::string& needle,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::istringstream log(ReadLog());
    for (std::string line; std::getline(log, line);) {
      if (line.find(needle) != std::string::npos) return line;
    }
    if (!exited_) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        exit_code_ = DecodeWaitStatus(status);
        continue;  // One last read of the complete log.
      }
    } else {
      return "";
    }
    if (std::chrono::steady_clock::now() > deadline) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void ChildProcess::Signal(int signal_number) {
  if (running()) kill(pid_, signal_number);
}

int ChildProcess::Wait() {
  if (!exited_) {
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    exit_code_ = DecodeWaitStatus(status);
  }
  return exit_code_;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    throw std::runtime_error("FreePort: cannot bind a loopback socket");
  }
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace distsage::testing
