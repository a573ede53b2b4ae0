// Fault injection for the verifier: partition Cora with partition_graph,
// damage the set on disk the way a bad copy or a bug would, and check that
// `partition_graph --verify_only` fails naming the part, the node and the
// field, and never crashes.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/partition_config.h"
#include "common/partition_db_options.h"
#include "common/partition_format.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/common/test_util.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;
namespace pf = partition_format;

// The part every test damages; the messages must name it.
constexpr int kPart = 1;

class PartitionVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto result = testing::RunCommand({testing::BinPath("partition_graph"), "--dataset_dir",
                                       testing::DatasetDir("cora"), "--num_parts", "2", "--out",
                                       tmp_.Join("out")});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    auto config = PartitionConfig::Load(config_path());
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    const std::string ids = testing::ReadFile(config_.OrigNodeIdsPath());
    ASSERT_EQ(ids.size(), 2708u * sizeof(int64_t));
    orig_ids_.resize(2708);
    std::memcpy(orig_ids_.data(), ids.data(), ids.size());
  }

  std::string config_path() const { return tmp_.Join("out/cora.json"); }

  testing::CommandResult Verify(const std::string& dataset_dir = testing::DatasetDir("cora"),
                                std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {testing::BinPath("partition_graph"),
                                     "--verify_only",
                                     "--part_config",
                                     config_path(),
                                     "--dataset_dir",
                                     dataset_dir};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return testing::RunCommand(args);
  }

  // Reads `key` of part kPart, lets `edit` change the value and writes it
  // back through RocksDB (flushed, so the set stays a plain set of SSTs).
  void RewriteValue(const std::string& key, const std::function<void(std::string*)>& edit) {
    rocksdb::DB* raw = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(PartitionDbOptions(), config_.PartPath(kPart), &raw);
    ASSERT_TRUE(status.ok()) << status.ToString();
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string value;
    status = db->Get(rocksdb::ReadOptions(), key, &value);
    ASSERT_TRUE(status.ok()) << status.ToString();
    edit(&value);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
    ASSERT_TRUE(db->Close().ok());
  }

  // The value of `key` in part kPart.
  std::string ReadValue(const std::string& key) {
    rocksdb::DB* raw = nullptr;
    rocksdb::Status status =
        rocksdb::DB::OpenForReadOnly(PartitionDbOptions(), config_.PartPath(kPart), &raw);
    EXPECT_TRUE(status.ok()) << status.ToString();
    if (!status.ok()) return "";
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string value;
    EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), key, &value).ok());
    return value;
  }

  // "node N (original O)", as the verifier names a node.
  std::string NodeName(int64_t node) const {
    return absl::StrCat("node ", node, " (original ", orig_ids_[node], ")");
  }

  // Expects a clean failure (exit 1, not a crash) whose message holds `needle`.
  static void ExpectFailureNaming(const testing::CommandResult& result, const std::string& needle) {
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find(
                  absl::StrCat("partition_graph: error: verify: part ", kPart, ": ", needle)),
              std::string::npos)
        << "expected '" << needle << "' in:\n"
        << result.output;
  }

  testing::TempDir tmp_;
  PartitionConfig config_;
  std::vector<int64_t> orig_ids_;
};

TEST_F(PartitionVerifierTest, UndamagedSetPasses) {
  auto result = Verify();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("verify OK: " + config_path() +
                               ": 2 part(s), 2708 nodes, 10556 directed edges"),
            std::string::npos)
      << result.output;
}

TEST_F(PartitionVerifierTest, FlippedFeatureByteIsNamed) {
  const int64_t node = config_.Book().RangeBegin(kPart);
  const std::string key = pf::FeatureKey("feat", node);
  std::vector<float> row;
  ASSERT_TRUE(pf::UnpackArray(ReadValue(key), &row));
  ASSERT_GT(row.size(), 3u);
  const float before = row[3];
  // The high byte of element 3: sign and exponent, so the value surely changes.
  ASSERT_NO_FATAL_FAILURE(
      RewriteValue(key, [](std::string* value) { (*value)[3 * 4 + 3] ^= 0x40; }));
  ASSERT_TRUE(pf::UnpackArray(ReadValue(key), &row));
  ExpectFailureNaming(Verify(), absl::StrCat(NodeName(node), ": feature 'feat' element 3 is ",
                                             row[3], ", dataset has ", before));
}

