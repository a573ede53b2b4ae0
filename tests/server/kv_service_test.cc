// KVStoreService in real graph_server processes on loopback, through the KV
// client and raw stubs: bad input refused while the server keeps serving,
// concurrent pushes from 4 processes applied exactly, and durability: a save
// survives kill -9 byte for byte, and a crash in the middle of a save leaves
// the previous save.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/graph_client.h"
#include "client/kv_client.h"
#include "common/partition_format.h"
#include "grpcpp/grpcpp.h"
#include "proto/distsage/kvstore.grpc.pb.h"
#include "rocksdb/db.h"
#include "tests/common/test_util.h"
#include "tests/server/server_cluster.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;
using ::distsage::testing::ChildProcess;
using ::distsage::testing::PartitionDataset;
using ::distsage::testing::ServerCluster;
using ::distsage::testing::TempDir;

KVTensorSpec Spec(const char* optimizer, float lr, const char* init = "uniform") {
  KVTensorSpec spec;
  spec.name = "emb";
  spec.dim = 4;
  spec.init = init;
  spec.init_scale = 0.05f;
  spec.seed = 11;
  spec.optimizer = *ParseOptimizer(optimizer, lr, 0, 0, 0);
  return spec;
}

// Every key and value of a save folder (a RocksDB database).
std::map<std::string, std::string> ReadSave(const std::string& path) {
  std::map<std::string, std::string> contents;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status opened = rocksdb::DB::OpenForReadOnly(rocksdb::Options(), path, &raw);
  EXPECT_TRUE(opened.ok()) << path << ": " << opened.ToString();
  if (!opened.ok()) return contents;
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    contents[it->key().ToString()] = it->value().ToString();
  }
  return contents;
}

std::string CurrentSave(const std::string& kv_dir) {
  std::ifstream in(kv_dir + "/CURRENT");
  std::string name;
  std::getline(in, name);
  return kv_dir + "/" + name;
}

class KVServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = PartitionDataset("cora", 2, dir_.Join("data"));
    absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(config_path_);
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    cluster_ = std::make_unique<ServerCluster>(config_path_, 2, dir_.path());
    Reconnect();
  }

  void Reconnect() {
    kv_.reset();
    absl::StatusOr<std::unique_ptr<GraphClient>> graph =
        GraphClient::Connect(config_, cluster_->addresses());
    ASSERT_TRUE(graph.ok()) << graph.status();
    graph_ = *std::move(graph);
    absl::StatusOr<std::unique_ptr<KVClient>> kv = KVClient::Connect(config_, graph_->channels());
    ASSERT_TRUE(kv.ok()) << kv.status();
    kv_ = *std::move(kv);
  }

  std::vector<int64_t> AllIds() const {
    std::vector<int64_t> ids(config_.num_nodes);
    for (int64_t v = 0; v < config_.num_nodes; ++v) ids[v] = v;
    return ids;
  }

  std::vector<float> PullAll() {
    std::vector<float> rows(config_.num_nodes * 4);
    const absl::Status status = kv_->Pull("emb", AllIds(), rows.data());
    EXPECT_TRUE(status.ok()) << status;
    return rows;
  }

  void KillAndRestart(int part) {
    cluster_->server(part).process().Signal(SIGKILL);
    cluster_->server(part).process().Wait();
    cluster_->Restart(part);
  }

  std::string KvDir(int part) const { return config_.PartPath(part) + ".kv"; }

  TempDir dir_;
  std::string config_path_;
  PartitionConfig config_;
  std::unique_ptr<ServerCluster> cluster_;
  std::unique_ptr<GraphClient> graph_;
  std::unique_ptr<KVClient> kv_;
};

