// The expected answers of every GraphService RPC, computed straight from a
// bundled dataset's source files (OGB raw layout, read here with zlib,
// independently of the partitioner) and mapped to relabelled IDs with the
// partitioning's orig_node_ids.bin.
#ifndef DISTSAGE_TESTS_SERVER_DATASET_REFERENCE_H_
#define DISTSAGE_TESTS_SERVER_DATASET_REFERENCE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace distsage::testing {

struct DatasetReference {
  int64_t num_nodes = 0;
  int64_t feat_dim = 0;
  // Indexed by relabelled (global) ID; in-neighbours are relabelled too and
  // sorted (the order of edges is not part of the contract).
  std::vector<std::vector<int64_t>> in_neighbors;
  std::vector<float> features;  // num_nodes x feat_dim.
  std::vector<int64_t> labels;
  std::vector<uint8_t> split_masks;
};

// `dataset_dir` holds raw/ and split/<split_name>/; edges get their inverse
// added (all bundled datasets have add_inverse_edge=True).
DatasetReference LoadDatasetReference(const std::string& dataset_dir, const std::string& split_name,
                                      const std::string& orig_node_ids_path);

}  // namespace distsage::testing

#endif  // DISTSAGE_TESTS_SERVER_DATASET_REFERENCE_H_
