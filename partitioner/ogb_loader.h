// Loads a dataset stored in the OGB node-property raw layout
// (datasets/FORMAT.md): raw/*.csv.gz plus split/<name>/*.csv.gz, read
// streaming. A real ogbn-products download loads unchanged.
#ifndef DISTSAGE_PARTITIONER_OGB_LOADER_H_
#define DISTSAGE_PARTITIONER_OGB_LOADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "partitioner/dataset_meta.h"
#include "partitioner/graph_dataset.h"

namespace distsage {

struct OgbLocation {
  std::string dir;  // The dataset folder (holds raw/ and split/).
  DatasetMeta meta;
};

// Finds a dataset folder and its meta row. Exactly one of `data_root` and
// `dataset_dir` is set.
//  - data_root: `dataset` names a master.csv column; the folder is the first
//    of DIR/<name with '-' as '_'>, the same with "_dgl", DIR/<download_name>.
//  - dataset_dir: the folder itself; `dataset` may be empty, then the column
//    is the one whose name or download_name matches the folder's name.
// The master.csv is `master_csv` if set, else the one beside the dataset
// folder if present; ogbn-products' meta row is known without one.
absl::StatusOr<OgbLocation> LocateOgbDataset(const std::string& dataset,
                                             const std::string& data_root,
                                             const std::string& dataset_dir,
                                             const std::string& master_csv);

// Reads the dataset in `location.dir`. `split` overrides the meta row's
// default split when non-empty. Edge rows are kept as given (no
// deduplication, self-loops kept); with add_inverse_edge each row (u,v)
// becomes (u,v),(v,u). Errors name the file and line, and say how to fix it.
absl::StatusOr<GraphDataset> LoadOgbDataset(const OgbLocation& location, const std::string& split);

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_OGB_LOADER_H_
