// TLS, mutual TLS and bearer tokens on real graph_server processes, with
// certificates made by deploy/make_certs: the legitimate client is served,
// and a client without a certificate, with one from another CA, or without
// TLS at all is refused at the handshake; with --auth_token_file, reads are
// open while state changes (KV CreateTensor and Push, Shutdown) need the
// token: none is UNAUTHENTICATED, a wrong one PERMISSION_DENIED.
#include "proto/transport_security.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "client/graph_client.h"
#include "client/kv_client.h"
#include "tests/common/test_util.h"
#include "tests/server/server_cluster.h"

namespace distsage {
namespace {

using ::distsage::testing::BinPath;
using ::distsage::testing::PartitionDataset;
using ::distsage::testing::RunCommand;
using ::distsage::testing::ServerCluster;
using ::distsage::testing::TempDir;

std::string WriteToken(const std::string& path, const std::string& token) {
  std::ofstream(path) << token << "\n";
  chmod(path.c_str(), 0600);
  return path;
}

class TransportSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    testing::MakeLoopbackCertificates(dir_->Join("certs"));
    testing::MakeLoopbackCertificates(dir_->Join("other_ca"));
    config_path_ = new std::string(PartitionDataset("cora", 2, dir_->Join("data")));
  }
  static void TearDownTestSuite() {
    delete config_path_;
    delete dir_;
  }
  void SetUp() override {
    absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(*config_path_);
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
  }

  static std::string Cert(const std::string& name) { return dir_->Join("certs/" + name); }

  // Servers requiring mutual TLS with the "certs" CA, plus `extra` flags.
  std::unique_ptr<ServerCluster> StartServers(std::vector<std::string> extra) {
    const std::vector<std::string> tls = {"--tls_cert", Cert("server-127.0.0.1.pem"),
                                          "--tls_key",  Cert("server-127.0.0.1-key.pem"),
                                          "--tls_ca",   Cert("ca.pem")};
    extra.insert(extra.end(), tls.begin(), tls.end());
    return std::make_unique<ServerCluster>(*config_path_, 2, work_.path(), extra);
  }

  absl::StatusOr<std::unique_ptr<GraphClient>> Connect(const ServerCluster& cluster,
                                                       const TlsFiles& files,
                                                       const std::string& token = "") {
    GraphClientOptions options;
    options.channels.connect_timeout = absl::Seconds(2);
    options.channels.auth_token = token;
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        ChannelCredentialsFrom(files);
    if (!credentials.ok()) return credentials.status();
    options.channels.credentials = *credentials;
    return GraphClient::Connect(config_, cluster.addresses(), options);
  }

  static TempDir* dir_;
  static std::string* config_path_;
  PartitionConfig config_;
  TempDir work_;
};

TempDir* TransportSecurityTest::dir_ = nullptr;
std::string* TransportSecurityTest::config_path_ = nullptr;

TEST_F(TransportSecurityTest, MutualTlsServesTheRightClientAndRefusesTheOthers) {
  std::unique_ptr<ServerCluster> cluster = StartServers({});
  const TlsFiles good = {Cert("client.pem"), Cert("client-key.pem"), Cert("ca.pem")};
  absl::StatusOr<std::unique_ptr<GraphClient>> client = Connect(*cluster, good);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<int64_t> ids(config_.num_nodes);
  for (int64_t v = 0; v < config_.num_nodes; ++v) ids[v] = v;
  std::vector<int64_t> degrees(ids.size());
  ASSERT_TRUE((*client)->InDegrees(ids, degrees.data()).ok());
  int64_t edges = 0;
  for (const int64_t degree : degrees) edges += degree;
  EXPECT_EQ(edges, config_.num_edges);

  const std::string other = dir_->Join("other_ca/");
  const std::vector<std::pair<std::string, TlsFiles>> refused = {
      {"plaintext", {}},
      {"TLS without a client certificate", {"", "", Cert("ca.pem")}},
      {"a client certificate from another CA",
       {other + "client.pem", other + "client-key.pem", Cert("ca.pem")}},
  };
  for (const auto& [what, files] : refused) {
    absl::StatusOr<std::unique_ptr<GraphClient>> bad = Connect(*cluster, files);
    EXPECT_FALSE(bad.ok()) << what;
  }
  // A client that does not trust the servers' CA refuses them too.
  absl::StatusOr<std::unique_ptr<GraphClient>> distrusting =
      Connect(*cluster, {Cert("client.pem"), Cert("client-key.pem"), other + "ca.pem"});
  EXPECT_FALSE(distrusting.ok());
  // The legitimate client is still served.
  EXPECT_TRUE((*client)->InDegrees(ids, degrees.data()).ok());
}

