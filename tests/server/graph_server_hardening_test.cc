// graph_server processes facing what a black-box probe tried (issue 12):
// two servers on one address, requests whose answer would be huge, bad flags
// and bodies (to the KV and Admin services too), damaged partition folders,
// and memory under sustained load.
// Every case drives real processes and checks the message a user would read.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/graph_client.h"
#include "common/partition_config.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "proto/distsage/graph.grpc.pb.h"
#include "proto/distsage/kvstore.grpc.pb.h"
#include "tests/common/test_util.h"
#include "tests/server/server_cluster.h"

namespace distsage {
namespace {

using ::distsage::testing::BinPath;
using ::distsage::testing::CommandResult;
using ::distsage::testing::GraphServerProcess;
using ::distsage::testing::PartitionDataset;
using ::distsage::testing::RunCommand;
using ::distsage::testing::TempDir;

// Cora in 2 partitions; servers started on 127.0.0.1:0 unless told otherwise.
class GraphServerHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = PartitionDataset("cora", 2, dir_.Join("data"));
    absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(config_path_);
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    ip_config_ = testing::WriteLoopbackIpConfig(dir_.Join("ip_config.txt"), 2);
  }

  std::vector<std::string> ServerArgs(int server_id, std::vector<std::string> extra = {},
                                      const std::string& listen = "127.0.0.1:0") const {
    std::vector<std::string> args = {BinPath("graph_server"),  "--ip_config", ip_config_,
                                     "--part_config",          config_path_,  "--server_id",
                                     std::to_string(server_id)};
    if (!listen.empty()) args.insert(args.end(), {"--listen", listen});
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  TempDir dir_;
  std::string config_path_;
  std::string ip_config_;
  PartitionConfig config_;
};

void ExpectContains(const std::string& text, const std::string& needle) {
  EXPECT_NE(text.find(needle), std::string::npos) << "no '" << needle << "' in:\n" << text;
}

// Runs a graph_server that must refuse to start. Should it start and serve
// instead (the defect), it is stopped and the test fails, rather than
// waiting for it forever.
CommandResult RunServerThatMustNotStart(const std::vector<std::string>& args,
                                        const std::string& log_path) {
  testing::ChildProcess server(args, log_path);
  if (!server.WaitForLogLine("listening on ").empty()) {
    ADD_FAILURE() << "graph_server started:\n" << server.ReadLog();
    server.Signal(SIGKILL);
  }
  const int exit_code = server.Wait();
  return {exit_code, server.ReadLog()};
}

TEST_F(GraphServerHardeningTest, ASecondServerOnAPortInUseFailsToStart) {
  GraphServerProcess first(ServerArgs(0), dir_.Join("first.log"));
  const std::string address = first.WaitUntilReady();
  ASSERT_FALSE(address.empty());
  const CommandResult second =
      RunServerThatMustNotStart(ServerArgs(1, {}, address), dir_.Join("second.log"));
  EXPECT_NE(second.exit_code, 0) << second.output;
  ExpectContains(second.output, "cannot listen on " + address);
  ExpectContains(second.output, "in use");
  EXPECT_TRUE(first.process().running());
}

TEST_F(GraphServerHardeningTest, AnIpConfigWithOneAddressTwiceIsRefused) {
  const int port = testing::FreePort();
  const std::string duplicated = dir_.Join("duplicated.txt");
  std::ofstream(duplicated) << "127.0.0.1 " << port << "\nlocalhost " << port << "\n";
  std::vector<std::string> args = ServerArgs(0, {}, "");
  args[2] = duplicated;
  const CommandResult server = RunServerThatMustNotStart(args, dir_.Join("duplicated.log"));
  EXPECT_NE(server.exit_code, 0) << server.output;
  ExpectContains(server.output, duplicated + ":1");
  ExpectContains(server.output, duplicated + ":2");
  ExpectContains(server.output, absl::StrCat("127.0.0.1:", port));

  const CommandResult trainer =
      RunCommand({BinPath("trainer"), "--servers", duplicated, "--part_config", config_path_,
                  "--num_epochs", "1", "--connect_timeout_s", "1"});
  EXPECT_NE(trainer.exit_code, 0) << trainer.output;
  ExpectContains(trainer.output, duplicated + ":1");
  ExpectContains(trainer.output, duplicated + ":2");
  ExpectContains(trainer.output, "cannot share an address");
}

// A channel to `address` that accepts answers of any size (gRPC's default
// is 4 MiB), as the project's clients do; `instance` keeps channels apart.
std::shared_ptr<grpc::Channel> UnlimitedChannel(const std::string& address, int instance = 0) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt("distsage_test_instance", instance);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

std::string PackIds(const std::vector<int64_t>& ids) {
  return std::string(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int64_t));
}

