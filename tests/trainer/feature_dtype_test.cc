// Feature rows stored as bfloat16 (partition_graph --feature_dtype
// bfloat16), end to end through the real programs: the partitioner rounds
// the rows as LibTorch does, every reader (graph_server over either wire
// type, its shared-memory segment, the in-process stores of both cache
// modes) answers the rounded rows, in half the memory, and the trainer
// trains on them. The bundled datasets' features are 0/1, which bfloat16
// holds exactly, so the rounding is checked on a small synthetic graph,
// whose features are Gaussian noise plus a class signal.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/graph_client.h"
#include "common/bfloat16.h"
#include "common/partition_config.h"
#include "grpcpp/grpcpp.h"
#include "proto/distsage/graph.grpc.pb.h"
#include "server/memory_partition_store.h"
#include "server/partition_store.h"
#include "server/shared_segment.h"
#include "tests/common/test_util.h"
#include "tests/server/server_cluster.h"
#include "tests/trainer/trainer_run.h"
#include "trainer/block_sampler.h"
#include "trainer/minibatch_loader.h"

namespace distsage {
namespace {

using testing::BinPath;
using testing::CommandResult;
using testing::DatasetDir;
using testing::RunCommand;
using testing::ServerCluster;
using testing::TempDir;
using testing::TrainerSummary;

// A small synthetic graph in 1 part, rows stored as `dtype`; the same
// seed gives the same graph and the same relabelling whatever the dtype.
std::string PartitionSynthetic(const std::string& dtype, const std::string& out) {
  const CommandResult result = RunCommand(
      {BinPath("partition_graph"), "--dataset=synthetic", "--num_nodes=3000", "--avg_degree=10",
       "--feat_dim=32", "--num_classes=5", "--num_parts=1", "--seed=3", "--num_threads=2",
       "--verify", "--feature_dtype=" + dtype, "--out=" + out});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return out + "/synthetic.json";
}

PartitionConfig LoadOrDie(const std::string& path) {
  absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(path);
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : PartitionConfig();
}

std::vector<int64_t> AllNodes(int64_t num_nodes) {
  std::vector<int64_t> ids(num_nodes);
  for (int64_t v = 0; v < num_nodes; ++v) ids[v] = num_nodes - 1 - v;  // Not in storage order.
  return ids;
}

// Every row of feature "feat" through `client`, in AllNodes order.
std::vector<float> PullAll(GraphClient& client, const PartitionConfig& config) {
  std::vector<float> rows(config.num_nodes * config.node_features[0].dim);
  const absl::Status status = client.PullFeatures("feat", AllNodes(config.num_nodes), rows.data());
  EXPECT_TRUE(status.ok()) << status;
  return rows;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class FeatureDtypeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = new TempDir(); }
  static void TearDownTestSuite() {
    delete float32_config_;
    delete bfloat16_config_;
    delete dir_;
  }

  // The synthetic graph stored both ways, partitioned on first use.
  static void PartitionSyntheticBothWays() {
    if (bfloat16_config_ != nullptr) return;
    float32_config_ = new PartitionConfig(
        LoadOrDie(PartitionSynthetic("float32", dir_->Join("synthetic-float32"))));
    bfloat16_config_path_ = PartitionSynthetic("bfloat16", dir_->Join("synthetic-bfloat16"));
    bfloat16_config_ = new PartitionConfig(LoadOrDie(bfloat16_config_path_));
  }

