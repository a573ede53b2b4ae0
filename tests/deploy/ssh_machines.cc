#include "tests/deploy/ssh_machines.h"

#include <dirent.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace distsage::testing {
namespace {

// What each ssh session's shell prints on stderr before the command runs.
constexpr char kLoginShellNoise[] = "pyenv: cannot rehash: (a login rc file printing)";
constexpr char kLoginShellStdout[] = "Welcome! (a login rc file printing on stdout)";

}  // namespace

SshMachines::SshMachines(const std::string& dir)
    : dir_(dir), workspace_root_(dir + "/ws"), machine1_root_(dir + "/machine1_ws") {
  if (geteuid() != 0) {
    skip_reason_ = "needs root: the test starts sshd and a mount namespace";
    return;
  }
  for (const char* tool : {"/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/bin/rsync"}) {
    if (access(tool, X_OK) != 0) {
      skip_reason_ = absl::StrCat(tool, " is missing (deploy/install_deps.sh installs it)");
      return;
    }
  }
  std::filesystem::create_directories(workspace_root_);
  std::filesystem::create_directories(machine1_root_);
  std::filesystem::create_directories("/run/sshd");  // sshd's privilege separation folder.
  for (const char* key : {"host_key", "user_key"}) {
    const CommandResult keygen = RunCommand({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                                             "-f", absl::StrCat(dir_, "/", key)});
    if (keygen.exit_code != 0) {
      skip_reason_ = "ssh-keygen failed: " + keygen.output;
      return;
    }
  }
  std::filesystem::copy_file(dir_ + "/user_key.pub", dir_ + "/authorized_keys");
  // A free port may be taken before sshd binds it: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    sshds_.clear();
    if (StartSshd("machine0", "127.0.0.1", false) && StartSshd("machine1", "127.0.0.2", true)) {
      return;
    }
  }
  if (skip_reason_.empty()) skip_reason_ = "sshd did not start (see the logs in " + dir_ + ")";
  sshds_.clear();
}

bool SshMachines::StartSshd(const std::string& name, const std::string& listen, bool own_mounts) {
  const std::string config = absl::StrCat(dir_, "/", name, ".sshd_config");
  {
    std::ofstream out(config);
    out << "Port " << port_ << "\nListenAddress " << listen << "\nHostKey " << dir_
        << "/host_key\nAuthorizedKeysFile " << dir_ << "/authorized_keys\nPidFile " << dir_ << "/"
        << name
        << ".pid\nStrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
        // Every session's shell prints on stderr before it runs the command,
        // as a login whose rc files run conda's or pyenv's init does: the
        // tools must read the command's output, not the shell's. With
        // SetLoginPrintsOnStdout, on stdout too.
        << "ForceCommand echo '" << kLoginShellNoise << "' >&2; [ ! -e " << StdoutSwitch()
        << " ] || echo '" << kLoginShellStdout << "'; eval \"$SSH_ORIGINAL_COMMAND\"\n";
  }
  std::vector<std::string> argv = {"/usr/sbin/sshd", "-f", config, "-D", "-e"};
  if (own_mounts) {
    argv = {"/usr/bin/unshare",
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            absl::StrCat("mount --bind ", machine1_root_, " ", workspace_root_,
                         " && exec /usr/sbin/sshd -f ", config, " -D -e")};
  }
  const std::string log = absl::StrCat(dir_, "/", name, ".sshd.log");
  sshds_.push_back(std::make_unique<ChildProcess>(argv, log));
  if (!sshds_.back()->WaitForLogLine("Server listening on", std::chrono::seconds(20)).empty()) {
    return true;
  }
  const std::string output = sshds_.back()->ReadLog();
  if (own_mounts && output.find("mount") != std::string::npos) {
    skip_reason_ = "no mount namespace for the second machine: " + output;
  }
  return false;
}

std::string SshMachines::StdoutSwitch() const { return dir_ + "/login_prints_on_stdout"; }

void SshMachines::SetLoginPrintsOnStdout(bool prints) const {
  if (prints) {
    std::ofstream(StdoutSwitch()).flush();
  } else {
    std::filesystem::remove(StdoutSwitch());
  }
}

std::string SshMachines::LocalPathOf(int machine, const std::string& path) const {
  const std::string relative = path.substr(workspace_root_.size());
  return (machine == 0 ? workspace_root_ : machine1_root_) + relative;
}

std::vector<std::string> SshMachines::SshFlags() const {
  return {"--ssh_port",
          std::to_string(port_),
          "--ssh_key",
          dir_ + "/user_key",
          "--ssh_opts",
          "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"};
}

std::vector<std::string> ProcessesOfJob(const std::string& job) {
  std::vector<std::string> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  const std::string marker = "DISTSAGE_JOB=" + job;
  while (const dirent* entry = readdir(proc)) {
    const std::string pid = entry->d_name;
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string environ = ReadFile("/proc/" + pid + "/environ");
    bool member = false;
    for (absl::string_view variable : absl::StrSplit(environ, '\0')) {
      member = member || variable == marker;
    }
    if (!member) continue;
    std::vector<std::string> argv =
        absl::StrSplit(ReadFile("/proc/" + pid + "/cmdline"), '\0', absl::SkipEmpty());
    found.push_back(pid + " " + absl::StrJoin(argv, " "));
  }
  closedir(proc);
  return found;
}

}  // namespace distsage::testing
