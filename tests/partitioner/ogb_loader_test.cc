#include "partitioner/ogb_loader.h"

#include <filesystem>

#include "common/partition_format.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"
#include "tests/partitioner/tiny_dataset.h"

namespace distsage {
namespace {

namespace pf = partition_format;

std::vector<int64_t> InNeighbours(const GraphDataset& dataset, int64_t v) {
  return std::vector<int64_t>(dataset.in_src.begin() + dataset.in_ptr[v],
                              dataset.in_src.begin() + dataset.in_ptr[v + 1]);
}

absl::StatusOr<GraphDataset> LoadDir(const std::string& dir, const std::string& split = "") {
  auto location = LocateOgbDataset("", "", dir, "");
  if (!location.ok()) return location.status();
  return LoadOgbDataset(*location, split);
}

TEST(OgbLoaderTest, LoadsTinyFixtureExactly) {
  testing::TempDir root;
  const std::string dir = testing::WriteTinyDataset(root.path(), testing::TinyDatasetFiles());
  auto dataset = LoadDir(dir);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->name, "tiny-graph");
  EXPECT_EQ(dataset->num_nodes, 5);
  // 4 rows, inverses added, nothing deduplicated: the self-loop row (3,3)
  // gives two edges 3->3.
  EXPECT_EQ(dataset->num_edges(), 8);
  EXPECT_EQ(InNeighbours(*dataset, 0), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(InNeighbours(*dataset, 1), (std::vector<int64_t>{0, 2, 0}));
  EXPECT_EQ(InNeighbours(*dataset, 2), (std::vector<int64_t>{1}));
  EXPECT_EQ(InNeighbours(*dataset, 3), (std::vector<int64_t>{3, 3}));
  EXPECT_TRUE(InNeighbours(*dataset, 4).empty());
  ASSERT_EQ(dataset->feat_dim, 3);
  const std::vector<float> expected_features = {-0.057f,  1e-05f, 32.0f,  0.0f,   1.0f,
                                                -2.5e-3f, 1.5f,   0.0f,   7.0f,   -1.0f,
                                                -1.0f,    -1.0f,  0.125f, 200.0f, -0.0f};
  EXPECT_EQ(dataset->features, expected_features);
  EXPECT_EQ(dataset->labels, (std::vector<int64_t>{0, 1, 1, 0, 1}));
  EXPECT_EQ(dataset->num_classes, 2);
  EXPECT_EQ(dataset->split_name, "s1");
  EXPECT_EQ(dataset->split_mask,
            (std::vector<uint8_t>{pf::kTrainBit, pf::kTrainBit, pf::kValidBit, pf::kTestBit, 0}));
}

TEST(OgbLoaderTest, DataRootFindsFolderByNameAndMasterCsvBeside) {
  testing::TempDir root;
  testing::WriteTinyDataset(root.path(), testing::TinyDatasetFiles());
  auto location = LocateOgbDataset("tiny-graph", root.path(), "", "");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(location->dir, root.Join("tiny_graph"));
  EXPECT_TRUE(location->meta.add_inverse_edge);
  EXPECT_EQ(location->meta.split, "s1");
}

TEST(OgbLoaderTest, OgbnProductsMetaIsBuiltIn) {
  testing::TempDir root;
  // A products download unzipped as DIR/products, no master.csv anywhere.
  const std::filesystem::path products = std::filesystem::path(root.path()) / "products" / "raw";
  std::filesystem::create_directories(products);
  auto location = LocateOgbDataset("ogbn-products", root.path(), "", "");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(location->dir, root.Join("products"));
  EXPECT_EQ(location->meta.num_classes, 47);
  EXPECT_EQ(location->meta.split, "sales_ranking");
  EXPECT_TRUE(location->meta.add_inverse_edge);
}

TEST(OgbLoaderTest, DglsOgbProductIsOgbnProductsUnderItsOwnGraphName) {
  EXPECT_EQ(OgbDatasetName("ogb-product"), "ogbn-products");
  EXPECT_EQ(OgbDatasetName("ogb-paper100M"), "ogbn-papers100M");
  EXPECT_EQ(OgbDatasetName("cora"), "cora");
  testing::TempDir root;
  std::filesystem::create_directories(std::filesystem::path(root.path()) / "ogbn_products" / "raw");
  auto location = LocateOgbDataset("ogb-product", root.path(), "", "");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(location->dir, root.Join("ogbn_products"));
  EXPECT_EQ(location->meta.name, "ogbn-products");
  EXPECT_EQ(location->meta.num_classes, 47);
  EXPECT_EQ(location->graph_name, "ogb-product");
}

TEST(OgbLoaderTest, MissingDownloadNamesEveryFolderLookedIn) {
  testing::TempDir root;  // Empty: no download.
  auto location = LocateOgbDataset("ogb-product", root.path(), "", "");
  ASSERT_FALSE(location.ok());
  EXPECT_EQ(location.status().code(), absl::StatusCode::kNotFound);
  const std::string message(location.status().message());
  EXPECT_NE(message.find("dataset 'ogb-product' (ogbn-products) not found"), std::string::npos)
      << message;
  for (const char* folder : {"ogbn_products", "ogbn_products_dgl", "products"}) {
    EXPECT_NE(message.find(root.Join(folder)), std::string::npos) << folder << ": " << message;
  }
}

TEST(OgbLoaderTest, UnknownDatasetNamesKnownOnes) {
  auto location = LocateOgbDataset("ogbn-nope", testing::DatasetDir(""), "", "");
  ASSERT_FALSE(location.ok());
  EXPECT_NE(location.status().message().find("unknown dataset 'ogbn-nope'"), std::string::npos);
  EXPECT_NE(location.status().message().find("cora"), std::string::npos);
}

struct BadInputCase {
  std::string file;
  std::string text;
  std::string expected_message;
};

class OgbLoaderBadInputTest : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(OgbLoaderBadInputTest, FailsWithFileLineAndCause) {
  testing::TempDir root;
  testing::DatasetFiles files = testing::TinyDatasetFiles();
  files[GetParam().file] = GetParam().text;
  const std::string dir = testing::WriteTinyDataset(root.path(), files);
  auto dataset = LoadDir(dir);
  ASSERT_FALSE(dataset.ok());
  EXPECT_NE(dataset.status().message().find(GetParam().expected_message), std::string::npos)
      << dataset.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, OgbLoaderBadInputTest,
    ::testing::Values(
        BadInputCase{"raw/edge.csv.gz", "0,1\n1;2\n0,1\n3,3\n", "edge.csv.gz:2: malformed line"},
        BadInputCase{"raw/edge.csv.gz", "0,1\n1,2,3\n0,1\n3,3\n", "edge.csv.gz:2: malformed"},
        BadInputCase{"raw/edge.csv.gz", "0,1\n1,2\n0,5\n3,3\n",
                     "edge.csv.gz:3: edge endpoint 5 is out of range"},
        BadInputCase{"raw/edge.csv.gz", "0,1\n1,2\n0,1\n", "has 3 rows but"},
        BadInputCase{"raw/node-feat.csv.gz", "1,2,3\n1,2\n1,2,3\n1,2,3\n1,2,3\n",
                     "node-feat.csv.gz:2: malformed line: expected 3 comma-separated numbers"},
        BadInputCase{"raw/node-feat.csv.gz", "1,2,3\n1,x,3\n1,2,3\n1,2,3\n1,2,3\n",
                     "node-feat.csv.gz:2: malformed"},
        BadInputCase{"raw/node-label.csv.gz", "0\n1\n2\n0\n1\n", "node-label.csv.gz:3: label 2"},
        BadInputCase{"split/s1/test.csv.gz", "3\n9\n", "test.csv.gz:2: split names unknown node 9"},
        BadInputCase{"raw/num-node-list.csv.gz", "five\n", "num-node-list.csv.gz:1: expected"},
        // Found by tests/fuzz/ogb_loader_fuzzer: counts the other files
        // cannot hold made the loader allocate terabytes (and 2 x this edge
        // count overflowed) before it read a row.
        BadInputCase{"raw/num-node-list.csv.gz", "900000000000\n", "says 900000000000 nodes, but"},
        BadInputCase{"raw/num-edge-list.csv.gz", "4611686018427387904\n",
                     "says 4611686018427387904 edge rows, but"}),
    [](const ::testing::TestParamInfo<BadInputCase>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(OgbLoaderTest, MissingFileIsNamed) {
  testing::TempDir root;
  testing::DatasetFiles files = testing::TinyDatasetFiles();
  files.erase("raw/node-label.csv.gz");
  auto dataset = LoadDir(testing::WriteTinyDataset(root.path(), files));
  ASSERT_FALSE(dataset.ok());
  EXPECT_NE(dataset.status().message().find("node-label.csv.gz"), std::string::npos);
}

TEST(OgbLoaderTest, UnknownSplitListsAvailableOnes) {
  testing::TempDir root;
  auto dataset = LoadDir(testing::WriteTinyDataset(root.path(), testing::TinyDatasetFiles()), "s9");
  ASSERT_FALSE(dataset.ok());
  EXPECT_NE(dataset.status().message().find("available: s1"), std::string::npos)
      << dataset.status();
}

// Counts from each dataset's README.md.
struct RealDatasetCase {
  std::string folder;
  std::string split;
  int64_t nodes, directed_edges, feat_dim, classes, train, valid, test;
};

class RealDatasetTest : public ::testing::TestWithParam<RealDatasetCase> {};

TEST_P(RealDatasetTest, MatchesReadmeCounts) {
  const RealDatasetCase& c = GetParam();
  auto dataset = LoadDir(testing::DatasetDir(c.folder), c.split);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->num_nodes, c.nodes);
  EXPECT_EQ(dataset->num_edges(), c.directed_edges);
  EXPECT_EQ(dataset->feat_dim, c.feat_dim);
  EXPECT_EQ(dataset->num_classes, c.classes);
  EXPECT_EQ(dataset->CountSplit(pf::kTrainBit), c.train);
  EXPECT_EQ(dataset->CountSplit(pf::kValidBit), c.valid);
  EXPECT_EQ(dataset->CountSplit(pf::kTestBit), c.test);
  for (int64_t label : dataset->labels) ASSERT_TRUE(label >= 0 && label < c.classes);
}

INSTANTIATE_TEST_SUITE_P(
    Bundled, RealDatasetTest,
    ::testing::Values(
        RealDatasetCase{"cora", "", 2708, 10556, 1433, 7, 140, 500, 1000},
        RealDatasetCase{"amazon_computers", "", 13752, 491722, 767, 10, 8251, 2750, 2751},
        RealDatasetCase{"amazon_computers", "per_class_20_30", 13752, 491722, 767, 10, 200, 300,
                        12881},
        RealDatasetCase{"amazon_photo", "", 7650, 238162, 745, 8, 4590, 1530, 1530},
        RealDatasetCase{"amazon_photo", "per_class_20_30", 7650, 238162, 745, 8, 160, 240, 7087}));

}  // namespace
}  // namespace distsage