// The number after `prefix` in `text` (-1 when absent).
int64_t NumberAfter(const std::string& text, const std::string& prefix) {
  const size_t at = text.find(prefix);
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + prefix.size()));
}

// The probe's request: 200 seeds, fan-out 2^20 with replacement, 1.6 KB that
// asks for 1.6 GB. It is refused from the seeds' degrees, before sampling,
// with a seed count per request that then works.
TEST_F(GraphServerHardeningTest, RefusesASampleWhoseAnswerWouldBeTooLargeBeforeSampling) {
  GraphServerProcess server(ServerArgs(0, {"--max_message_mb", "64"}), dir_.Join("server.log"));
  const std::string address = server.WaitUntilReady();
  auto stub = GraphService::NewStub(UnlimitedChannel(address));
  std::vector<int64_t> seeds(200);
  for (int64_t i = 0; i < 200; ++i) seeds[i] = config_.Book().RangeBegin(0) + i;
  auto sample = [&](const std::vector<int64_t>& ids, SampleNeighborsResponse* response) {
    grpc::ClientContext context;
    SampleNeighborsRequest request;
    request.set_seeds(PackIds(ids));
    request.set_fanout(1 << 20);
    request.set_replace(true);
    return stub->SampleNeighbors(&context, request, response);
  };
  SampleNeighborsResponse response;
  const grpc::Status refused = sample(seeds, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  const std::string& message = refused.error_message();
  ExpectContains(message, "refused before sampling");
  ExpectContains(message, absl::StrCat("message limit of ", int64_t{64} << 20, " bytes"));
  ExpectContains(message, "--max_message_mb");
  const int64_t per_request = NumberAfter(message, "send at most about ");
  ASSERT_GT(per_request, 0) << message;
  ASSERT_LT(per_request, 200) << message;

  // The advice works: that many seeds are answered.
  seeds.resize(per_request);
  const grpc::Status answered = sample(seeds, &response);
  ASSERT_TRUE(answered.ok()) << answered.error_message();
  EXPECT_LE(response.src().size(), static_cast<size_t>(per_request) * (1 << 20) * 8);
  EXPECT_GT(response.src().size(), 0u);
}

TEST_F(GraphServerHardeningTest, RefusesAMessageLimitOutOfRange) {
  for (const std::string mb : {"5000", "0", "-3"}) {
    const CommandResult server = RunServerThatMustNotStart(ServerArgs(0, {"--max_message_mb", mb}),
                                                           dir_.Join("server" + mb + ".log"));
    EXPECT_EQ(server.exit_code, 2) << server.output;
    ExpectContains(server.output, "--max_message_mb " + mb + " is out of range");
    ExpectContains(server.output, "from 1 to 1024");
  }
}

// The server process's resident set (VmRSS), in MiB.
int64_t ResidentMiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) / 1024;
  }
  return -1;
}