TEST_F(KVServiceTest, RefusesBadInputAndKeepsServing) {
  ASSERT_TRUE(kv_->CreateTensor(Spec("sgd", 0.1f)).ok());
  // Another trainer creating it again with the same spec: fine; another shape: refused.
  ASSERT_TRUE(kv_->CreateTensor(Spec("sgd", 0.1f)).ok());
  KVTensorSpec wider = Spec("sgd", 0.1f);
  wider.dim = 8;
  absl::Status status = kv_->CreateTensor(wider);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("partition 0"), std::string::npos) << status;

  auto stub = KVStoreService::NewStub(
      grpc::CreateChannel(cluster_->server(1).address(), grpc::InsecureChannelCredentials()));
  const int64_t owned = config_.Book().RangeBegin(1);
  const int64_t foreign = config_.Book().RangeBegin(0);
  auto push = [&](const std::string& name, const std::vector<int64_t>& ids,
                  const std::vector<float>& grads) {
    grpc::ClientContext context;
    KVPushRequest request;
    request.set_name(name);
    request.set_ids(partition_format::PackArray(ids.data(), ids.size()));
    request.set_grads(partition_format::PackArray(grads.data(), grads.size()));
    KVPushResponse response;
    return stub->Push(&context, request, &response);
  };
  auto still_serving = [&] {
    grpc::ClientContext context;
    KVPullRequest request;
    request.set_name("emb");
    const std::vector<int64_t> ids = {owned};
    request.set_ids(partition_format::PackArray(ids.data(), ids.size()));
    KVPullResponse response;
    const grpc::Status pulled = stub->Pull(&context, request, &response);
    EXPECT_TRUE(pulled.ok()) << pulled.error_message();
    EXPECT_EQ(response.rows().size(), 16u);
  };

  grpc::Status answer = push("nope", {owned}, std::vector<float>(4, 1.0f));
  EXPECT_EQ(answer.error_code(), grpc::StatusCode::NOT_FOUND) << answer.error_message();
  still_serving();
  answer = push("emb", {owned}, std::vector<float>(3, 1.0f));
  EXPECT_EQ(answer.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(answer.error_message().find("row length 4"), std::string::npos);
  still_serving();
  answer = push("emb", {owned, foreign}, std::vector<float>(8, 1.0f));
  EXPECT_EQ(answer.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(answer.error_message().find("node " + std::to_string(foreign)), std::string::npos);
  still_serving();
  std::vector<float> inf(8, 1.0f);
  inf[6] = std::numeric_limits<float>::infinity();
  answer = push("emb", {owned, owned + 1}, inf);
  EXPECT_EQ(answer.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(answer.error_message().find("node " + std::to_string(owned + 1)), std::string::npos)
      << answer.error_message();
  still_serving();

  // Through the client: errors name partition and server.
  const std::vector<int64_t> ids = {owned};
  std::vector<float> row(4);
  status = kv_->Pull("nope", ids, row.data());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
}

// A numbered push sent twice (a retry whose first try did arrive) is applied
// once; the next number is applied again; an unnumbered push always is.
TEST_F(KVServiceTest, ARetriedPushIsAppliedExactlyOnce) {
  ASSERT_TRUE(kv_->CreateTensor(Spec("sgd", 1.0f, "zeros")).ok());
  auto stub = KVStoreService::NewStub(
      grpc::CreateChannel(cluster_->addresses()[0][0], grpc::InsecureChannelCredentials()));
  const int64_t id = 3;  // Partition 0's.
  const std::vector<float> grad = {1.0f, 2.0f, 3.0f, 4.0f};
  auto push = [&](uint64_t client, uint64_t sequence, KVPushResponse* response) {
    grpc::ClientContext context;
    KVPushRequest request;
    request.set_graph_name(config_.graph_name);
    request.set_name("emb");
    request.set_ids(std::string(reinterpret_cast<const char*>(&id), sizeof(id)));
    request.set_grads(std::string(reinterpret_cast<const char*>(grad.data()), 16));
    request.set_client_id(client);
    request.set_sequence(sequence);
    return stub->Push(&context, request, response);
  };
  auto row = [&] {
    std::vector<float> values(4);
    EXPECT_TRUE(kv_->Pull("emb", {id}, values.data()).ok());
    return values;
  };
  KVPushResponse first, again, next, unnumbered;
  ASSERT_TRUE(push(77, 1, &first).ok());
  EXPECT_FALSE(first.duplicate());
  EXPECT_EQ(first.rows_updated(), 1);
  EXPECT_EQ(row(), (std::vector<float>{-1, -2, -3, -4}));
  ASSERT_TRUE(push(77, 1, &again).ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.rows_updated(), 0);
  EXPECT_EQ(row(), (std::vector<float>{-1, -2, -3, -4}));
  ASSERT_TRUE(push(77, 2, &next).ok());
  EXPECT_FALSE(next.duplicate());
  EXPECT_EQ(row(), (std::vector<float>{-2, -4, -6, -8}));
  // Another client's numbering is its own; client 0 is never deduplicated.
  ASSERT_TRUE(push(78, 1, &next).ok());
  EXPECT_FALSE(next.duplicate());
  ASSERT_TRUE(push(0, 0, &unnumbered).ok());
  ASSERT_TRUE(push(0, 0, &unnumbered).ok());
  EXPECT_FALSE(unnumbered.duplicate());
  EXPECT_EQ(row(), (std::vector<float>{-5, -10, -15, -20}));
  // The KV client numbers its own pushes: two of them are both applied.
  ASSERT_TRUE(kv_->Push("emb", {id}, grad).ok());
  ASSERT_TRUE(kv_->Push("emb", {id}, grad).ok());
  EXPECT_EQ(row(), (std::vector<float>{-7, -14, -21, -28}));
}

TEST_F(KVServiceTest, ConcurrentPushesFromFourProcessesAreAllApplied) {
  ASSERT_TRUE(kv_->CreateTensor(Spec("sgd", 0.5f, "zeros")).ok());
  const std::string ip_config =
      testing::WriteIpConfig(dir_.Join("ip_config_kv.txt"), cluster_->addresses());
  constexpr int kWorkers = 4;
  constexpr int kRounds = 20;
  std::vector<std::unique_ptr<ChildProcess>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::BinPath("kv_push_worker"), "--ip_config", ip_config,
                                 "--part_config", config_path_, "--worker", std::to_string(w),
                                 "--rounds", std::to_string(kRounds)},
        dir_.Join(absl::StrCat("worker", w, ".log"))));
  }
  for (auto& worker : workers) ASSERT_EQ(worker->Wait(), 0) << worker->ReadLog();
  const std::vector<float> rows = PullAll();
  // Every worker w pushed every node once per round with gradient w + 1,
  // and node (round % N) once more: sum over workers of (w + 1) = 10.
  for (int64_t v = 0; v < config_.num_nodes; ++v) {
    int extra = 0;
    for (int round = 0; round < kRounds; ++round) extra += (round % config_.num_nodes == v);
    const float expected = -0.5f * 10.0f * static_cast<float>(kRounds + extra);
    for (int k = 0; k < 4; ++k) {
      ASSERT_EQ(rows[v * 4 + k], expected) << "node " << v << " element " << k;
    }
  }
}

