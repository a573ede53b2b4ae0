// Plays systemd's part for a Type=notify unit (deploy/systemd/): binds the
// NOTIFY_SOCKET datagram socket, starts a real graph_server with it, and
// checks what the server tells the service manager and when: READY=1 only
// once the partition is loaded and health answers SERVING, from the main
// process (NotifyAccess=main), and STOPPING=1 when SIGTERM starts the drain.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/distsage/graph.grpc.pb.h"
#include "proto/grpc_health_v1.grpc.pb.h"
#include "tests/common/test_util.h"
#include "tests/server/server_cluster.h"

namespace distsage {
namespace {

using testing::BinPath;
using testing::GraphServerProcess;
using testing::TempDir;

// One datagram as systemd receives it: the text and the sender's PID from
// the kernel's SCM_CREDENTIALS (how systemd enforces NotifyAccess=main).
struct Notification {
  std::string text;
  pid_t sender = -1;
};

// The service manager's end: an AF_UNIX datagram socket at `path`.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    bound_ =
        fd_ >= 0 && bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    const int on = 1;
    bound_ = bound_ && setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
  }
  bool ok() const { return bound_; }

  // The next datagram, or nothing when `timeout` passes first.
  std::optional<Notification> Receive(std::chrono::milliseconds timeout) {
    pollfd ready{fd_, POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char text[4096];
    iovec data{text, sizeof(text)};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    const ssize_t size = recvmsg(fd_, &message, 0);
    if (size < 0) return std::nullopt;
    Notification notification;
    notification.text.assign(text, size);
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
         header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_CREDENTIALS) {
        ucred credentials;
        std::memcpy(&credentials, CMSG_DATA(header), sizeof(credentials));
        notification.sender = credentials.pid;
      }
    }
    return notification;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

bool HasLine(const std::string& text, const std::string& line) {
  return ("\n" + text + "\n").find("\n" + line + "\n") != std::string::npos;
}

// "127.0.0.1:PORT" from the READY message's "STATUS=serving on 127.0.0.1:PORT".
std::string ServingAddress(const std::string& text) {
  const std::string key = "STATUS=serving on ";
  const size_t at = text.find(key);
  if (at == std::string::npos) return "";
  const size_t end = text.find('\n', at);
  return text.substr(at + key.size(), end == std::string::npos ? end : end - at - key.size());
}

grpc::health::v1::HealthCheckResponse::ServingStatus HealthOf(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!health->Check(&context, request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

class GraphServerNotifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    config_ = testing::PartitionDataset("cora", 1, dir_->Join("cora1"));
    ip_config_ = testing::WriteLoopbackIpConfig(dir_->Join("ip_config.txt"), 1);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // Starts graph_server with NOTIFY_SOCKET=`notify_socket` in its
  // environment (the test process's own is left without it).
  static std::unique_ptr<GraphServerProcess> StartServer(const std::string& notify_socket,
                                                         const std::string& config,
                                                         const std::string& log_name) {
    setenv("NOTIFY_SOCKET", notify_socket.c_str(), 1);
    auto server = std::make_unique<GraphServerProcess>(
        std::vector<std::string>{BinPath("graph_server"), "--ip_config=" + ip_config_,
                                 "--part_config=" + config, "--server_id=0",
                                 "--listen=127.0.0.1:0"},
        dir_->Join(log_name));
    unsetenv("NOTIFY_SOCKET");
    return server;
  }

  static TempDir* dir_;
  static std::string config_;
  static std::string ip_config_;
};

TempDir* GraphServerNotifyTest::dir_ = nullptr;
std::string GraphServerNotifyTest::config_;
std::string GraphServerNotifyTest::ip_config_;

TEST_F(GraphServerNotifyTest, ReadyOnlyOnceServingAndStoppingOnSigterm) {
  NotifySocket systemd(dir_->Join("notify.sock"));
  ASSERT_TRUE(systemd.ok()) << std::strerror(errno);
  std::unique_ptr<GraphServerProcess> server =
      StartServer(dir_->Join("notify.sock"), config_, "ready.log");

  const std::optional<Notification> ready = systemd.Receive(std::chrono::seconds(60));
  ASSERT_TRUE(ready.has_value()) << "no notification; log:\n" << server->process().ReadLog();
  // The first thing the server says is READY=1, from its main process.
  EXPECT_TRUE(HasLine(ready->text, "READY=1")) << ready->text;
  EXPECT_EQ(ready->sender, server->process().pid());
  // At this very moment the partition is loaded and every service answers.
  EXPECT_NE(server->process().ReadLog().find("opened partition 0"), std::string::npos)
      << server->process().ReadLog();
  const std::string address = ServingAddress(ready->text);
  ASSERT_FALSE(address.empty()) << ready->text;
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  for (const std::string service : {"", "distsage.GraphService", "distsage.AdminService"}) {
    EXPECT_EQ(HealthOf(channel, service), grpc::health::v1::HealthCheckResponse::SERVING)
        << service;
  }
  auto graph = GraphService::NewStub(channel);
  grpc::ClientContext context;
  GraphInfo info;
  ASSERT_TRUE(graph->GetGraphInfo(&context, GetGraphInfoRequest(), &info).ok());
  EXPECT_EQ(info.graph_name(), "cora");
  // Nothing more while it serves.
  EXPECT_FALSE(systemd.Receive(std::chrono::milliseconds(300)).has_value());

  server->process().Signal(SIGTERM);
  const std::optional<Notification> stopping = systemd.Receive(std::chrono::seconds(30));
  ASSERT_TRUE(stopping.has_value()) << server->process().ReadLog();
  EXPECT_TRUE(HasLine(stopping->text, "STOPPING=1")) << stopping->text;
  EXPECT_FALSE(HasLine(stopping->text, "READY=1")) << stopping->text;
  EXPECT_NE(stopping->text.find("STATUS=stopping (signal 15)"), std::string::npos)
      << stopping->text;
  EXPECT_EQ(stopping->sender, server->process().pid());
  EXPECT_EQ(server->process().Wait(), 0);
}

// A partition that cannot be loaded: the server exits with an error and
// never claims to be ready (systemd marks the start failed).
TEST_F(GraphServerNotifyTest, NoReadyWhenThePartitionDoesNotLoad) {
  const std::string broken = dir_->Join("broken");
  ASSERT_EQ(testing::RunCommand({"/bin/cp", "-r", dir_->Join("cora1"), broken}).exit_code, 0);
  ASSERT_EQ(testing::RunCommand({"/bin/rm", "-r", broken + "/part0"}).exit_code, 0);
  NotifySocket systemd(dir_->Join("notify-broken.sock"));
  ASSERT_TRUE(systemd.ok());
  std::unique_ptr<GraphServerProcess> server =
      StartServer(dir_->Join("notify-broken.sock"), broken + "/cora.json", "broken.log");
  EXPECT_EQ(server->process().Wait(), 1) << server->process().ReadLog();
  EXPECT_NE(server->process().ReadLog().find("cannot serve partition 0"), std::string::npos)
      << server->process().ReadLog();
  EXPECT_FALSE(systemd.Receive(std::chrono::milliseconds(200)).has_value());
}

// Without a listener on NOTIFY_SOCKET (systemd gone, a stale variable) the
// server still serves, and says why it could not notify.
TEST_F(GraphServerNotifyTest, ServesWhenNobodyListensOnNotifySocket) {
  std::unique_ptr<GraphServerProcess> server =
      StartServer(dir_->Join("nobody.sock"), config_, "nobody.log");
  const std::string address = server->WaitUntilReady();
  ASSERT_FALSE(address.empty()) << server->process().ReadLog();
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(HealthOf(channel, ""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_NE(server->process().ReadLog().find("cannot notify systemd"), std::string::npos)
      << server->process().ReadLog();
  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(), 0);
}

}  // namespace
}  // namespace distsage