// 32 client threads, rounds of feature pulls (answers of a few MB, the
// pooled kind) and samples against one server: its RSS levels off after the
// first round instead of creeping (the probe saw 48 -> 127 -> 158 -> 183 MB
// over three rounds).
TEST_F(GraphServerHardeningTest, ServerMemoryLevelsOffUnderSustainedLoad) {
  GraphServerProcess server(ServerArgs(0), dir_.Join("server.log"));
  const std::string address = server.WaitUntilReady();
  ASSERT_FALSE(address.empty());
  const int64_t begin = config_.Book().RangeBegin(0);
  const int64_t end = config_.Book().RangeEnd(0);
  constexpr int kThreads = 32;
  constexpr int kCallsPerRound = 12;
  constexpr int kRounds = 6;
  auto run_round = [&](int round) {
    std::vector<std::thread> threads;
    std::vector<std::string> errors(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        // One channel per thread, as separate trainers would have.
        auto stub = GraphService::NewStub(UnlimitedChannel(address, t));
        std::mt19937 random(round * kThreads + t);
        std::uniform_int_distribution<int64_t> node(begin, end - 1);
        for (int call = 0; call < kCallsPerRound; ++call) {
          // Answers of 1 to 14 MB: varied sizes are what fragments a heap.
          std::vector<int64_t> ids(std::uniform_int_distribution<int>(200, 2400)(random));
          for (int64_t& id : ids) id = node(random);
          grpc::ClientContext pull_context;
          PullFeaturesRequest pull;
          pull.set_feature("feat");
          pull.set_ids(PackIds(ids));
          PullFeaturesResponse rows;
          grpc::Status status = stub->PullFeatures(&pull_context, pull, &rows);
          grpc::ClientContext sample_context;
          SampleNeighborsRequest sample;
          sample.set_seeds(PackIds(ids));
          sample.set_fanout(10);
          sample.set_rng_seed(call);
          SampleNeighborsResponse sampled;
          if (status.ok()) status = stub->SampleNeighbors(&sample_context, sample, &sampled);
          if (!status.ok() && errors[t].empty()) errors[t] = status.error_message();
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (const std::string& error : errors) EXPECT_EQ(error, "");
  };
  std::vector<int64_t> rss;
  for (int round = 0; round < kRounds; ++round) {
    run_round(round);
    rss.push_back(ResidentMiB(server.process().pid()));
  }
  std::string figures;
  for (const int64_t mib : rss) figures += std::to_string(mib) + " MiB ";
  // Later rounds move by a few tens of MiB either way (heap noise); before
  // the pool was bounded and unmapped its buffers, this load went
  // 312 -> 426 -> 464 -> 480 -> 515 -> 480 MiB.
  constexpr int64_t kMarginMiB = 48;
  EXPECT_LE(rss.back(), rss.front() + kMarginMiB) << "server RSS after each round: " << figures;
  std::printf("server RSS after each round: %s\n", figures.c_str());
}

// Sends `body` as the request of `method` ("/distsage.GraphService/...",
// or another service's) without any client-side encoding.
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& body) {
  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  const grpc::internal::RpcMethod rpc(method.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(), rpc, &context, request, &response);
}

// A length-delimited field `field` holding `bytes`, in protobuf wire format.
std::string LengthDelimited(int field, const std::string& bytes) {
  std::string out(1, static_cast<char>(field << 3 | 2));
  out.push_back(static_cast<char>(bytes.size()));  // Short fields only.
  return out + bytes;
}

TEST_F(GraphServerHardeningTest, AnswersUnparsableRequestsWithInvalidArgumentSayingWhy) {
  GraphServerProcess server(ServerArgs(0), dir_.Join("server.log"));
  const std::string address = server.WaitUntilReady();
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());

  // Not protobuf at all (a tag varint longer than 10 bytes).
  grpc::Status status = RawCall(channel, "/distsage.GraphService/GetGraphInfo",
                                "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  ExpectContains(
      status.error_message(),
      "GraphService.GetGraphInfo: the request is not a valid distsage.GetGraphInfoRequest");
  ExpectContains(status.error_message(), "not protobuf wire format");
  EXPECT_TRUE(RawCall(channel, "/distsage.GraphService/GetGraphInfo", "").ok());

  // A graph name that is not UTF-8, 100 times over every raw method: each is
  // refused naming the field, and the log does not grow a line per request.
  const std::string owned = PackIds({config_.Book().RangeBegin(0)});
  const std::string bad_name = LengthDelimited(1, "\xff\xfe");
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"SampleNeighbors", bad_name + LengthDelimited(2, owned)},
      {"PullFeatures", bad_name + LengthDelimited(2, "feat") + LengthDelimited(3, owned)},
      {"PullLabels", bad_name + LengthDelimited(2, owned)},
      {"InDegrees", bad_name + LengthDelimited(2, owned)},
      {"SplitNodes", bad_name}};
  const size_t log_before = testing::ReadFile(dir_.Join("server.log")).size();
  for (int i = 0; i < 100; ++i) {
    const auto& [method, body] = calls[i % calls.size()];
    status = RawCall(channel, "/distsage.GraphService/" + method, body);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    ExpectContains(status.error_message(), "field 'graph_name' is not valid UTF-8");
  }
  const std::string log = testing::ReadFile(dir_.Join("server.log")).substr(log_before);
  const int64_t lines = std::count(log.begin(), log.end(), '\n');
  EXPECT_LE(lines, 10) << log;
  // The server still serves.
  EXPECT_TRUE(
      RawCall(channel, "/distsage.GraphService/PullLabels", LengthDelimited(2, owned)).ok());
}