TEST_F(KVServiceTest, ASaveSurvivesKill9ByteForByte) {
  ASSERT_TRUE(kv_->CreateTensor(Spec("adam", 0.01f)).ok());
  const std::vector<int64_t> ids = AllIds();
  for (int step = 0; step < 3; ++step) {
    std::vector<float> grads(ids.size() * 4);
    for (size_t i = 0; i < grads.size(); ++i) grads[i] = 0.001f * static_cast<float>(i % 97 + step);
    ASSERT_TRUE(kv_->Push("emb", ids, grads).ok());
  }
  ASSERT_TRUE(kv_->Save().ok());
  const std::vector<float> saved_rows = PullAll();
  std::map<std::string, std::string> saved[2];
  for (int part = 0; part < 2; ++part) saved[part] = ReadSave(CurrentSave(KvDir(part)));
  ASSERT_GT(saved[0].size(), 2u);

  for (int part = 0; part < 2; ++part) KillAndRestart(part);
  Reconnect();
  EXPECT_EQ(PullAll(), saved_rows);
  // Rows and optimiser state (moments, step counts) came back byte for byte:
  // a new save of the restarted servers holds exactly the same records.
  ASSERT_TRUE(kv_->Save().ok());
  for (int part = 0; part < 2; ++part) {
    EXPECT_TRUE(ReadSave(CurrentSave(KvDir(part))) == saved[part]) << "partition " << part;
  }
}