  static TempDir* dir_;
  static PartitionConfig* float32_config_;
  static PartitionConfig* bfloat16_config_;
  static std::string bfloat16_config_path_;
};

TempDir* FeatureDtypeTest::dir_ = nullptr;
PartitionConfig* FeatureDtypeTest::float32_config_ = nullptr;
PartitionConfig* FeatureDtypeTest::bfloat16_config_ = nullptr;
std::string FeatureDtypeTest::bfloat16_config_path_;

TEST(FeatureDtypeCliTest, PartitionGraphRefusesAnUnknownFeatureDtype) {
  TempDir dir;
  const std::string out = dir.Join("refused");
  const CommandResult result =
      RunCommand({BinPath("partition_graph"), "--dataset_dir=" + DatasetDir("cora"),
                  "--feature_dtype=float16", "--out=" + out});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("--feature_dtype: feature dtype 'float16' is not one of float32, "
                               "bfloat16"),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(std::filesystem::exists(out + "/cora.json"));
}

TEST_F(FeatureDtypeTest, StoresRowsRoundedAsLibTorchDoesAndEveryReaderAnswersThem) {
  PartitionSyntheticBothWays();
  const PartitionConfig& wide = *float32_config_;
  const PartitionConfig& narrow = *bfloat16_config_;
  ASSERT_EQ(narrow.node_features.size(), 1u);
  EXPECT_EQ(wide.node_features[0].dtype, "float32");
  EXPECT_EQ(narrow.node_features[0].dtype, "bfloat16");
  EXPECT_EQ(narrow.range_ends, wide.range_ends);
  EXPECT_EQ(testing::ReadFile(narrow.OrigNodeIdsPath()), testing::ReadFile(wide.OrigNodeIdsPath()));
  const int64_t dim = narrow.node_features[0].dim;

  // The source rows (the float32 set holds them exactly), and LibTorch's
  // rounding of them: what the bfloat16 set must answer.
  absl::StatusOr<std::unique_ptr<GraphClient>> source = GraphClient::OpenInProcess(wide);
  ASSERT_TRUE(source.ok()) << source.status();
  std::vector<float> raw = PullAll(**source, wide);
  const torch::Tensor rounded_tensor =
      torch::from_blob(raw.data(), {static_cast<int64_t>(raw.size())}, torch::kFloat)
          .to(torch::kBFloat16);
  const torch::Tensor widened = rounded_tensor.to(torch::kFloat).contiguous();
  const std::vector<float> expected(widened.data_ptr<float>(),
                                    widened.data_ptr<float>() + widened.numel());
  ASSERT_FALSE(SameBits(expected, raw)) << "the rows should need rounding";
  std::vector<uint16_t> expected_bits(rounded_tensor.numel());
  std::memcpy(expected_bits.data(), rounded_tensor.data_ptr(), expected_bits.size() * 2);

  // graph_server: float32 rows widened exactly, bfloat16 rows as stored in
  // half the bytes; the schema says how they are stored, and the shared
  // segment holds them in half the memory.
  TempDir work;
  ServerCluster cluster(bfloat16_config_path_, narrow.num_parts(), work.path());
  int64_t received[2];
  for (const bool bfloat16_wire : {false, true}) {
    GraphClientOptions options;
    options.feature_rows_bfloat16 = bfloat16_wire;
    absl::StatusOr<std::unique_ptr<GraphClient>> client =
        GraphClient::Connect(narrow, cluster.addresses(), options);
    ASSERT_TRUE(client.ok()) << client.status();
    EXPECT_TRUE(SameBits(PullAll(**client, narrow), expected)) << "wire bfloat16 " << bfloat16_wire;
    EXPECT_TRUE((*client)->ServersRoundingFeature("feat").empty()) << "stored as bfloat16";
    EXPECT_TRUE((*client)->PartitionsRoundingFeature("feat").empty()) << "stored as bfloat16";
    received[bfloat16_wire] = (*client)->traffic().bytes_received;
  }
  EXPECT_LT(received[1], received[0] * 0.6) << received[0] << " vs " << received[1];
  GraphClientOptions shm_options;
  for (int part = 0; part < narrow.num_parts(); ++part) {
    auto stub = GraphService::NewStub(
        grpc::CreateChannel(cluster.server(part).address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    GraphInfo info;
    ASSERT_TRUE(stub->GetGraphInfo(&context, GetGraphInfoRequest(), &info).ok());
    ASSERT_EQ(info.node_features_size(), 1);
    EXPECT_EQ(info.node_features(0).dtype(), "bfloat16");
    ASSERT_FALSE(info.shm_path().empty());
    absl::StatusOr<std::unique_ptr<MappedRegion>> region =
        MappedRegion::MapReadOnly(info.shm_path());
    ASSERT_TRUE(region.ok()) << region.status();
    absl::StatusOr<SegmentHeader> header = ReadSegmentHeader(**region);
    ASSERT_TRUE(header.ok()) << header.status();
    uint64_t feature_bytes = 0;
    for (const SegmentArray& array : header->arrays) {
      if (array.name == "feature:feat") feature_bytes = array.bytes;
    }
    EXPECT_EQ(feature_bytes, info.part_num_nodes() * dim * sizeof(uint16_t));
    absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> mapped =
        MemoryPartitionStore::MapSharedSegment(info.shm_path(), narrow, part);
    ASSERT_TRUE(mapped.ok()) << mapped.status();
    shm_options.local_parts[part] = *std::move(mapped);
  }
  absl::StatusOr<std::unique_ptr<GraphClient>> shm =
      GraphClient::Connect(narrow, cluster.addresses(), shm_options);
  ASSERT_TRUE(shm.ok()) << shm.status();
  EXPECT_TRUE(SameBits(PullAll(**shm, narrow), expected)) << "shared memory";
  // Located in the segments, as stored: every row's bits where they are.
  const std::vector<int64_t> all = AllNodes(narrow.num_nodes);
  EXPECT_TRUE((*shm)->LocatesEveryRowInPlace("feat"));
  std::vector<const uint16_t*> stored(all.size());
  ASSERT_TRUE((*shm)->LocateBFloat16Rows("feat", all, stored.data()).ok());
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_TRUE(std::equal(stored[i], stored[i] + dim, expected_bits.begin() + i * dim))
        << "shared memory, node " << all[i];
  }

  // This process's own stores, in memory and straight from RocksDB: widened
  // as float32, copied as bfloat16.
  for (const CacheMode cache : {CacheMode::kMemory, CacheMode::kNone}) {
    PartitionStoreOptions store_options;
    store_options.cache = cache;
    absl::StatusOr<std::unique_ptr<GraphClient>> local =
        GraphClient::OpenInProcess(narrow, store_options);
    ASSERT_TRUE(local.ok()) << local.status();
    EXPECT_TRUE(SameBits(PullAll(**local, narrow), expected)) << CacheModeName(cache);
    // Rows stored as bfloat16 have no float32 row to point at: a reader that
    // locates rows gets them widened into its buffer; as bfloat16 they are
    // read where the store holds them in memory.
    std::vector<const float*> located(all.size());
    std::vector<float> pulled;
    EXPECT_EQ((*local)->LocatesEveryRowInPlace("feat"), cache == CacheMode::kMemory)
        << CacheModeName(cache);
    std::vector<const uint16_t*> in_store(all.size());
    const absl::Status bfloat16_located =
        (*local)->LocateBFloat16Rows("feat", all, in_store.data());
    if (cache == CacheMode::kMemory) {
      ASSERT_TRUE(bfloat16_located.ok()) << bfloat16_located;
      for (size_t i = 0; i < all.size(); ++i) {
        ASSERT_TRUE(std::equal(in_store[i], in_store[i] + dim, expected_bits.begin() + i * dim))
            << "node " << all[i];
      }
    } else {
      // Nothing in memory to point at: said, with the way that reads them.
      EXPECT_TRUE(absl::IsFailedPrecondition(bfloat16_located)) << bfloat16_located;
      EXPECT_NE(bfloat16_located.message().find("LocateFeatureRows"), std::string::npos)
          << bfloat16_located;
    }
    ASSERT_TRUE((*local)->LocateFeatureRows("feat", all, located.data(), &pulled).ok());
    EXPECT_EQ(pulled.size(), expected.size()) << CacheModeName(cache);
    std::vector<float> read(expected.size());
    for (size_t i = 0; i < all.size(); ++i) std::copy_n(located[i], dim, read.data() + i * dim);
    EXPECT_TRUE(SameBits(read, expected)) << CacheModeName(cache);
    for (int part = 0; part < narrow.num_parts(); ++part) {
      absl::StatusOr<std::unique_ptr<PartitionStore>> store =
          PartitionStore::Open(narrow, part, store_options);
      ASSERT_TRUE(store.ok()) << store.status();
      std::vector<int64_t> ids;
      for (int64_t v = (*store)->node_begin(); v < (*store)->node_end(); ++v) ids.push_back(v);
      std::vector<uint16_t> bits(ids.size() * dim);
      ASSERT_TRUE((*store)->GatherFeaturesBFloat16("feat", ids, bits.data()).ok());
      std::vector<const float*> addresses(ids.size());
      EXPECT_TRUE(
          absl::IsUnimplemented((*store)->FeatureRowAddresses("feat", ids, addresses.data())));
      std::vector<const uint16_t*> stored_at(ids.size());
      const absl::Status stored_located =
          (*store)->FeatureRowAddresses("feat", ids, stored_at.data());
      EXPECT_EQ(stored_located.ok(), cache == CacheMode::kMemory) << stored_located;
      if (!stored_located.ok()) {
        EXPECT_TRUE(absl::IsUnimplemented(stored_located)) << stored_located;
      }
      for (size_t i = 0; i < ids.size(); ++i) {
        // AllNodes lists node v at position num_nodes - 1 - v.
        const size_t at = static_cast<size_t>(narrow.num_nodes - 1 - ids[i]) * dim;
        ASSERT_TRUE(std::equal(bits.begin() + i * dim, bits.begin() + (i + 1) * dim,
                               expected_bits.begin() + at))
            << CacheModeName(cache) << " node " << ids[i];
        if (stored_located.ok()) {
          ASSERT_TRUE(std::equal(stored_at[i], stored_at[i] + dim, expected_bits.begin() + at))
              << "node " << ids[i];
        }
      }
    }
  }
}

// Float32 rows held as bfloat16 (PartitionStoreOptions::
// hold_features_bfloat16, graph_server --feature_memory_dtype bfloat16) are
// the rows of the partition stored as bfloat16, bit for bit, in half the
// memory, through every reader: the store, its shared segment mapped by a
// reader of the float32 config, and the server over either wire type.
TEST_F(FeatureDtypeTest, Float32RowsHeldAsBFloat16AreThoseOfThePartitionStoredSo) {
  PartitionSyntheticBothWays();
  const PartitionConfig& wide = *float32_config_;
  const int64_t dim = wide.node_features[0].dim;
  absl::StatusOr<std::unique_ptr<GraphClient>> narrow =
      GraphClient::OpenInProcess(*bfloat16_config_);
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  const std::vector<float> expected = PullAll(**narrow, *bfloat16_config_);
  const std::vector<int64_t> all = AllNodes(wide.num_nodes);
  std::vector<const uint16_t*> expected_at(all.size());
  ASSERT_TRUE((*narrow)->LocateBFloat16Rows("feat", all, expected_at.data()).ok());
  auto same_rows_as_stored = [&](const std::vector<const uint16_t*>& held) {
    for (size_t i = 0; i < all.size(); ++i) {
      if (!std::equal(held[i], held[i] + dim, expected_at[i])) return false;
    }
    return true;
  };

  PartitionStoreOptions hold;
  hold.hold_features_bfloat16 = true;
  absl::StatusOr<std::unique_ptr<PartitionStore>> store = PartitionStore::Open(wide, 0, hold);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->meta().node_features[0].dtype, "bfloat16");
  std::vector<const float*> as_float(all.size());
  EXPECT_TRUE(absl::IsUnimplemented((*store)->FeatureRowAddresses("feat", all, as_float.data())));
  absl::StatusOr<std::unique_ptr<GraphClient>> held = GraphClient::OpenInProcess(wide, hold);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(SameBits(PullAll(**held, wide), expected));
  EXPECT_TRUE((*held)->LocatesEveryRowInPlace("feat"));
  EXPECT_TRUE((*held)->LocatesEveryRowInPlaceAsBFloat16("feat"));
  EXPECT_EQ((*held)->PartitionsRoundingFeature("feat"), std::vector<int>{0});
  std::vector<const uint16_t*> in_store(all.size());
  ASSERT_TRUE((*held)->LocateBFloat16Rows("feat", all, in_store.data()).ok());
  EXPECT_TRUE(same_rows_as_stored(in_store));
  // As stored, the float32 rows are read in place as float32.
  absl::StatusOr<std::unique_ptr<GraphClient>> exact = GraphClient::OpenInProcess(wide);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_TRUE((*exact)->LocatesEveryRowInPlace("feat"));
  EXPECT_FALSE((*exact)->LocatesEveryRowInPlaceAsBFloat16("feat"));
  EXPECT_TRUE((*exact)->PartitionsRoundingFeature("feat").empty());
  // Straight from RocksDB there is nothing to hold them in: said.
  hold.cache = CacheMode::kNone;
  const absl::Status from_db = PartitionStore::Open(wide, 0, hold).status();
  EXPECT_TRUE(absl::IsInvalidArgument(from_db)) << from_db;
  EXPECT_NE(from_db.message().find("memory"), std::string::npos) << from_db;

  // graph_server: the schema says both how the rows are stored and how the
  // server holds them; its segment holds them in half the bytes, and a
  // trainer of the float32 config maps it.
  TempDir work;
  ServerCluster cluster(dir_->Join("synthetic-float32/synthetic.json"), wide.num_parts(),
                        work.path(), {"--feature_memory_dtype=bfloat16"});
  for (const bool bfloat16_wire : {false, true}) {
    GraphClientOptions options;
    options.feature_rows_bfloat16 = bfloat16_wire;
    absl::StatusOr<std::unique_ptr<GraphClient>> client =
        GraphClient::Connect(wide, cluster.addresses(), options);
    ASSERT_TRUE(client.ok()) << client.status();
    EXPECT_TRUE(SameBits(PullAll(**client, wide), expected)) << "wire bfloat16 " << bfloat16_wire;
    EXPECT_EQ((*client)->ServersRoundingFeature("feat"),
              std::vector<std::string>{cluster.server(0).address()});
    EXPECT_EQ((*client)->PartitionsRoundingFeature("feat"), std::vector<int>{0});
  }
  // Servers holding the rows as stored round them only on a bfloat16 wire.
  TempDir stored_work;
  ServerCluster stored_cluster(dir_->Join("synthetic-float32/synthetic.json"), wide.num_parts(),
                               stored_work.path());
  for (const bool bfloat16_wire : {false, true}) {
    GraphClientOptions options;
    options.feature_rows_bfloat16 = bfloat16_wire;
    absl::StatusOr<std::unique_ptr<GraphClient>> client =
        GraphClient::Connect(wide, stored_cluster.addresses(), options);
    ASSERT_TRUE(client.ok()) << client.status();
    EXPECT_TRUE((*client)->ServersRoundingFeature("feat").empty());
    EXPECT_EQ((*client)->PartitionsRoundingFeature("feat"),
              bfloat16_wire ? std::vector<int>{0} : std::vector<int>{});
  }
  auto stub = GraphService::NewStub(
      grpc::CreateChannel(cluster.server(0).address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  GraphInfo info;
  ASSERT_TRUE(stub->GetGraphInfo(&context, GetGraphInfoRequest(), &info).ok());
  ASSERT_EQ(info.node_features_size(), 1);
  EXPECT_EQ(info.node_features(0).dtype(), "float32");
  EXPECT_EQ(info.node_features(0).held_dtype(), "bfloat16");
  ASSERT_FALSE(info.shm_path().empty());
  absl::StatusOr<std::unique_ptr<MappedRegion>> region = MappedRegion::MapReadOnly(info.shm_path());
  ASSERT_TRUE(region.ok()) << region.status();
  absl::StatusOr<SegmentHeader> header = ReadSegmentHeader(**region);
  ASSERT_TRUE(header.ok()) << header.status();
  for (const SegmentArray& array : header->arrays) {
    if (array.name == "feature:feat") {
      EXPECT_EQ(array.bytes, info.part_num_nodes() * dim * sizeof(uint16_t));
    }
  }
  absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> mapped =
      MemoryPartitionStore::MapSharedSegment(info.shm_path(), wide, 0);
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ((*mapped)->meta().node_features[0].dtype, "bfloat16");
  GraphClientOptions shm_options;
  shm_options.local_parts[0] = *std::move(mapped);
  absl::StatusOr<std::unique_ptr<GraphClient>> shm =
      GraphClient::Connect(wide, cluster.addresses(), shm_options);
  ASSERT_TRUE(shm.ok()) << shm.status();
  EXPECT_TRUE((*shm)->LocatesEveryRowInPlaceAsBFloat16("feat"));
  std::vector<const uint16_t*> in_segment(all.size());
  ASSERT_TRUE((*shm)->LocateBFloat16Rows("feat", all, in_segment.data()).ok());
  EXPECT_TRUE(same_rows_as_stored(in_segment));
  EXPECT_TRUE(SameBits(PullAll(**shm, wide), expected)) << "shared memory";
}

// graph_server refuses a --feature_memory_dtype it does not know, and
// bfloat16 where it holds nothing in memory, before opening anything.
TEST_F(FeatureDtypeTest, GraphServerRefusesFeatureMemoryDtypesItCannotHold) {
  PartitionSyntheticBothWays();
  const std::string config = dir_->Join("synthetic-float32/synthetic.json");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--feature_memory_dtype=float16"}, "expected stored or bfloat16"},
      {{"--feature_memory_dtype=bfloat16", "--cache=none"}, "needs --cache memory"}};
  TempDir work;
  const std::string ip_config = testing::WriteLoopbackIpConfig(work.Join("ip_config.txt"), 1);
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> command = {BinPath("graph_server"), "--part_config=" + config,
                                        "--ip_config=" + ip_config, "--listen=127.0.0.1:0",
                                        "--shm_dir=" + work.path()};
    command.insert(command.end(), flags.begin(), flags.end());
    const CommandResult result = RunCommand(command);
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_NE(result.output.find(message), std::string::npos) << result.output;
  }
}

// Summing the first layer's means in place, the loader reads rows stored as
// bfloat16 where the store holds them (half the bytes of float32 rows) and
// hands over the batches of a loader that pulls them widened to float32,
// bit for bit, to a float32 model and to a bf16 one.
TEST_F(FeatureDtypeTest, LoaderSumsBFloat16RowsWhereTheyAreIntoTheSameBatches) {
  PartitionSyntheticBothWays();
  absl::StatusOr<std::unique_ptr<GraphClient>> client =
      GraphClient::OpenInProcess(*bfloat16_config_);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->LocatesEveryRowInPlace("feat"));
  absl::StatusOr<std::vector<int64_t>> seeds = (*client)->SplitNodes(0, Split::kTrain);
  ASSERT_TRUE(seeds.ok()) << seeds.status();
  const BlockSampler sampler(client->get(), {5, 10}, /*reverse_from_layer=*/1);
  for (const bool bfloat16_batches : {false, true}) {
    SCOPED_TRACE(bfloat16_batches ? "bf16 model" : "float32 model");
    LoaderOptions options;
    options.batch_size = 64;
    options.num_workers = 2;
    options.input.graph = client->get();
    options.input.feature_name = "feat";
    options.input.feature_dim = bfloat16_config_->node_features[0].dim;
    options.num_classes = bfloat16_config_->num_classes;
    options.aggregate_first_layer = true;
    options.aggregated_rows_bfloat16 = bfloat16_batches;
    options.sum_rows_in_place = true;
    MiniBatchLoader in_place(client->get(), &sampler, *seeds, options, 3);
    options.sum_rows_in_place = false;
    MiniBatchLoader copied(client->get(), &sampler, *seeds, options, 3);
    ASSERT_GE(in_place.num_batches(), 3);
    MiniBatch expected;
    MiniBatch batch;
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(*copied.Next(&expected));
      ASSERT_TRUE(*in_place.Next(&batch));
      EXPECT_TRUE(batch.summed_in_place);
      EXPECT_FALSE(expected.summed_in_place);
      ASSERT_TRUE(batch.neighbor_mean.defined());
      EXPECT_EQ(batch.features.scalar_type(), expected.features.scalar_type());
      EXPECT_TRUE(batch.features.equal(expected.features)) << "batch " << i;
      EXPECT_TRUE(batch.neighbor_mean.equal(expected.neighbor_mean)) << "batch " << i;
      EXPECT_GT(batch.neighbor_mean.abs().sum().item<double>(), 0.0);
      EXPECT_TRUE(batch.labels.equal(expected.labels));
    }
  }
}