// The KV and Admin services parse their requests as the graph service does:
// a name that is not UTF-8 (top level, or inside a nested message) is
// answered INVALID_ARGUMENT naming the method and the field, never INTERNAL
// with an empty message, and nothing is created, saved, loaded or stopped.
TEST_F(GraphServerHardeningTest, KvAndAdminCallsWithNonUtf8NamesAreInvalidArguments) {
  GraphServerProcess server(ServerArgs(0), dir_.Join("server.log"));
  const std::string address = server.WaitUntilReady();
  ASSERT_FALSE(address.empty());
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  const std::string bad = "\xff\xfe";
  const std::string owned = PackIds({config_.Book().RangeBegin(0)});
  const std::string good_name = LengthDelimited(1, config_.graph_name);
  // A TensorSpec whose name is not UTF-8 (and dim 4), as CreateTensor's spec.
  const std::string bad_spec = LengthDelimited(2, LengthDelimited(1, bad) + "\x10\x04");
  struct Case {
    std::string method;  // Service.Method
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"KVStoreService.CreateTensor", LengthDelimited(1, bad), "graph_name"},
      {"KVStoreService.CreateTensor", good_name + bad_spec, "spec.name"},
      {"KVStoreService.ListTensors", LengthDelimited(1, bad), "graph_name"},
      {"KVStoreService.Pull", good_name + LengthDelimited(2, bad) + LengthDelimited(3, owned),
       "name"},
      {"KVStoreService.Push", LengthDelimited(1, bad) + LengthDelimited(3, owned), "graph_name"},
      {"KVStoreService.Save", LengthDelimited(1, bad), "graph_name"},
      {"KVStoreService.Load", LengthDelimited(1, bad), "graph_name"},
      {"AdminService.Shutdown", LengthDelimited(1, bad), "graph_name"},
      {"AdminService.Shutdown", good_name + LengthDelimited(2, bad), "requester"}};
  for (const Case& call : cases) {
    const std::string service = call.method.substr(0, call.method.find('.'));
    const std::string method = call.method.substr(call.method.find('.') + 1);
    const grpc::Status status = RawCall(channel, "/distsage." + service + "/" + method, call.body);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << call.method << ": " << status.error_message();
    ExpectContains(status.error_message(), call.method + ": the request is not a valid distsage.");
    ExpectContains(status.error_message(), "field '" + call.field + "' is not valid UTF-8");
  }
  // Not protobuf at all.
  const grpc::Status garbage =
      RawCall(channel, "/distsage.KVStoreService/ListTensors", "\xff\xff\xff\xff\xff\xff");
  EXPECT_EQ(garbage.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectContains(garbage.error_message(), "not protobuf wire format");

  // Nothing was created, and the server still serves and was not stopped.
  auto kv = KVStoreService::NewStub(channel);
  grpc::ClientContext context;
  ListTensorsRequest request;
  request.set_graph_name(config_.graph_name);
  ListTensorsResponse tensors;
  const grpc::Status listed = kv->ListTensors(&context, request, &tensors);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  EXPECT_EQ(tensors.tensors_size(), 0);
  EXPECT_TRUE(server.process().running());
}

