// Two "machines" reachable over real ssh, for tests of the cluster tools:
// Debian's sshd, started by the test as root with generated host and user
// keys, on a free port of 127.0.0.1 (machine 0) and 127.0.0.2 (machine 1).
// Machine 1's sshd runs in its own mount namespace where the workspace root
// is another folder (bind mount), so the two machines have separate disks
// there, as real machines do.
#ifndef DISTSAGE_TESTS_DEPLOY_SSH_MACHINES_H_
#define DISTSAGE_TESTS_DEPLOY_SSH_MACHINES_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/common/test_util.h"

namespace distsage::testing {

class SshMachines {
 public:
  // Starts both sshds under `dir`. On failure, `skip_reason()` says why
  // (not root, no sshd, no mount namespaces) and nothing runs.
  explicit SshMachines(const std::string& dir);

  const std::string& skip_reason() const { return skip_reason_; }
  // Hosts of machine 0 and 1.
  static std::vector<std::string> hosts() { return {"127.0.0.1", "127.0.0.2"}; }
  // The workspace root path (the same path on both machines).
  const std::string& workspace_root() const { return workspace_root_; }
  // Where machine `m`'s files under workspace_root() really are, seen from
  // the test.
  std::string LocalPathOf(int machine, const std::string& path_in_workspace_root) const;
  // The ssh flags copy_partitions and launch take to reach the machines.
  std::vector<std::string> SshFlags() const;
  // Every session's shell prints on stderr before it runs the command (as
  // a login running conda's or pyenv's init does); with `prints`, also a
  // line on stdout (as a greeting in ~/.bashrc does), until called again.
  void SetLoginPrintsOnStdout(bool prints) const;

 private:
  bool StartSshd(const std::string& name, const std::string& listen, bool own_mounts);
  // The file whose presence makes the sessions print on stdout.
  std::string StdoutSwitch() const;

  std::string dir_;
  std::string workspace_root_;
  std::string machine1_root_;
  int port_ = 0;
  std::string skip_reason_;
  std::vector<std::unique_ptr<ChildProcess>> sshds_;
};

// Processes whose environment has DISTSAGE_JOB=`job` (launch sets it on
// every remote process): their pids and command lines.
std::vector<std::string> ProcessesOfJob(const std::string& job);

}  // namespace distsage::testing

#endif  // DISTSAGE_TESTS_DEPLOY_SSH_MACHINES_H_