// Trainer runs (left out of the sanitizer build, as the other training runs).
class FeatureDtypeTrainerTest : public FeatureDtypeTest {};

// The model computing in bf16 rounds its input rows itself (the first layer
// projects before aggregating: input 32 > hidden 16), so rows stored
// rounded train it to exactly the same model as the exact rows. (With the
// loader's first-layer means, the default, the exact rows would be averaged
// before any rounding: the same model up to rounding, not bit for bit.)
TEST_F(FeatureDtypeTrainerTest, Bf16ModelTrainsIdenticallyOnRoundedAndExactRows) {
  PartitionSyntheticBothWays();
  nlohmann::json summaries[2];
  const std::string configs[2] = {dir_->Join("synthetic-float32/synthetic.json"),
                                  bfloat16_config_path_};
  for (int i = 0; i < 2; ++i) {
    const CommandResult result =
        RunCommand({BinPath("trainer"), "--standalone", "--part_config=" + configs[i], "--seed=0",
                    "--num_epochs=2", "--eval_every=0", "--batch_size=200", "--num_hidden=16",
                    "--fan_out=5,10", "--feature_norm=none", "--precision=bf16",
                    "--allow_emulated_bf16", "--num_threads=2", "--aggregate_in_loader=false"});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    summaries[i] = TrainerSummary(result.output);
  }
  for (const char* figure : {"final_loss", "final_train_acc", "final_val_acc", "final_test_acc"}) {
    EXPECT_EQ(summaries[0].at(figure).get<double>(), summaries[1].at(figure).get<double>())
        << figure;
  }
  EXPECT_EQ(summaries[0].at("param_checksum"), summaries[1].at("param_checksum"));
}