TEST_F(PartitionVerifierTest, FlippedByteInAnSstFileIsReportedAsCorruption) {
  std::string sst;
  for (const auto& entry : fs::directory_iterator(config_.PartPath(kPart))) {
    if (entry.path().extension() == ".sst") sst = entry.path();
  }
  ASSERT_FALSE(sst.empty()) << "no .sst file in " << config_.PartPath(kPart);
  // The middle of the file is data blocks (features, in-edges); every block
  // carries a checksum.
  std::fstream file(sst, std::ios::in | std::ios::out | std::ios::binary);
  const std::streamoff middle = static_cast<std::streamoff>(fs::file_size(sst) / 2);
  char byte = 0;
  file.seekg(middle);
  file.get(byte);
  file.seekp(middle);
  file.put(static_cast<char>(byte ^ 0x01));
  file.close();
  ASSERT_TRUE(file) << "cannot flip a byte of " << sst;
  const testing::CommandResult result = Verify();
  ExpectFailureNaming(result, "damaged RocksDB files in " + config_.PartPath(kPart));
  EXPECT_NE(result.output.find("Corruption"), std::string::npos) << result.output;
}

TEST_F(PartitionVerifierTest, MissingEdgeIsNamed) {
  // The first node of the part with an in-edge loses its last one.
  int64_t node = config_.Book().RangeBegin(kPart);
  std::vector<int64_t> sources;
  for (; node < config_.Book().RangeEnd(kPart); ++node) {
    ASSERT_TRUE(pf::UnpackArray(ReadValue(pf::AdjacencyKey(node)), &sources));
    if (!sources.empty()) break;
  }
  ASSERT_FALSE(sources.empty()) << "part " << kPart << " has no edges";
  ASSERT_NO_FATAL_FAILURE(RewriteValue(pf::AdjacencyKey(node), [](std::string* value) {
    value->resize(value->size() - sizeof(int64_t));
  }));
  ExpectFailureNaming(
      Verify(), absl::StrCat(NodeName(node), ": in-edges differ: ", sources.size() - 1, " stored, ",
                             sources.size(), " in the dataset; edge from ", "original node ",
                             orig_ids_[sources.back()], " is missing"));
}

TEST_F(PartitionVerifierTest, WrongLabelIsNamed) {
  const int64_t node = config_.Book().RangeBegin(kPart) + 5;
  int64_t label = 0;
  const std::string key = pf::LabelKey(node);
  const std::string value = ReadValue(key);
  ASSERT_EQ(value.size(), sizeof(label));
  std::memcpy(&label, value.data(), sizeof(label));
  const int64_t wrong = (label + 1) % config_.num_classes;
  ASSERT_NO_FATAL_FAILURE(
      RewriteValue(key, [&](std::string* v) { *v = pf::PackArray(&wrong, 1); }));
  ExpectFailureNaming(Verify(),
                      absl::StrCat(NodeName(node), ": label is ", wrong, ", dataset has ", label));
}

TEST_F(PartitionVerifierTest, OtherDatasetIsNamed) {
  const std::string computers = testing::DatasetDir("amazon_computers");
  // Without --split, the set's own split is looked for, and it has none.
  auto result = Verify(computers);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("split 'planetoid' not found"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("--verify_only loads split 'planetoid', named in " + config_path()),
            std::string::npos)
      << result.output;
  result = Verify(computers, {"--split", "random_60_20_20"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("has 2708 nodes / 10556 edges, dataset has 13752"),
            std::string::npos)
      << result.output;
}

TEST(PartitionVerifierCliTest, TakesTheSplitFromTheConfig) {
  testing::TempDir tmp;
  const std::string photo = testing::DatasetDir("amazon_photo");
  auto result = testing::RunCommand({testing::BinPath("partition_graph"), "--dataset_dir", photo,
                                     "--split", "per_class_20_30", "--out", tmp.Join("out")});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  result =
      testing::RunCommand({testing::BinPath("partition_graph"), "--verify_only", "--part_config",
                           tmp.Join("out/amazon-photo.json"), "--dataset_dir", photo});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("verify OK"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace distsage
