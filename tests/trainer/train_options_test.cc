#include "trainer/train_options.h"

#include <gtest/gtest.h>

namespace distsage {
namespace {

PartitionConfig CoraLikeConfig() {
  PartitionConfig config;
  config.graph_name = "cora";
  config.num_classes = 7;
  config.node_features.push_back(FeatureSpec{"feat", "float32", 1433});
  return config;
}

TEST(TrainOptionsTest, ParsesFanoutsInputLayerFirst) {
  EXPECT_EQ(*ParseFanouts("10,25"), (std::vector<int>{10, 25}));
  EXPECT_EQ(*ParseFanouts("-1,0,5"), (std::vector<int>{-1, 0, 5}));
  EXPECT_FALSE(ParseFanouts("10,x").ok());
  EXPECT_FALSE(ParseFanouts("-2").ok());
  EXPECT_FALSE(ParseFanouts("").ok());
}

TEST(TrainOptionsTest, ValidationFillsShapeFromTheGraph) {
  TrainOptions options;
  ASSERT_TRUE(ValidateTrainOptions(CoraLikeConfig(), &options).ok());
  EXPECT_EQ(options.model.in_dim, 1433);
  EXPECT_EQ(options.model.num_classes, 7);
}

TEST(TrainOptionsTest, RejectsFanoutCountDifferentFromLayers) {
  TrainOptions options;
  options.model.num_layers = 3;
  const absl::Status status = ValidateTrainOptions(CoraLikeConfig(), &options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("--num_layers=3"), std::string::npos) << status;
}

TEST(TrainOptionsTest, RejectsBadSizesAndUnknownFeature) {
  TrainOptions options;
  options.batch_size = 0;
  EXPECT_NE(ValidateTrainOptions(CoraLikeConfig(), &options).message().find("--batch_size=0"),
            std::string::npos);
  options = TrainOptions();
  options.feature_name = "features";
  EXPECT_NE(ValidateTrainOptions(CoraLikeConfig(), &options).message().find("it has: feat"),
            std::string::npos);
}

TEST(TrainOptionsTest, ModelOptionsRoundTripThroughJson) {
  ModelOptions options;
  options.in_dim = 100;
  options.num_classes = 47;
  options.num_hidden = 256;
  options.num_layers = 3;
  options.fanouts = {5, 0, 15};
  options.layer_norm = true;
  options.feature_norm = FeatureNorm::kRow;
  auto parsed = ModelOptions::FromJson(options.ToJson(), "test");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ToJson(), options.ToJson());
  EXPECT_EQ(parsed->EvalFanouts(), (std::vector<int>{-1, 0, -1}));
  EXPECT_FALSE(ModelOptions::FromJson("{}", "x.json").ok());
}

}  // namespace
}  // namespace distsage