// A bf16 model trains on float32 rows held as bfloat16 (--feature_memory_dtype,
// whose auto holds them so for it) exactly as on the partition stored as
// bfloat16, the loader's first-layer means (the default) included; an fp32
// model's auto keeps them as stored. The JSON line says how they were held.
TEST_F(FeatureDtypeTrainerTest, Bf16ModelTrainsOnHeldRowsAsOnRowsStoredAsBFloat16) {
  PartitionSyntheticBothWays();
  const std::string wide = dir_->Join("synthetic-float32/synthetic.json");
  auto train = [](const std::string& config, const std::vector<std::string>& flags) {
    std::vector<std::string> command = {
        BinPath("trainer"), "--standalone",   "--part_config=" + config, "--seed=0",
        "--num_epochs=2",   "--eval_every=0", "--batch_size=200",        "--num_hidden=16",
        "--fan_out=5,10",   "--num_threads=2"};
    command.insert(command.end(), flags.begin(), flags.end());
    const CommandResult result = RunCommand(command);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return result.exit_code == 0 ? TrainerSummary(result.output) : nlohmann::json::object();
  };
  const std::vector<std::string> bf16 = {"--precision=bf16", "--allow_emulated_bf16"};
  const nlohmann::json stored = train(bfloat16_config_path_, bf16);
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored.at("feature_memory_dtype"), "bfloat16");
  for (const char* held_flag : {"--feature_memory_dtype=bfloat16", "--feature_memory_dtype=auto"}) {
    SCOPED_TRACE(held_flag);
    std::vector<std::string> flags = bf16;
    flags.push_back(held_flag);
    const nlohmann::json held = train(wide, flags);
    ASSERT_FALSE(held.empty());
    EXPECT_EQ(held.at("feature_memory_dtype"), "bfloat16");
    EXPECT_EQ(held.at("param_checksum"), stored.at("param_checksum"));
    EXPECT_EQ(held.at("final_loss").get<double>(), stored.at("final_loss").get<double>());
  }
  // As stored, the loader's means are of the exact rows: another model.
  std::vector<std::string> flags = bf16;
  flags.push_back("--feature_memory_dtype=stored");
  const nlohmann::json exact = train(wide, flags);
  ASSERT_FALSE(exact.empty());
  EXPECT_EQ(exact.at("feature_memory_dtype"), "float32");
  EXPECT_NE(exact.at("param_checksum"), stored.at("param_checksum"));
  const nlohmann::json fp32 = train(wide, {"--precision=fp32"});
  ASSERT_FALSE(fp32.empty());
  EXPECT_EQ(fp32.at("feature_memory_dtype"), "float32");

  const std::vector<std::pair<std::vector<std::string>, std::string>> refusals = {
      {{"--feature_memory_dtype=float16"}, "expected auto, stored or bfloat16"},
      {{"--feature_memory_dtype=bfloat16", "--store_cache=none"}, "needs --store_cache=memory"}};
  for (const auto& [refused_flags, message] : refusals) {
    std::vector<std::string> command = {BinPath("trainer"), "--standalone", "--part_config=" + wide,
                                        "--num_epochs=1"};
    command.insert(command.end(), refused_flags.begin(), refused_flags.end());
    const CommandResult refused = RunCommand(command);
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_NE(refused.output.find(message), std::string::npos) << refused.output;
  }
}

