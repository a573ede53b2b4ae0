// The partition config, `OUT/<graph_name>.json`: what partition_graph wrote and
// what servers and trainers read to find partitions and to know the graph's
// shape. Paths inside it are relative to the file, so the folder can be copied.
//
//   {
//     "format_version": 1,
//     "graph_name": "cora",
//     "num_nodes": 2708, "num_edges": 10556,        (directed edges, inverses included)
//     "part_method": "metis", "num_parts": 2,
//     "balance_train": true, "balance_edges": true,
//     "node_ranges": [[0, 1354], [1354, 2708]],     (relabelled global IDs per part)
//     "orig_node_ids": "orig_node_ids.bin",          (LE int64, original ID of each new ID)
//     "node_features": [{"name": "feat", "dtype": "float32", "shape": [1433]}],
//                                                (dtype: "float32" or "bfloat16", the
//                                                 element type of the stored rows;
//                                                 absent means float32)
//     "num_classes": 7,
//     "split_name": "planetoid",
//     "split_sizes": {"train": 140, "valid": 500, "test": 1000},
//     "edge_cut": 812,                               (directed edges crossing parts)
//     "book_fingerprint": "5f0c...",                 (BookFingerprint; absent in older sets)
//     "parts": [{"part_id": 0, "path": "part0", "num_nodes": 1354, "num_in_edges": 5301,
//                "num_train": 70, "num_valid": 250, "num_test": 500, "edge_cut": 406}, ...]
//   }
#ifndef DISTSAGE_COMMON_PARTITION_CONFIG_H_
#define DISTSAGE_COMMON_PARTITION_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/partition_book.h"

namespace distsage {

inline constexpr int kPartitionFormatVersion = 1;

// The element types a feature's rows may be stored as (FeatureSpec::dtype).
// bfloat16: a float32 rounded to its upper 16 bits (common/bfloat16.h), half
// the bytes; readers widen it back to float32 exactly.
inline constexpr char kFloat32Dtype[] = "float32";
inline constexpr char kBFloat16Dtype[] = "bfloat16";

// OK for "float32" and "bfloat16"; INVALID_ARGUMENT naming `what` (the flag
// or field) and the accepted values otherwise.
absl::Status CheckFeatureDtype(absl::string_view dtype, absl::string_view what);

// A dense per-node feature: one row of `dim` elements per node.
struct FeatureSpec {
  std::string name;
  std::string dtype = kFloat32Dtype;  // kFloat32Dtype or kBFloat16Dtype.
  int64_t dim = 0;                    // Row length; "shape" in JSON is [dim].

  bool stored_bfloat16() const { return dtype == kBFloat16Dtype; }
  // Bytes of one stored row.
  size_t row_bytes() const {
    return static_cast<size_t>(dim) * (stored_bfloat16() ? sizeof(uint16_t) : sizeof(float));
  }
};

struct PartInfo {
  int part_id = 0;
  std::string path;  // RocksDB folder, relative to the config file.
  int64_t num_nodes = 0;
  int64_t num_in_edges = 0;
  int64_t num_train = 0;
  int64_t num_valid = 0;
  int64_t num_test = 0;
  int64_t edge_cut = 0;  // In-edges of owned nodes whose source is owned elsewhere.
};

struct PartitionConfig {
  std::string graph_name;
  int64_t num_nodes = 0;
  int64_t num_edges = 0;
  std::string part_method;
  bool balance_train = false;
  bool balance_edges = false;
  std::vector<int64_t> range_ends;  // Partition p owns [range_ends[p-1], range_ends[p]).
  std::string orig_node_ids_path;   // Relative to the config file.
  std::vector<FeatureSpec> node_features;
  int64_t num_classes = 0;
  std::string split_name;
  int64_t num_train = 0;
  int64_t num_valid = 0;
  int64_t num_test = 0;
  int64_t edge_cut = 0;
  std::vector<PartInfo> parts;
  // Identifies this partitioning of the graph (BookFingerprint); empty for
  // sets written before it existed.
  std::string book_fingerprint;

  // Folder holding the config file; set by Load, used to resolve paths.
  std::string base_dir;
  // The file Load read (for messages); empty when not loaded from a file.
  std::string source_path;

  int num_parts() const { return static_cast<int>(parts.size()); }
  PartitionBook Book() const { return PartitionBook(range_ends); }
  // Absolute (or base_dir-relative) path of partition `part`'s RocksDB folder.
  std::string PartPath(int part) const;
  std::string OrigNodeIdsPath() const;
  // The spec of feature `name`, or nullptr.
  const FeatureSpec* FindFeature(const std::string& name) const;

  // Reads and validates a config; errors name the file and the bad field.
  static absl::StatusOr<PartitionConfig> Load(const std::string& path);
  // Checks internal consistency (ranges contiguous and covering all nodes,
  // part counts adding up). `source` names the file in messages.
  absl::Status Validate(const std::string& source) const;
  std::string ToJson() const;
  // Writes the JSON to `path` (via a temporary file and rename).
  absl::Status Save(const std::string& path) const;
};

// A 64-bit fingerprint (16 hex digits) of one partitioning of a graph: the
// node ranges of the partition book, the relabelling (the original ID of
// every new ID) and the feature schema. Two partitionings of the same graph
// with the same part count differ in it unless they route every ID alike;
// the same partition_graph run repeated gives the same one.
std::string BookFingerprint(absl::Span<const int64_t> range_ends,
                            absl::Span<const int64_t> orig_node_ids,
                            absl::Span<const FeatureSpec> node_features);

}  // namespace distsage

#endif  // DISTSAGE_COMMON_PARTITION_CONFIG_H_
