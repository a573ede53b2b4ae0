#include "common/partition_config.h"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/partition_format.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace distsage {
namespace {

PartitionConfig TwoPartConfig() {
  PartitionConfig config;
  config.graph_name = "tiny";
  config.num_nodes = 5;
  config.num_edges = 8;
  config.part_method = "metis";
  config.range_ends = {2, 5};
  config.orig_node_ids_path = "orig_node_ids.bin";
  config.node_features = {{"feat", "float32", 3}};
  config.num_classes = 2;
  config.num_train = 2;
  for (int p = 0; p < 2; ++p) {
    PartInfo part;
    part.part_id = p;
    part.path = "part" + std::to_string(p);
    part.num_nodes = p == 0 ? 2 : 3;
    part.num_in_edges = 4;
    config.parts.push_back(part);
  }
  return config;
}

TEST(PartitionConfigTest, SaveLoadRoundTripResolvesRelativePaths) {
  testing::TempDir dir;
  const std::string path = dir.Join("tiny.json");
  ASSERT_TRUE(TwoPartConfig().Save(path).ok());
  auto loaded = PartitionConfig::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->graph_name, "tiny");
  EXPECT_EQ(loaded->num_parts(), 2);
  EXPECT_EQ(loaded->Book().OwnerOf(3), 1);
  EXPECT_EQ(loaded->PartPath(1), dir.Join("part1"));
  ASSERT_NE(loaded->FindFeature("feat"), nullptr);
  EXPECT_EQ(loaded->FindFeature("feat")->dim, 3);
  EXPECT_EQ(loaded->ToJson(), TwoPartConfig().ToJson());
}

TEST(PartitionConfigTest, RejectsInconsistentRanges) {
  PartitionConfig config = TwoPartConfig();
  config.range_ends = {2, 4};
  EXPECT_FALSE(config.Validate("x").ok());
  config = TwoPartConfig();
  config.parts[1].num_nodes = 1;
  EXPECT_FALSE(config.Validate("x").ok());
}

// A feature's dtype is float32 or bfloat16; configs written before it could
// be anything but float32 may leave it out and still load.
TEST(PartitionConfigTest, FeatureDtypeIsFloat32OrBFloat16AndDefaultsToFloat32) {
  testing::TempDir dir;
  PartitionConfig config = TwoPartConfig();
  config.node_features[0].dtype = kBFloat16Dtype;
  EXPECT_TRUE(config.Validate("x").ok());
  EXPECT_TRUE(config.node_features[0].stored_bfloat16());
  EXPECT_EQ(config.node_features[0].row_bytes(), 6u);
  ASSERT_TRUE(config.Save(dir.Join("bf16.json")).ok());
  absl::StatusOr<PartitionConfig> loaded = PartitionConfig::Load(dir.Join("bf16.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->node_features[0].dtype, "bfloat16");

  config.node_features[0].dtype = "float16";
  const absl::Status refused = config.Validate("x");
  EXPECT_NE(refused.message().find("dtype float32 or bfloat16"), std::string::npos) << refused;

  std::string json = TwoPartConfig().ToJson();
  const std::string dtype = "\"dtype\": \"float32\",";
  ASSERT_NE(json.find(dtype), std::string::npos) << json;
  json.erase(json.find(dtype), dtype.size());
  std::ofstream(dir.Join("old.json")) << json;
  loaded = PartitionConfig::Load(dir.Join("old.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->node_features[0].dtype, "float32");
  EXPECT_EQ(loaded->node_features[0].row_bytes(), 12u);
}

TEST(PartitionConfigTest, LoadReportsMissingAndMalformedFiles) {
  testing::TempDir dir;
  EXPECT_EQ(PartitionConfig::Load(dir.Join("none.json")).status().code(),
            absl::StatusCode::kNotFound);
  std::ofstream(dir.Join("bad.json")) << "{\"graph_name\": 1";
  auto bad = PartitionConfig::Load(dir.Join("bad.json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.json"), std::string::npos);
}

// Found by tests/fuzz/partition_config_fuzzer: a float where an integer
// belongs was cast with static_cast (undefined behaviour for 1e300), and an
// integer past int's range wrapped (part_id 4294967296 read as 0, a valid
// config). Both are refused, naming the field.
TEST(PartitionConfigTest, RefusesNumbersThatAreNotIntegersOfTheFieldsRange) {
  testing::TempDir dir;
  const std::string path = dir.Join("tiny.json");
  ASSERT_TRUE(TwoPartConfig().Save(path).ok());
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // The first number after "key": (inside a [ ] too) becomes `number`.
  auto with_number = [&text](const std::string& key, const std::string& number) {
    std::string changed = text;
    size_t at = changed.find("\"" + key + "\":");
    EXPECT_NE(at, std::string::npos) << key;
    at = changed.find_first_of("0123456789", at);
    const size_t end = changed.find_first_not_of("0123456789", at);
    return changed.replace(at, end - at, number);
  };
  struct Case {
    std::string key, number;
  };
  for (const Case& c : std::vector<Case>{{"num_nodes", "1e300"},
                                         {"num_nodes", "5.5"},
                                         {"part_id", "4294967296"},
                                         {"shape", "3e30"}}) {
    SCOPED_TRACE(c.key + " " + c.number);
    std::ofstream(path) << with_number(c.key, c.number);
    auto loaded = PartitionConfig::Load(path);
    ASSERT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << loaded.status();
    EXPECT_NE(loaded.status().message().find("'" + c.key + "' must be an integer"),
              std::string::npos)
        << loaded.status();
  }
}

TEST(PartitionFormatTest, KeysSortNumericallyAndDecode) {
  using namespace partition_format;
  EXPECT_LT(AdjacencyKey(255), AdjacencyKey(256));
  EXPECT_LT(AdjacencyKey(1), FeatureKey("feat", 0));
  EXPECT_EQ(NodeOfKey(FeatureKey("feat", 123456789012)), 123456789012);
  PartitionMeta meta;
  meta.graph_name = "g";
  meta.part_id = 1;
  meta.num_parts = 2;
  meta.node_begin = 2;
  meta.node_end = 5;
  meta.node_features = {{"feat", "float32", 3}};
  auto decoded = PartitionMeta::FromJson(meta.ToJson());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->node_end, 5);
  EXPECT_EQ(decoded->node_features[0].dim, 3);
  EXPECT_FALSE(PartitionMeta::FromJson("{").ok());
}

}  // namespace
}  // namespace distsage
