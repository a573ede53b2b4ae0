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
  // The graph's name: the dataset name as the user gave it (DGL's
  // "ogb-product" stays "ogb-product", as DGL names its partitions), else
  // meta.name. Empty means meta.name.
  std::string graph_name;
};

// Where the raw datasets are by default: "dataset", relative to the working
// folder, is where OGB downloads them (its `root` default), and so where
// DGL's examples/distributed/graphsage/partition_graph.py finds ogbn-products.
inline constexpr char kDefaultDataRoot[] = "dataset";

// The OGB name of a dataset name as DGL's examples spell it ("ogb-product"
// is "ogbn-products", "ogb-paper100M" "ogbn-papers100M"); any other name is
// returned as it is.
std::string OgbDatasetName(const std::string& name);

// Finds a dataset folder and its meta row. Exactly one of `data_root` and
// `dataset_dir` is set.
//  - data_root: `dataset` names a master.csv column (or is DGL's alias of
//    one, OgbDatasetName); the folder is the first of DIR/<name with '-' as
//    '_'>, the same with "_dgl", DIR/<download_name>. NOT_FOUND names them all.
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
