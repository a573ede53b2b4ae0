// The meta row OGB keeps for each dataset in its master.csv (one column per
// dataset): how to read the raw files. See datasets/FORMAT.md, section 2.
#ifndef DISTSAGE_PARTITIONER_DATASET_META_H_
#define DISTSAGE_PARTITIONER_DATASET_META_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace distsage {

struct DatasetMeta {
  std::string name;           // Column header, e.g. "ogbn-products".
  std::string download_name;  // Top folder inside the download, e.g. "products".
  int64_t num_classes = 0;
  bool add_inverse_edge = false;
  bool has_node_attr = false;
  std::string split;  // Default folder under split/.
  // Why the loader cannot read this dataset (e.g. "is heterogeneous"); empty
  // when it can.
  std::string unsupported;
};

// Reads every dataset column of a master.csv. Errors name the file, the row
// and the column; rows the loader does not need are ignored. Datasets it
// cannot read (heterogeneous, binary .npz, several tasks, edge features) are
// listed with `unsupported` set, so asking for one fails before any data is
// read while the others stay usable.
absl::StatusOr<std::vector<DatasetMeta>> ReadMasterCsv(const std::string& path);

// ogbn-products' column of OGB's master.csv, so that a real download loads
// without a master.csv beside it.
DatasetMeta OgbnProductsMeta();

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_DATASET_META_H_