TEST_F(TransportSecurityTest, StateChangesNeedTheTokenReadsDoNot) {
  const std::string token_file = WriteToken(work_.Join("token"), "s3cret-token-0123456789");
  std::unique_ptr<ServerCluster> cluster = std::make_unique<ServerCluster>(
      *config_path_, 2, work_.path(), std::vector<std::string>{"--auth_token_file", token_file});
  KVTensorSpec spec;
  spec.name = "emb";
  spec.dim = 4;
  spec.optimizer = *ParseOptimizer("sgd", 0.1f, 0, 0, 0);
  {
    // The tensor, made by a client holding the token.
    absl::StatusOr<std::unique_ptr<GraphClient>> owner =
        Connect(*cluster, {}, "s3cret-token-0123456789");
    ASSERT_TRUE(owner.ok()) << owner.status();
    absl::StatusOr<std::unique_ptr<KVClient>> kv = KVClient::Connect(config_, (*owner)->channels());
    ASSERT_TRUE(kv.ok()) << kv.status();
    ASSERT_TRUE((*kv)->CreateTensor(spec).ok());
  }
  struct Case {
    std::string token;
    absl::StatusCode expected;
  };
  for (const Case& c : {Case{"", absl::StatusCode::kUnauthenticated},
                        Case{"guessed-token", absl::StatusCode::kPermissionDenied},
                        Case{"s3cret-token-0123456789", absl::StatusCode::kOk}}) {
    absl::StatusOr<std::unique_ptr<GraphClient>> client = Connect(*cluster, {}, c.token);
    ASSERT_TRUE(client.ok()) << client.status();
    std::vector<int64_t> labels(4);
    EXPECT_TRUE((*client)->PullLabels({0, 1, 2, 3}, labels.data()).ok()) << "reads are open";
    absl::StatusOr<std::unique_ptr<KVClient>> kv =
        KVClient::Connect(config_, (*client)->channels());
    ASSERT_TRUE(kv.ok()) << kv.status();
    const absl::Status created = (*kv)->CreateTensor(spec);
    EXPECT_EQ(created.code(), c.expected) << "token '" << c.token << "': " << created;
    if (c.expected == absl::StatusCode::kUnauthenticated) {
      EXPECT_NE(created.message().find("--auth_token_file"), std::string::npos) << created;
    }
    const std::vector<float> grads(4 * 2, 1.0f);
    const absl::Status pushed = (*kv)->Push("emb", {0, 1}, grads);
    if (c.expected != absl::StatusCode::kOk) {
      EXPECT_EQ(pushed.code(), c.expected) << pushed;
      const absl::Status stopped = (*client)->ShutdownServers("test without the token");
      EXPECT_EQ(stopped.code(), c.expected) << stopped;
    } else {
      EXPECT_TRUE(pushed.ok()) << pushed;
      EXPECT_TRUE((*client)->ShutdownServers("test with the token").ok());
    }
  }
  for (int part = 0; part < 2; ++part) {
    EXPECT_EQ(cluster->server(part).process().Wait(), 0);
  }
}

TEST_F(TransportSecurityTest, MutualTlsClientsMayChangeStateWithoutAToken) {
  const std::string token_file = WriteToken(work_.Join("token"), "another-token-9876543210");
  std::unique_ptr<ServerCluster> cluster = StartServers({"--auth_token_file", token_file});
  absl::StatusOr<std::unique_ptr<GraphClient>> client =
      Connect(*cluster, {Cert("client.pem"), Cert("client-key.pem"), Cert("ca.pem")});
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->ShutdownServers("mTLS client").ok());
  for (int part = 0; part < 2; ++part) {
    EXPECT_EQ(cluster->server(part).process().Wait(), 0);
  }
}

TEST_F(TransportSecurityTest, BadSecurityFlagsStopTheServer) {
  WriteToken(work_.Join("open_token"), "token");
  chmod(work_.Join("open_token").c_str(), 0644);
  std::ofstream(work_.Join("empty_token")).close();
  chmod(work_.Join("empty_token").c_str(), 0600);
  const std::string ip_config = work_.Join("ip.txt");
  std::ofstream(ip_config) << "127.0.0.1 30050\n127.0.0.1 30051\n";
  struct Case {
    std::vector<std::string> flags;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"--tls_cert", Cert("server-127.0.0.1.pem")}, "--tls_cert and --tls_key go together"},
      {{"--tls_ca", Cert("ca.pem")}, "needs its own --tls_cert"},
      {{"--tls_cert", work_.Join("nope.pem"), "--tls_key", Cert("server-127.0.0.1-key.pem")},
       "nope.pem"},
      {{"--auth_token_file", work_.Join("open_token")}, "chmod 600"},
      {{"--auth_token_file", work_.Join("empty_token")}, "empty"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {
        BinPath("graph_server"), "--ip_config", ip_config,    "--part_config",
        *config_path_,           "--listen",    "127.0.0.1:0"};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    const testing::CommandResult result = RunCommand(argv);
    EXPECT_NE(result.exit_code, 0) << c.expected;
    EXPECT_NE(result.output.find(c.expected), std::string::npos) << result.output;
  }
}

}  // namespace
}  // namespace distsage
