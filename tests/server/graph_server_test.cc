// graph_server processes on loopback, driven through GraphClient (and a
// raw stub where a client would refuse to send the request), checked against
// answers computed straight from the bundled datasets' source files; their
// failure modes (killed, late, never started servers), the Shutdown RPC and
// the same-machine Unix sockets.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/graph_client.h"
#include "common/bfloat16.h"
#include "common/ip_config.h"
#include "common/unix_socket.h"
#include "grpcpp/grpcpp.h"
#include "proto/distsage/admin.grpc.pb.h"
#include "proto/distsage/graph.grpc.pb.h"
#include "proto/grpc_health_v1.grpc.pb.h"
#include "server/neighbor_sampler.h"
#include "server/partition_store.h"
#include "tests/common/test_util.h"
#include "tests/server/dataset_reference.h"
#include "tests/server/reflection_probe.grpc.pb.h"
#include "tests/server/server_cluster.h"

namespace distsage {
namespace {

namespace pf = partition_format;
using ::distsage::testing::DatasetReference;
using ::distsage::testing::GraphServerProcess;
using ::distsage::testing::PartitionDataset;
using ::distsage::testing::ServerCluster;
using ::distsage::testing::TempDir;

std::vector<int64_t> Sorted(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  return values;
}

// The edges sampled for seed i.
std::vector<int64_t> EdgesOf(const SampledNeighbors& sampled, size_t i) {
  return std::vector<int64_t>(sampled.src.begin() + sampled.offsets[i],
                              sampled.src.begin() + sampled.offsets[i + 1]);
}

std::unique_ptr<GraphClient> ConnectOrDie(const PartitionConfig& config,
                                          const std::vector<std::vector<std::string>>& addresses,
                                          GraphClientOptions options = {}) {
  absl::StatusOr<std::unique_ptr<GraphClient>> client =
      GraphClient::Connect(config, addresses, options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::unique_ptr<GraphClient>(*std::move(client)) : nullptr;
}

struct ClusterCase {
  std::string dataset;
  int num_parts;
  std::string cache;
  bool unix_socket = false;  // The client reaches the servers over their Unix sockets.
};

std::string DescribeCase(const ClusterCase& c) {
  return c.dataset + "_" + std::to_string(c.num_parts) + "parts_cache_" + c.cache +
         (c.unix_socket ? "_unix" : "_tcp");
}

std::string CaseName(const ::testing::TestParamInfo<ClusterCase>& info) {
  return DescribeCase(info.param);
}

// Lets GoogleTest (and CTest's test list) print a case by name, not as bytes.
void PrintTo(const ClusterCase& c, std::ostream* os) { *os << DescribeCase(c); }

class GraphServerClusterTest : public ::testing::TestWithParam<ClusterCase> {
 protected:
  void SetUp() override {
    const ClusterCase& param = GetParam();
    const std::string config_path =
        PartitionDataset(param.dataset, param.num_parts, dir_.Join("data"));
    absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(config_path);
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    ref_ = testing::LoadDatasetReference(testing::DatasetDir(param.dataset), config_.split_name,
                                         config_.OrigNodeIdsPath());
    ASSERT_EQ(ref_.num_nodes, config_.num_nodes);
    cluster_ = std::make_unique<ServerCluster>(config_path, param.num_parts, dir_.path(),
                                               std::vector<std::string>{"--cache", param.cache});
    GraphClientOptions options;
    if (param.unix_socket) options.channels.uds_dir = cluster_->uds_dir();
    absl::StatusOr<std::unique_ptr<GraphClient>> client =
        GraphClient::Connect(config_, cluster_->addresses(), options);
    ASSERT_TRUE(client.ok()) << client.status();
    for (const ServerConnectionInfo& server : (*client)->ServerConnections()) {
      EXPECT_EQ(server.transport, param.unix_socket ? "unix" : "tcp") << server.address;
    }
    client_ = *std::move(client);
  }

  // Every node once, shuffled, with some repeated: exercises routing and
  // reassembly in request order.
  std::vector<int64_t> ShuffledIds(uint32_t seed) const {
    std::vector<int64_t> ids(ref_.num_nodes);
    for (int64_t v = 0; v < ref_.num_nodes; ++v) ids[v] = v;
    ids.insert(ids.end(), ids.begin(), ids.begin() + std::min<int64_t>(ref_.num_nodes, 100));
    std::shuffle(ids.begin(), ids.end(), std::mt19937(seed));
    return ids;
  }

  TempDir dir_;
  PartitionConfig config_;
  DatasetReference ref_;
  std::unique_ptr<ServerCluster> cluster_;
  std::unique_ptr<GraphClient> client_;
};

TEST_P(GraphServerClusterTest, AnswersEveryRpcLikeTheSourceDataset) {
  // GetGraphInfo, straight from each server.
  for (int p = 0; p < config_.num_parts(); ++p) {
    auto stub = GraphService::NewStub(
        grpc::CreateChannel(cluster_->server(p).address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    GraphInfo info;
    ASSERT_TRUE(stub->GetGraphInfo(&context, GetGraphInfoRequest(), &info).ok());
    EXPECT_EQ(info.graph_name(), config_.graph_name);
    EXPECT_EQ(info.part_id(), p);
    EXPECT_EQ(info.num_nodes(), ref_.num_nodes);
    EXPECT_EQ(info.num_parts(), config_.num_parts());
    EXPECT_EQ(std::vector<int64_t>(info.range_ends().begin(), info.range_ends().end()),
              config_.range_ends);
    ASSERT_EQ(info.node_features_size(), 1);
    EXPECT_EQ(info.node_features(0).dim(), ref_.feat_dim);
    EXPECT_EQ(info.num_classes(), config_.num_classes);
    EXPECT_EQ(info.num_train() + info.num_valid() + info.num_test(),
              config_.num_train + config_.num_valid + config_.num_test);
    EXPECT_EQ(info.cache_mode(), GetParam().cache);
  }

  const std::vector<int64_t> ids = ShuffledIds(1);
  const std::string feature = config_.node_features[0].name;
  std::vector<float> rows(ids.size() * ref_.feat_dim);
  ASSERT_TRUE(client_->PullFeatures(feature, ids, rows.data()).ok());
  std::vector<int64_t> labels(ids.size()), degrees(ids.size());
  std::vector<uint8_t> masks(ids.size());
  ASSERT_TRUE(client_->PullLabels(ids, labels.data()).ok());
  ASSERT_TRUE(client_->InDegrees(ids, degrees.data()).ok());
  ASSERT_TRUE(client_->PullSplitMasks(ids, masks.data()).ok());
  SampledNeighbors all;
  ASSERT_TRUE(client_->SampleNeighbors(ids, {-1, false, 3}, &all).ok());
  ASSERT_EQ(all.offsets.size(), ids.size() + 1);
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t v = ids[i];
    ASSERT_TRUE(std::equal(rows.begin() + i * ref_.feat_dim, rows.begin() + (i + 1) * ref_.feat_dim,
                           ref_.features.begin() + v * ref_.feat_dim))
        << "features of node " << v;
    ASSERT_EQ(labels[i], ref_.labels[v]) << "node " << v;
    ASSERT_EQ(masks[i], ref_.split_masks[v]) << "node " << v;
    ASSERT_EQ(degrees[i], static_cast<int64_t>(ref_.in_neighbors[v].size())) << "node " << v;
    ASSERT_EQ(Sorted(EdgesOf(all, i)), ref_.in_neighbors[v]) << "in-edges of node " << v;
  }

  const PartitionBook book = config_.Book();
  for (int p = 0; p < config_.num_parts(); ++p) {
    for (int split = 0; split < 3; ++split) {
      absl::StatusOr<std::vector<int64_t>> nodes =
          client_->SplitNodes(p, static_cast<Split>(split));
      ASSERT_TRUE(nodes.ok()) << nodes.status();
      std::vector<int64_t> expected;
      for (int64_t v = book.RangeBegin(p); v < book.RangeEnd(p); ++v) {
        if (ref_.split_masks[v] & (1 << split)) expected.push_back(v);
      }
      EXPECT_EQ(*nodes, expected) << "partition " << p << " split " << split;
    }
  }
}

TEST_P(GraphServerClusterTest, SamplesWithDglSemantics) {
  const std::vector<int64_t> ids = ShuffledIds(2);
  for (const bool replace : {false, true}) {
    SampledNeighbors sampled;
    ASSERT_TRUE(client_->SampleNeighbors(ids, {5, replace, 11}, &sampled).ok());
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::vector<int64_t>& in = ref_.in_neighbors[ids[i]];
      const std::vector<int64_t> got = Sorted(EdgesOf(sampled, i));
      const int64_t d = static_cast<int64_t>(in.size());
      ASSERT_EQ(static_cast<int64_t>(got.size()),
                replace ? (d > 0 ? 5 : 0) : std::min<int64_t>(d, 5))
          << "node " << ids[i];
      if (replace) {
        for (int64_t u : got) ASSERT_TRUE(std::binary_search(in.begin(), in.end(), u));
      } else {
        ASSERT_TRUE(std::includes(in.begin(), in.end(), got.begin(), got.end()))
            << "node " << ids[i] << ": not a sub-multiset of its in-edges";
      }
    }
  }
}

TEST_P(GraphServerClusterTest, SamplingIsDeterministicAndIndependentOfRequestSplitting) {
  const std::vector<int64_t> ids = ShuffledIds(3);
  const SampleOptions options{10, false, 1234};
  SampledNeighbors whole, again, other_seed;
  ASSERT_TRUE(client_->SampleNeighbors(ids, options, &whole).ok());
  ASSERT_TRUE(client_->SampleNeighbors(ids, options, &again).ok());
  EXPECT_EQ(whole.src, again.src);
  EXPECT_EQ(whole.offsets, again.offsets);
  ASSERT_TRUE(client_->SampleNeighbors(ids, {10, false, 1235}, &other_seed).ok());
  EXPECT_NE(whole.src, other_seed.src);

  // Batches of 97 seeds give each node exactly the edges of the whole request.
  for (size_t begin = 0; begin < ids.size(); begin += 97) {
    const size_t count = std::min<size_t>(97, ids.size() - begin);
    SampledNeighbors part;
    ASSERT_TRUE(
        client_->SampleNeighbors(absl::MakeConstSpan(ids).subspan(begin, count), options, &part)
            .ok());
    for (size_t i = 0; i < count; ++i) ASSERT_EQ(EdgesOf(part, i), EdgesOf(whole, begin + i));
  }

  // Standalone mode (the same partitions in this process) answers identically.
  PartitionStoreOptions store_options;
  store_options.cache = *ParseCacheMode(GetParam().cache);
  absl::StatusOr<std::unique_ptr<GraphClient>> local =
      GraphClient::OpenInProcess(config_, store_options);
  ASSERT_TRUE(local.ok()) << local.status();
  for (const bool replace : {false, true}) {
    SampledNeighbors remote_answer, local_answer;
    ASSERT_TRUE(client_->SampleNeighbors(ids, {7, replace, 99}, &remote_answer).ok());
    ASSERT_TRUE((*local)->SampleNeighbors(ids, {7, replace, 99}, &local_answer).ok());
    EXPECT_EQ(remote_answer.offsets, local_answer.offsets);
    EXPECT_EQ(remote_answer.src, local_answer.src);
  }

  // A client with partition 0 in this process and the rest over the network.
  GraphClientOptions mixed_options;
  absl::StatusOr<std::unique_ptr<PartitionStore>> store =
      PartitionStore::Open(config_, 0, store_options);
  ASSERT_TRUE(store.ok()) << store.status();
  mixed_options.local_parts[0] = *std::move(store);
  std::unique_ptr<GraphClient> mixed = ConnectOrDie(config_, cluster_->addresses(), mixed_options);
  ASSERT_NE(mixed, nullptr);
  SampledNeighbors mixed_answer;
  ASSERT_TRUE(mixed->SampleNeighbors(ids, options, &mixed_answer).ok());
  EXPECT_EQ(mixed_answer.src, whole.src);
  std::vector<float> remote_rows(ids.size() * ref_.feat_dim), mixed_rows(remote_rows.size());
  ASSERT_TRUE(client_->PullFeatures(config_.node_features[0].name, ids, remote_rows.data()).ok());
  ASSERT_TRUE(mixed->PullFeatures(config_.node_features[0].name, ids, mixed_rows.data()).ok());
  EXPECT_EQ(remote_rows, mixed_rows);

  // Located rather than copied: partition 0's rows are read where its store
  // holds them (in memory; a RocksDB-backed store has no rows to point at),
  // only the others are pulled, and every address holds its node's row.
  // Only where partition 0 is the whole graph and its store holds its rows.
  EXPECT_EQ(mixed->LocatesEveryRowInPlace(config_.node_features[0].name),
            config_.num_parts() == 1 && GetParam().cache == "memory");
  EXPECT_FALSE(client_->LocatesEveryRowInPlace(config_.node_features[0].name));
  std::vector<const float*> located(ids.size());
  std::vector<float> pulled;
  ASSERT_TRUE(
      mixed->LocateFeatureRows(config_.node_features[0].name, ids, located.data(), &pulled).ok());
  const PartitionBook book = config_.Book();
  size_t remote = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool in_pulled =
        located[i] >= pulled.data() && located[i] < pulled.data() + pulled.size();
    const bool in_store = book.OwnerOf(ids[i]) == 0 && GetParam().cache == "memory";
    EXPECT_EQ(in_pulled, !in_store) << "node " << ids[i];
    remote += in_pulled ? 1 : 0;
    ASSERT_TRUE(
        std::equal(located[i], located[i] + ref_.feat_dim, remote_rows.begin() + i * ref_.feat_dim))
        << "node " << ids[i];
  }
  EXPECT_EQ(pulled.size(), remote * ref_.feat_dim);
}

// Feature rows asked for as bfloat16 arrive as the source rows rounded to
// bfloat16 (to nearest even), each at its request position, in half the
// bytes.
TEST_P(GraphServerClusterTest, PullsFeatureRowsAsBFloat16) {
  GraphClientOptions options;
  options.feature_rows_bfloat16 = true;
  std::unique_ptr<GraphClient> halved = ConnectOrDie(config_, cluster_->addresses(), options);
  ASSERT_NE(halved, nullptr);
  const std::vector<int64_t> ids = ShuffledIds(5);
  std::vector<float> rows(ids.size() * ref_.feat_dim);
  const int64_t received_before = halved->traffic().bytes_received;
  ASSERT_TRUE(halved->PullFeatures(config_.node_features[0].name, ids, rows.data()).ok());
  const int64_t received = halved->traffic().bytes_received - received_before;
  for (size_t i = 0; i < ids.size(); ++i) {
    for (int64_t d = 0; d < ref_.feat_dim; ++d) {
      const float source = ref_.features[ids[i] * ref_.feat_dim + d];
      ASSERT_EQ(rows[i * ref_.feat_dim + d], BFloat16ToFloat(RoundToBFloat16(source)))
          << "node " << ids[i] << " column " << d;
    }
  }
  EXPECT_LT(received, static_cast<int64_t>(rows.size() * sizeof(float) * 0.6)) << received;
}

TEST_P(GraphServerClusterTest, ServesManyConcurrentClients) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 25;
  std::unique_ptr<GraphClient> second = ConnectOrDie(config_, cluster_->addresses());
  ASSERT_NE(second, nullptr);
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      GraphClient* client = t % 2 == 0 ? client_.get() : second.get();
      std::mt19937_64 rng(t);
      std::uniform_int_distribution<int64_t> node(0, ref_.num_nodes - 1);
      for (int round = 0; round < kRounds; ++round) {
        std::vector<int64_t> ids(256);
        for (int64_t& id : ids) id = node(rng);
        std::vector<float> rows(ids.size() * ref_.feat_dim);
        SampledNeighbors sampled;
        if (!client->PullFeatures(config_.node_features[0].name, ids, rows.data()).ok() ||
            !client->SampleNeighbors(ids, {10, false, static_cast<uint64_t>(round)}, &sampled)
                 .ok()) {
          ++failures[t];
          continue;
        }
        for (size_t i = 0; i < ids.size(); ++i) {
          const std::vector<int64_t>& in = ref_.in_neighbors[ids[i]];
          const std::vector<int64_t> got = Sorted(EdgesOf(sampled, i));
          if (!std::equal(rows.begin() + i * ref_.feat_dim, rows.begin() + (i + 1) * ref_.feat_dim,
                          ref_.features.begin() + ids[i] * ref_.feat_dim) ||
              !std::includes(in.begin(), in.end(), got.begin(), got.end()) ||
              got.size() != std::min<size_t>(in.size(), 10)) {
            ++failures[t];
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

INSTANTIATE_TEST_SUITE_P(Datasets, GraphServerClusterTest,
                         ::testing::Values(ClusterCase{"cora", 1, "memory"},
                                           ClusterCase{"cora", 4, "memory"},
                                           ClusterCase{"cora", 4, "memory", true},
                                           ClusterCase{"cora", 4, "none"},
                                           ClusterCase{"amazon_photo", 4, "memory"}),
                         CaseName);

// Single-server scenarios on Cora in 4 partitions.
class GraphServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = PartitionDataset("cora", 4, dir_.Join("data"));
    absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(config_path_);
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    ip_config_ = testing::WriteLoopbackIpConfig(dir_.Join("ip_config.txt"), 4);
  }

  std::vector<std::string> ServerArgs(int server_id, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {testing::BinPath("graph_server"),
                                     "--ip_config",
                                     ip_config_,
                                     "--part_config",
                                     config_path_,
                                     "--server_id",
                                     std::to_string(server_id),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--uds_dir",
                                     dir_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Opens partitions [first, end) in this process, as options.local_parts.
  void OpenLocalParts(int first, int end, GraphClientOptions* options) const {
    for (int part = first; part < end; ++part) {
      absl::StatusOr<std::unique_ptr<PartitionStore>> store =
          PartitionStore::Open(config_, part, PartitionStoreOptions());
      ASSERT_TRUE(store.ok()) << store.status();
      options->local_parts[part] = *std::move(store);
    }
  }

  // All node IDs, in order.
  std::vector<int64_t> AllIds() const {
    std::vector<int64_t> ids(config_.num_nodes);
    for (int64_t v = 0; v < config_.num_nodes; ++v) ids[v] = v;
    return ids;
  }

  // The Unix socket of server `server_id` started with --uds_dir dir_.
  std::string SocketOf(int server_id) const { return ServerSocketPath(dir_.path(), server_id); }

  TempDir dir_;
  std::string config_path_;
  std::string ip_config_;
  PartitionConfig config_;
};

std::string PackIds(const std::vector<int64_t>& ids) {
  return pf::PackArray(ids.data(), ids.size());
}

// Without replacement every in-edge of a node is equally likely to be picked:
// Pearson's chi-square over the 168 in-edges of Cora's highest-degree node,
// 20000 draws of 10 (rng seeds 0..19999, so the outcome is fixed). With 167
// degrees of freedom the statistic exceeds 260 with probability < 1e-6 under
// uniformity.
TEST_F(GraphServerTest, SamplingWithoutReplacementIsUniform) {
  absl::StatusOr<std::unique_ptr<GraphClient>> client = GraphClient::OpenInProcess(config_);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<int64_t> ids(config_.num_nodes), degrees(config_.num_nodes);
  for (int64_t v = 0; v < config_.num_nodes; ++v) ids[v] = v;
  ASSERT_TRUE((*client)->InDegrees(ids, degrees.data()).ok());
  const int64_t hub = std::max_element(degrees.begin(), degrees.end()) - degrees.begin();
  const int64_t degree = degrees[hub];
  ASSERT_EQ(degree, 168);

  SampledNeighbors all;
  const std::vector<int64_t> seed = {hub};
  ASSERT_TRUE((*client)->SampleNeighbors(seed, {-1, false, 0}, &all).ok());
  const std::vector<int64_t> neighbors = Sorted(all.src);  // Distinct in Cora.
  ASSERT_EQ(std::adjacent_find(neighbors.begin(), neighbors.end()), neighbors.end());

  constexpr int kTrials = 20000;
  constexpr int kFanout = 10;
  std::vector<int64_t> hits(degree, 0);
  for (int trial = 0; trial < kTrials; ++trial) {
    SampledNeighbors sampled;
    ASSERT_TRUE(
        (*client)
            ->SampleNeighbors(seed, {kFanout, false, static_cast<uint64_t>(trial)}, &sampled)
            .ok());
    ASSERT_EQ(Sorted(sampled.src).size(), static_cast<size_t>(kFanout));
    const std::vector<int64_t> picked = Sorted(sampled.src);
    ASSERT_EQ(std::adjacent_find(picked.begin(), picked.end()), picked.end()) << "repeated edge";
    for (int64_t u : picked) {
      ++hits[std::lower_bound(neighbors.begin(), neighbors.end(), u) - neighbors.begin()];
    }
  }
  const double expected = static_cast<double>(kTrials) * kFanout / degree;
  double chi_square = 0;
  for (int64_t h : hits) chi_square += (h - expected) * (h - expected) / expected;
  EXPECT_LT(chi_square, 260.0);
  EXPECT_GT(chi_square, 100.0);  // Not suspiciously perfect either (p < 1e-5 below 100).
}

TEST_F(GraphServerTest, RejectsBadInputAndKeepsServing) {
  GraphServerProcess server(ServerArgs(1, {"--max_message_mb", "1"}), dir_.Join("server.log"));
  const std::string address = server.WaitUntilReady();
  auto stub =
      GraphService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  const PartitionBook book = config_.Book();
  const int64_t owned = book.RangeBegin(1);
  const int64_t foreign = book.RangeBegin(2);

  auto pull = [&](const std::string& feature, const std::vector<int64_t>& ids,
                  const std::string& graph = "") {
    grpc::ClientContext context;
    PullFeaturesRequest request;
    request.set_graph_name(graph);
    request.set_feature(feature);
    request.set_ids(PackIds(ids));
    PullFeaturesResponse response;
    return stub->PullFeatures(&context, request, &response);
  };
  auto still_serving = [&] {
    const grpc::Status status = pull("feat", {owned, owned + 1});
    EXPECT_TRUE(status.ok()) << status.error_message();
  };

  grpc::Status status = pull("feat", {owned, foreign, foreign + 1});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("node " + std::to_string(foreign)), std::string::npos)
      << status.error_message();
  still_serving();

  status = pull("no_such_feature", {owned});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("feat"), std::string::npos) << status.error_message();
  still_serving();

  status = pull("feat", {owned}, "another-graph");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  still_serving();

  // 1433 floats a row: 200 rows is over the 1 MiB answer limit.
  std::vector<int64_t> many(200, owned);
  status = pull("feat", many);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  still_serving();

  for (const int fanout : {-2, kMaxFanout + 1}) {
    grpc::ClientContext context;
    SampleNeighborsRequest request;
    request.set_seeds(PackIds({owned}));
    request.set_fanout(fanout);
    SampleNeighborsResponse response;
    status = stub->SampleNeighbors(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << fanout;
    EXPECT_NE(status.error_message().find("fan-out"), std::string::npos);
    still_serving();
  }

  {
    grpc::ClientContext context;
    NodeIdsRequest request;
    request.set_ids("12345");  // Not a whole number of int64.
    PullLabelsResponse response;
    status = stub->PullLabels(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    still_serving();
  }

  // The client names the server and partition in its errors.
  std::vector<std::vector<std::string>> addresses(4);
  for (int p = 0; p < 4; ++p) addresses[p] = {address};
  absl::StatusOr<std::unique_ptr<GraphClient>> wrong = GraphClient::Connect(config_, addresses);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find(address), std::string::npos) << wrong.status();
}

TEST_F(GraphServerTest, RefusesToStartOnAMissingOrMismatchedPartition) {
  // A config whose partition 1 points at partition 2's folder.
  PartitionConfig swapped = config_;
  swapped.parts[1].path = config_.parts[2].path;
  ASSERT_TRUE(swapped.Save(dir_.Join("data/swapped.json")).ok());
  std::vector<std::string> args = ServerArgs(1);
  args[4] = dir_.Join("data/swapped.json");
  testing::CommandResult result = testing::RunCommand(args);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("does not match the partition config"), std::string::npos)
      << result.output;

  // A missing folder.
  PartitionConfig missing = config_;
  missing.parts[3].path = "no_such_part";
  ASSERT_TRUE(missing.Save(dir_.Join("data/missing.json")).ok());
  args = ServerArgs(3);
  args[4] = dir_.Join("data/missing.json");
  result = testing::RunCommand(args);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("no_such_part"), std::string::npos) << result.output;

  // A server_id the ip_config cannot place.
  result = testing::RunCommand(ServerArgs(4));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("--server_id 4"), std::string::npos) << result.output;
}

// A server that dies mid-use fails the next call at once, with an error that
// says which partition and server are down (over TCP and over the Unix
// socket); a restarted server serves the same data to a new client.
TEST_F(GraphServerTest, KilledServerFailsTheNextCallAndRestartsWithTheSameData) {
  for (const bool unix_socket : {false, true}) {
    SCOPED_TRACE(unix_socket ? "unix" : "tcp");
    TempDir work;
    ServerCluster cluster(config_path_, 4, work.path());
    GraphClientOptions options;
    if (unix_socket) options.channels.uds_dir = cluster.uds_dir();
    std::unique_ptr<GraphClient> client = ConnectOrDie(config_, cluster.addresses(), options);
    ASSERT_NE(client, nullptr);
    const std::vector<int64_t> ids = AllIds();
    const int64_t dim = config_.node_features[0].dim;
    std::vector<float> before(ids.size() * dim), after(before.size());
    SampledNeighbors sampled_before, sampled_after;
    ASSERT_TRUE(client->PullFeatures("feat", ids, before.data()).ok());
    ASSERT_TRUE(client->SampleNeighbors(ids, {10, false, 5}, &sampled_before).ok());

    const std::string address = cluster.server(2).address();
    cluster.server(2).process().Signal(SIGKILL);
    cluster.server(2).process().Wait();
    const absl::Status pulled = client->PullFeatures("feat", ids, after.data());
    EXPECT_EQ(pulled.code(), absl::StatusCode::kUnavailable) << pulled;
    EXPECT_NE(pulled.message().find("partition 2"), std::string::npos) << pulled;
    EXPECT_NE(pulled.message().find(address), std::string::npos) << pulled;
    EXPECT_NE(pulled.message().find("is down or unreachable"), std::string::npos) << pulled;
    SampledNeighbors sampled;
    const absl::Status sampled_status = client->SampleNeighbors(ids, {10, false, 5}, &sampled);
    EXPECT_EQ(sampled_status.code(), absl::StatusCode::kUnavailable) << sampled_status;
    EXPECT_NE(sampled_status.message().find(address), std::string::npos) << sampled_status;
    // Partitions that are up still answer.
    const std::vector<int64_t> part0 = {config_.Book().RangeBegin(0)};
    std::vector<int64_t> label(1);
    EXPECT_TRUE(client->PullLabels(part0, label.data()).ok());

    // The restarted server replaces the socket file the killed one left.
    cluster.Restart(2);
    std::unique_ptr<GraphClient> fresh = ConnectOrDie(config_, cluster.addresses(), options);
    ASSERT_NE(fresh, nullptr);
    ASSERT_TRUE(fresh->PullFeatures("feat", ids, after.data()).ok());
    ASSERT_TRUE(fresh->SampleNeighbors(ids, {10, false, 5}, &sampled_after).ok());
    EXPECT_EQ(before, after);
    EXPECT_EQ(sampled_before.src, sampled_after.src);
  }
}

// A server whose machine vanishes without closing its connections (here: a
// stopped process; the kernel keeps the TCP connection up, nothing answers)
// is noticed by HTTP/2 keepalive: the call fails UNAVAILABLE naming the
// server, not DEADLINE_EXCEEDED at the two-minute rpc_timeout.
TEST_F(GraphServerTest, VanishedServerIsNoticedByKeepaliveNotTheDeadline) {
  ServerCluster cluster(config_path_, 4, dir_.path());
  GraphClientOptions options;
  options.channels.rpc_timeout = absl::Minutes(2);
  options.channels.keepalive_time = absl::Seconds(1);
  options.channels.keepalive_timeout = absl::Seconds(1);
  std::unique_ptr<GraphClient> client = ConnectOrDie(config_, cluster.addresses(), options);
  ASSERT_NE(client, nullptr);
  const std::vector<int64_t> ids = AllIds();
  std::vector<int64_t> degrees(ids.size());
  ASSERT_TRUE(client->InDegrees(ids, degrees.data()).ok());

  cluster.server(2).process().Signal(SIGSTOP);
  // Stopped once the kernel reports it (signals are asynchronous).
  const std::string stat_path =
      "/proc/" + std::to_string(cluster.server(2).process().pid()) + "/stat";
  while (testing::ReadFile(stat_path).find(") T ") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const absl::Status status = client->InDegrees(ids, degrees.data());
  cluster.server(2).process().Signal(SIGCONT);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("partition 2"), std::string::npos) << status;
  EXPECT_NE(status.message().find(cluster.server(2).address()), std::string::npos) << status;
}

// Connect waits for a server that starts after the client.
TEST_F(GraphServerTest, ConnectWaitsForAServerThatStartsLater) {
  ServerCluster cluster(config_path_, 4, dir_.path());
  cluster.server(3).process().Signal(SIGTERM);
  ASSERT_EQ(cluster.server(3).process().Wait(), 0);
  GraphClientOptions options;
  options.channels.uds_dir = cluster.uds_dir();
  options.channels.connect_timeout = absl::Minutes(2);
  absl::StatusOr<std::unique_ptr<GraphClient>> client;
  std::thread connect(
      [&] { client = GraphClient::Connect(config_, cluster.addresses(), options); });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  cluster.Restart(3);
  connect.join();
  ASSERT_TRUE(client.ok()) << client.status();
  const std::vector<int64_t> ids = AllIds();
  std::vector<int64_t> degrees(ids.size());
  EXPECT_TRUE((*client)->InDegrees(ids, degrees.data()).ok());
  // The late server is on this machine: it is reached over its socket.
  for (const ServerConnectionInfo& server : (*client)->ServerConnections()) {
    EXPECT_EQ(server.transport, "unix") << server.address;
  }
}

// A server that never starts: Connect gives up after connect_timeout and
// names every missing server.
TEST_F(GraphServerTest, ConnectNamesEveryServerThatNeverStarted) {
  ServerCluster cluster(config_path_, 4, dir_.path());
  for (const int part : {1, 3}) {
    cluster.server(part).process().Signal(SIGTERM);
    ASSERT_EQ(cluster.server(part).process().Wait(), 0);
  }
  for (const bool unix_socket : {false, true}) {
    GraphClientOptions options;
    if (unix_socket) options.channels.uds_dir = cluster.uds_dir();
    options.channels.connect_timeout = absl::Seconds(1);
    absl::StatusOr<std::unique_ptr<GraphClient>> client =
        GraphClient::Connect(config_, cluster.addresses(), options);
    ASSERT_FALSE(client.ok());
    const std::string message(client.status().message());
    EXPECT_EQ(client.status().code(), absl::StatusCode::kDeadlineExceeded) << message;
    EXPECT_NE(message.find("2 of 4 graph servers never answered"), std::string::npos) << message;
    for (const int part : {1, 3}) {
      EXPECT_NE(message.find("partition " + std::to_string(part) + " at " +
                             cluster.server(part).address()),
                std::string::npos)
          << message;
    }
    EXPECT_EQ(message.find("partition 0 at"), std::string::npos) << message;
    EXPECT_NE(message.find("Start their graph_server"), std::string::npos) << message;
    EXPECT_NE(message.find("ip_config.txt"), std::string::npos) << message;
  }
}

// The Shutdown RPC: checked like any call, then the servers (backups too)
// drain and exit 0 as on SIGTERM, and remove their sockets.
TEST_F(GraphServerTest, ShutdownRpcStopsEveryServerLikeSigterm) {
  ServerCluster cluster(config_path_, 4, dir_.path());
  auto stub = AdminService::NewStub(
      grpc::CreateChannel(cluster.server(0).address(), grpc::InsecureChannelCredentials()));
  for (const std::string graph : {"", "another-graph"}) {
    grpc::ClientContext context;
    ShutdownRequest request;
    request.set_graph_name(graph);
    request.set_requester("test");
    ShutdownResponse response;
    const grpc::Status status = stub->Shutdown(&context, request, &response);
    EXPECT_EQ(status.error_code(), graph.empty() ? grpc::StatusCode::INVALID_ARGUMENT
                                                 : grpc::StatusCode::FAILED_PRECONDITION)
        << status.error_message();
    EXPECT_NE(status.error_message().find("'" + config_.graph_name + "'"), std::string::npos)
        << status.error_message();
    if (!graph.empty()) {
      EXPECT_NE(status.error_message().find("'another-graph'"), std::string::npos);
    }
  }
  for (int part = 0; part < 4; ++part) {
    ASSERT_TRUE(cluster.server(part).process().running()) << "server " << part;
    EXPECT_TRUE(std::filesystem::exists(SocketOf(part)));
  }

  GraphClientOptions options;
  options.channels.uds_dir = cluster.uds_dir();
  absl::StatusOr<std::unique_ptr<GraphClient>> client =
      GraphClient::Connect(config_, cluster.addresses(), options);
  ASSERT_TRUE(client.ok()) << client.status();
  const absl::Status status = (*client)->ShutdownServers("trainer rank 0");
  EXPECT_TRUE(status.ok()) << status;
  for (int part = 0; part < 4; ++part) {
    EXPECT_EQ(cluster.server(part).process().Wait(), 0) << "server " << part;
    const std::string log = cluster.server(part).process().ReadLog();
    EXPECT_NE(log.find("Shutdown RPC from 'trainer rank 0'"), std::string::npos) << log;
    EXPECT_NE(log.find("graph_server stopped"), std::string::npos) << log;
    EXPECT_FALSE(std::filesystem::exists(SocketOf(part))) << "server " << part;
  }
  // Every server is gone: asking again names one.
  const absl::Status again = (*client)->ShutdownServers("trainer rank 0");
  EXPECT_EQ(again.code(), absl::StatusCode::kUnavailable) << again;
  EXPECT_NE(again.message().find("is down or unreachable"), std::string::npos) << again;
}

TEST_F(GraphServerTest, ShutdownRpcCanBeDisabled) {
  GraphServerProcess server(ServerArgs(0, {"--allow_shutdown_rpc=false"}), dir_.Join("server.log"));
  const std::string address = server.WaitUntilReady();
  std::vector<std::vector<std::string>> addresses = {{address}, {}, {}, {}};
  GraphClientOptions options;
  // Partitions 1-3 in this process: only server 0 is remote.
  OpenLocalParts(1, 4, &options);
  absl::StatusOr<std::unique_ptr<GraphClient>> client =
      GraphClient::Connect(config_, addresses, options);
  ASSERT_TRUE(client.ok()) << client.status();
  const absl::Status status = (*client)->ShutdownServers("test");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_NE(status.message().find(address), std::string::npos) << status;
  EXPECT_NE(status.message().find("--allow_shutdown_rpc"), std::string::npos) << status;
  // Still serving.
  std::vector<int64_t> degrees(config_.num_nodes);
  EXPECT_TRUE((*client)->InDegrees(AllIds(), degrees.data()).ok());
  EXPECT_TRUE(server.process().running());
  server.process().Signal(SIGTERM);
  EXPECT_EQ(server.process().Wait(), 0);
}

// Sockets are named by server ID: a second server with the same ID and
// socket folder (a misconfiguration) refuses to start and names the socket;
// the first keeps it, and removes it when it stops.
TEST_F(GraphServerTest, ASecondServerWithTheSameIdRefusesItsSocket) {
  GraphServerProcess first(ServerArgs(0), dir_.Join("first.log"));
  ASSERT_FALSE(first.WaitUntilReady().empty());
  ASSERT_TRUE(std::filesystem::exists(SocketOf(0)));
  const testing::CommandResult second = testing::RunCommand(ServerArgs(0));
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_NE(second.output.find("already listens on unix:" + SocketOf(0)), std::string::npos)
      << second.output;
  EXPECT_TRUE(first.process().running());
  EXPECT_TRUE(std::filesystem::exists(SocketOf(0)));
  first.process().Signal(SIGTERM);
  EXPECT_EQ(first.process().Wait(), 0);
  EXPECT_FALSE(std::filesystem::exists(SocketOf(0)));
}

TEST_F(GraphServerTest, RefusesAUnixSocketFolderThatDoesNotExist) {
  const testing::CommandResult result =
      testing::RunCommand(ServerArgs(0, {"--uds_dir", dir_.Join("no_such_dir")}));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("no_such_dir"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("--uds_dir="), std::string::npos) << result.output;
}

TEST_F(GraphServerTest, ShutsDownCleanlyOnSigterm) {
  for (const int signal_number : {SIGTERM, SIGINT}) {
    GraphServerProcess server(ServerArgs(0), dir_.Join("sig" + std::to_string(signal_number)));
    ASSERT_FALSE(server.WaitUntilReady().empty());
    server.process().Signal(signal_number);
    EXPECT_EQ(server.process().Wait(), 0);
    EXPECT_NE(server.process().ReadLog().find("graph_server stopped"), std::string::npos);
  }
}

TEST_F(GraphServerTest, ExposesReflectionAndHealth) {
  GraphServerProcess server(ServerArgs(0), dir_.Join("server.log"));
  auto channel = grpc::CreateChannel(server.WaitUntilReady(), grpc::InsecureChannelCredentials());

  auto health = grpc::health::v1::Health::NewStub(channel);
  for (const std::string service : {"", "distsage.GraphService", "distsage.AdminService"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& service : response.list_services_response().service()) {
    services.push_back(service.name());
  }
  EXPECT_NE(std::find(services.begin(), services.end(), "distsage.GraphService"), services.end());
  EXPECT_NE(std::find(services.begin(), services.end(), "distsage.AdminService"), services.end());
  request.set_file_containing_symbol("distsage.GraphService");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(GraphServerTest, ReflectionCanBeTurnedOff) {
  GraphServerProcess server(ServerArgs(0, {"--reflection=false"}), dir_.Join("server.log"));
  auto channel = grpc::CreateChannel(server.WaitUntilReady(), grpc::InsecureChannelCredentials());
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  stream->Write(request);
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // The services and health still answer.
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckRequest check;
  check.set_service("distsage.GraphService");
  grpc::health::v1::HealthCheckResponse answer;
  ASSERT_TRUE(health->Check(&health_context, check, &answer).ok());
  EXPECT_EQ(answer.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// DGL's layout with backups: machine m (its own 127.x address) runs servers
// m*2 and m*2+1 on ports base and base+1, both serving partition m.
TEST_F(GraphServerTest, PlacesServersByIpConfigWithBackups) {
  // The layout fixes each machine's ports (base and base + 1), so they cannot
  // be left to the kernel: pick bases from free ephemeral ports on addresses
  // no other test uses (127.0.1.x), and start over with new ones if another
  // process took one in between (the servers refuse a port in use).
  std::string ip_config;
  std::vector<std::unique_ptr<GraphServerProcess>> servers;
  for (int attempt = 0; attempt < 5 && servers.empty(); ++attempt) {
    ip_config = dir_.Join("ip_config_backups" + std::to_string(attempt) + ".txt");
    {
      std::ofstream out(ip_config);
      for (int m = 0; m < 4; ++m)
        out << "127.0.1." << (m + 1) << " " << testing::FreePort() << "\n";
    }
    absl::StatusOr<std::vector<MachineAddress>> machines = ReadIpConfig(ip_config);
    ASSERT_TRUE(machines.ok()) << machines.status();
    for (int id = 0; id < 8; ++id) {
      servers.push_back(std::make_unique<GraphServerProcess>(
          std::vector<std::string>{testing::BinPath("graph_server"), "--ip_config", ip_config,
                                   "--part_config", config_path_, "--server_id", std::to_string(id),
                                   "--num_servers", "2", "--uds_dir", dir_.path()},
          dir_.Join(absl::StrCat("backup", attempt, "_", id, ".log"))));
    }
    bool all_up = true;
    for (int id = 0; id < 8; ++id) {
      const std::string line = servers[id]->process().WaitForLogLine("listening on ");
      const std::string expected = ServerAddress((*machines)[id / 2], id % 2);
      if (line.find("listening on " + expected + " ") == std::string::npos) {
        const std::string log = servers[id]->process().ReadLog();
        ASSERT_NE(log.find("in use"), std::string::npos) << "server " << id << ":\n" << log;
        all_up = false;
      }
    }
    if (!all_up) {
      for (auto& server : servers) server->process().Signal(SIGTERM);
      for (auto& server : servers) server->process().Wait();
      servers.clear();
    }
  }
  ASSERT_EQ(servers.size(), 8u) << "no free ports in 5 attempts";
  GraphClientOptions options;
  options.num_servers = 2;
  options.channels.uds_dir = dir_.path();
  options.channels.server_restart_timeout = absl::Minutes(1);
  absl::StatusOr<std::unique_ptr<GraphClient>> client =
      GraphClient::ConnectFromIpConfig(ip_config, config_, options);
  ASSERT_TRUE(client.ok()) << client.status();
  // 127.0.1.x are this machine's: every server is reached over its socket.
  const std::vector<ServerConnectionInfo> connections = (*client)->ServerConnections();
  ASSERT_EQ(connections.size(), 8u);
  for (const ServerConnectionInfo& connection : connections) {
    EXPECT_EQ(connection.transport, "unix") << connection.address;
  }
  std::vector<int64_t> ids(config_.num_nodes);
  for (int64_t v = 0; v < config_.num_nodes; ++v) ids[v] = v;
  std::vector<int64_t> first(ids.size()), second(ids.size());
  // Two calls rotate over both servers of each partition.
  ASSERT_TRUE((*client)->InDegrees(ids, first.data()).ok());
  ASSERT_TRUE((*client)->InDegrees(ids, second.data()).ok());
  EXPECT_EQ(first, second);

  // One server of partition 1 (a backup) and one of partition 2 (its
  // primary) killed: every call still succeeds, the calls that went to a
  // dead server failing over to its partition's other server, and sampling
  // answers what it answered before.
  SampleOptions sample;
  sample.fanout = 3;
  sample.rng_seed = 7;
  SampledNeighbors sampled_before;
  ASSERT_TRUE((*client)->SampleNeighbors(ids, sample, &sampled_before).ok());
  for (const int id : {3, 4}) {
    servers[id]->process().Signal(SIGKILL);
    servers[id]->process().Wait();
  }
  for (int call = 0; call < 4; ++call) {
    std::vector<int64_t> degrees(ids.size());
    const absl::Status status = (*client)->InDegrees(ids, degrees.data());
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(degrees, first);
    SampledNeighbors sampled;
    ASSERT_TRUE((*client)->SampleNeighbors(ids, sample, &sampled).ok());
    EXPECT_EQ(sampled.src, sampled_before.src);
    EXPECT_EQ(sampled.offsets, sampled_before.offsets);
  }
}

}  // namespace
}  // namespace distsage