// A trainer computing in fp32 against a server that rounds the float32
// rows it holds (--feature_memory_dtype bfloat16) is told so, and trains.
TEST_F(FeatureDtypeTrainerTest, Fp32TrainerIsToldItsServerRoundsTheRows) {
  PartitionSyntheticBothWays();
  const std::string wide = dir_->Join("synthetic-float32/synthetic.json");
  TempDir work;
  ServerCluster cluster(wide, 1, work.path(), {"--feature_memory_dtype=bfloat16"});
  const std::string ip_config =
      testing::WriteIpConfig(work.Join("ip_config.txt"), cluster.addresses());
  const CommandResult trained = RunCommand(
      {BinPath("trainer"), "--servers=" + ip_config, "--part_config=" + wide, "--precision=fp32",
       "--num_epochs=1", "--eval_every=0", "--batch_size=500", "--num_hidden=16", "--fan_out=5,10",
       "--num_threads=1", "--local_partition=server"});
  EXPECT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_NE(trained.output.find("holds feature 'feat' (stored as float32) as bfloat16"),
            std::string::npos)
      << trained.output;
}

// The README's Cora recipe, cut to 60 epochs (which reach the floor at
// this seed), on Cora stored as bfloat16 (whose 0/1 features it holds
// exactly) reaches the floor the float32 runs are held to.
TEST_F(FeatureDtypeTrainerTest, StandaloneTrainerReachesTheCoraFloorOnBFloat16Rows) {
  TempDir dir;
  const CommandResult partitioned =
      RunCommand({BinPath("partition_graph"), "--dataset_dir=" + DatasetDir("cora"),
                  "--num_parts=1", "--feature_dtype=bfloat16", "--out=" + dir.Join("cora")});
  ASSERT_EQ(partitioned.exit_code, 0) << partitioned.output;
  std::vector<std::string> flags = {BinPath("trainer"), "--standalone",
                                    "--part_config=" + dir.Join("cora/cora.json"), "--seed=0"};
  const std::vector<std::string> recipe = testing::CoraRecipe(2);
  flags.insert(flags.end(), recipe.begin(), recipe.end());
  flags.push_back("--num_epochs=60");
  const CommandResult result = RunCommand(flags);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const nlohmann::json summary = TrainerSummary(result.output);
  EXPECT_GE(summary.at("final_test_acc").get<double>(), 0.79) << result.output;
  EXPECT_GE(summary.at("final_val_acc").get<double>(), 0.75);
}

}  // namespace
}  // namespace distsage