TEST_F(GraphServerHardeningTest, ADeletedTableFileIsReportedAsADamagedPartitionFolder) {
  const std::string part_dir = config_.PartPath(1);
  std::string table;
  for (const auto& entry : std::filesystem::directory_iterator(part_dir)) {
    if (entry.path().extension() == ".sst") table = entry.path().filename();
  }
  ASSERT_FALSE(table.empty()) << "no .sst in " << part_dir;
  std::filesystem::remove(part_dir + "/" + table);
  for (const std::string cache : {"memory", "none"}) {
    const CommandResult server =
        RunServerThatMustNotStart(ServerArgs(1, {"--cache", cache}), dir_.Join(cache + ".log"));
    EXPECT_NE(server.exit_code, 0) << server.output;
    ExpectContains(server.output, "partition folder '" + part_dir + "' is damaged or incomplete");
    ExpectContains(server.output, "table file " + table + " is missing");
    ExpectContains(server.output, "deploy/copy_partitions");
    ExpectContains(server.output, "partition_graph");
  }
}

// Servers of Cora partitioned by METIS, a trainer's client holding the config
// of a random partitioning into as many parts: same graph name, same part
// count, different owners. Connect refuses, naming both configs.
TEST_F(GraphServerHardeningTest, RefusesAPartitionConfigFromAnotherPartitioning) {
  const CommandResult random =
      RunCommand({BinPath("partition_graph"), "--dataset_dir", testing::DatasetDir("cora"),
                  "--num_parts", "2", "--part_method", "random", "--out", dir_.Join("random")});
  ASSERT_EQ(random.exit_code, 0) << random.output;
  absl::StatusOr<PartitionConfig> other = PartitionConfig::Load(dir_.Join("random/cora.json"));
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_EQ(other->graph_name, config_.graph_name);
  ASSERT_EQ(other->num_parts(), config_.num_parts());
  ASSERT_EQ(config_.book_fingerprint.size(), 16u);
  ASSERT_NE(other->book_fingerprint, config_.book_fingerprint);

  testing::ServerCluster cluster(config_path_, 2, dir_.path());
  absl::StatusOr<std::unique_ptr<GraphClient>> same =
      GraphClient::Connect(config_, cluster.addresses());
  EXPECT_TRUE(same.ok()) << same.status();
  absl::StatusOr<std::unique_ptr<GraphClient>> refused =
      GraphClient::Connect(*other, cluster.addresses());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  const std::string message(refused.status().message());
  ExpectContains(message, "another partitioning of graph 'cora'");
  ExpectContains(message, config_path_);
  ExpectContains(message, dir_.Join("random/cora.json"));
  ExpectContains(message,
                 "fingerprint " + config_.book_fingerprint + " vs " + other->book_fingerprint);

  // A config written before fingerprints existed is compared by its node
  // ranges instead.
  PartitionConfig old_style = *other;
  old_style.book_fingerprint.clear();
  old_style.range_ends[0] = config_.range_ends[0] + 1;
  refused = GraphClient::Connect(old_style, cluster.addresses());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  ExpectContains(std::string(refused.status().message()), "node ranges");
}

}  // namespace
}  // namespace distsage