TEST_F(KVServiceTest, ACrashDuringSaveLeavesThePreviousSave) {
  ASSERT_TRUE(kv_->CreateTensor(Spec("adagrad", 0.1f)).ok());
  const std::vector<int64_t> ids = AllIds();
  ASSERT_TRUE(kv_->Push("emb", ids, std::vector<float>(ids.size() * 4, 0.5f)).ok());
  ASSERT_TRUE(kv_->Save().ok());
  const std::vector<float> saved_rows = PullAll();
  const std::string saved_folder = CurrentSave(KvDir(0));
  const std::map<std::string, std::string> saved = ReadSave(saved_folder);

  // More pushes, then a save during which server 0 dies after one chunk.
  ASSERT_TRUE(kv_->Push("emb", ids, std::vector<float>(ids.size() * 4, 1.5f)).ok());
  cluster_->server(0).process().Signal(SIGTERM);
  ASSERT_EQ(cluster_->server(0).process().Wait(), 0);
  setenv("DISTSAGE_KV_SAVE_CRASH_AFTER_CHUNKS", "1", 1);
  cluster_->Restart(0);
  unsetenv("DISTSAGE_KV_SAVE_CRASH_AFTER_CHUNKS");
  Reconnect();
  ASSERT_TRUE(kv_->Push("emb", ids, std::vector<float>(ids.size() * 4, 1.5f)).ok());
  const absl::Status crashed = kv_->Save();
  EXPECT_FALSE(crashed.ok());
  EXPECT_EQ(cluster_->server(0).process().Wait(), 86) << cluster_->server(0).process().ReadLog();
  // The interrupted save is there, incomplete, but not current.
  bool found_partial = false;
  for (const fs::directory_entry& entry : fs::directory_iterator(KvDir(0))) {
    found_partial |= entry.path().extension() == ".tmp";
  }
  EXPECT_TRUE(found_partial);
  EXPECT_EQ(CurrentSave(KvDir(0)), saved_folder);

  // Restarted, partition 0 serves exactly the previous save.
  cluster_->Restart(0);
  Reconnect();
  const std::vector<float> rows = PullAll();
  const int64_t part0_end = config_.Book().RangeEnd(0);
  EXPECT_TRUE(std::equal(rows.begin(), rows.begin() + part0_end * 4, saved_rows.begin()));
  EXPECT_TRUE(ReadSave(saved_folder) == saved);
  // The next save clears the leftover.
  ASSERT_TRUE(kv_->Save().ok());
  for (const fs::directory_entry& entry : fs::directory_iterator(KvDir(0))) {
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
  }
}

TEST_F(KVServiceTest, BackupServersRefuseKvCalls) {
  // A backup of partition 0 (server 1 of 2 on machine 0).
  const std::string ip_config = dir_.Join("ip_config_backup.txt");
  {
    std::ofstream out(ip_config);
    // Ports unused (--listen); apart, since machine 0's backup takes port + 1.
    out << "127.0.0.1 1\n127.0.0.1 11\n";
  }
  testing::GraphServerProcess backup(
      {testing::BinPath("graph_server"), "--ip_config", ip_config, "--part_config", config_path_,
       "--server_id", "1", "--num_servers", "2", "--listen", "127.0.0.1:0"},
      dir_.Join("backup.log"));
  const std::string address = backup.WaitUntilReady();
  auto stub =
      KVStoreService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  ListTensorsRequest request;
  ListTensorsResponse response;
  const grpc::Status status = stub->ListTensors(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("server 0"), std::string::npos) << status.error_message();
}

}  // namespace
}  // namespace distsage
