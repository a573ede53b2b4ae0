#include "tests/server/tiny_partition.h"

#include <gtest/gtest.h>

#include <memory>

#include "common/partition_format.h"
#include "rocksdb/db.h"

namespace distsage::testing {

namespace pf = partition_format;

PartitionConfig WriteTinyPartitions(const std::string& dir, const TinyGraph& graph,
                                    int corrupt_meta_part) {
  PartitionConfig config;
  config.graph_name = "tiny";
  config.num_nodes = graph.num_nodes();
  config.part_method = "range";
  config.range_ends = {3, 6};
  config.node_features = {FeatureSpec{"feat", "float32", 2}};
  config.num_classes = 3;
  config.split_name = "mod3";
  config.num_train = config.num_valid = config.num_test = 2;
  config.orig_node_ids_path = "orig_node_ids.bin";
  for (int part = 0; part < 2; ++part) {
    PartInfo info;
    info.part_id = part;
    info.path = "part" + std::to_string(part);
    const int64_t begin = part * 3;
    info.num_nodes = 3;
    info.num_train = info.num_valid = info.num_test = 1;
    std::vector<int64_t> split_lists[3];
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(rocksdb::DB::Open(options, dir + "/" + info.path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::WriteOptions write;
    for (int64_t v = begin; v < begin + 3; ++v) {
      const std::vector<int64_t>& in = graph.in_neighbors[v];
      info.num_in_edges += static_cast<int64_t>(in.size());
      for (int64_t u : in) info.edge_cut += (u < begin || u >= begin + 3) ? 1 : 0;
      db->Put(write, pf::AdjacencyKey(v), pf::PackArray(in.data(), in.size()));
      const float row[2] = {static_cast<float>(v), 10.0f * v};
      db->Put(write, pf::FeatureKey("feat", v), pf::PackArray(row, 2));
      const int64_t label = v == 5 ? -1 : v % 3;
      db->Put(write, pf::LabelKey(v), pf::PackArray(&label, 1));
      const char mask = static_cast<char>(1 << (v % 3));
      db->Put(write, pf::SplitKey(v), std::string(1, mask));
      split_lists[v % 3].push_back(v);
    }
    for (int split = 0; split < 3; ++split) {
      db->Put(write, pf::SplitListKey(pf::kSplitNames[split]),
              pf::PackArray(split_lists[split].data(), split_lists[split].size()));
    }
    pf::PartitionMeta meta;
    meta.graph_name = part == corrupt_meta_part ? "other-graph" : "tiny";
    meta.part_id = part;
    meta.num_parts = 2;
    meta.node_begin = begin;
    meta.node_end = begin + 3;
    meta.num_in_edges = info.num_in_edges;
    meta.node_features = config.node_features;
    db->Put(write, pf::MetaKey(), meta.ToJson());
    config.num_edges += info.num_in_edges;
    config.edge_cut += info.edge_cut;
    config.parts.push_back(info);
  }
  EXPECT_TRUE(config.Save(dir + "/tiny.json").ok());
  absl::StatusOr<PartitionConfig> loaded = PartitionConfig::Load(dir + "/tiny.json");
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return *loaded;
}

}  // namespace distsage::testing
