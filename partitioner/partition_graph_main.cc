// partition_graph: turns a graph (OGB node-property raw layout, or a
// synthetic one) into balanced partitions stored in RocksDB plus a partition
// config, like DGL's partition_graph.py.
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/partition_config.h"
#include "common/status_macros.h"
#include "partitioner/graph_dataset.h"
#include "partitioner/node_assignment.h"
#include "partitioner/ogb_loader.h"
#include "partitioner/partition_summary.h"
#include "partitioner/partition_verifier.h"
#include "partitioner/partition_writer.h"
#include "partitioner/progress_meter.h"
#include "partitioner/relabeling.h"
#include "partitioner/staged_output.h"
#include "partitioner/synthetic_graph.h"

ABSL_FLAG(std::string, dataset, "",
          "Dataset name: a column of master.csv (e.g. ogbn-products, cora, amazon-computers, "
          "amazon-photo), DGL's name ogb-product (= ogbn-products; the graph is then named "
          "ogb-product, as DGL names it), or 'synthetic' for the generator (see --num_nodes ...).");
ABSL_FLAG(std::string, data_root, "",
          "Folder holding the dataset folder: DIR/<name with - as _>, DIR/<name>_dgl or "
          "DIR/<download_name> (e.g. DIR/ogbn_products or DIR/products), and usually master.csv. "
          "Default with --dataset: 'dataset' in the working folder, where OGB (and so DGL's "
          "partition_graph.py) downloads it.");
ABSL_FLAG(std::string, dataset_dir, "",
          "A dataset folder in the OGB node-property raw layout (raw/, split/), instead of "
          "--data_root; --dataset may then be omitted when the folder name identifies it.");
ABSL_FLAG(std::string, master_csv, "",
          "OGB master.csv with the dataset's meta row. Default: master.csv beside the dataset "
          "folder; ogbn-products' row is built in.");
ABSL_FLAG(std::string, split, "",
          "Split folder under split/. Default: the meta row's split (with --verify_only, the "
          "split named in --part_config).");
ABSL_FLAG(std::string, graph_name, "",
          "Graph name, naming the config OUT/<graph_name>.json. Default: the dataset name.");
ABSL_FLAG(std::string, out, "",
          "Output folder. Default: 'data' (as DGL's partition_graph.py), where a partition set of "
          "the same graph name is replaced as DGL does; any other set there is kept (error).");
ABSL_FLAG(std::string, output, "", "DGL's name for --out.");
ABSL_FLAG(int, num_parts, 1, "Number of partitions; 1 is standalone mode (no METIS call).");
ABSL_FLAG(std::string, part_method, "metis", "Partitioning method: metis or random.");
ABSL_FLAG(bool, balance_train, false,
          "Balance training nodes across parts (METIS constraint: train-node indicator).");
ABSL_FLAG(bool, balance_edges, false,
          "Balance in-edges across parts (METIS constraint: node in-degree).");
ABSL_FLAG(uint64_t, seed, 0,
          "Seed of METIS (METIS_OPTION_SEED), of the random split and of the synthetic graph; "
          "the same seed gives the same partitions.");
ABSL_FLAG(std::string, feature_dtype, "float32",
          "Element type of the stored feature rows: float32, or bfloat16 (each value rounded to "
          "nearest even, as LibTorch rounds to bfloat16): half the feature memory of the servers "
          "and of the trainers that read a partition in-process or from shared memory, half the "
          "bytes pulled; the model then trains on the rounded features.");
ABSL_FLAG(bool, overwrite, false, "Replace a partition set already in --out.");
ABSL_FLAG(bool, verify, false,
          "Re-read every partition from RocksDB and check it against the loaded dataset before "
          "putting it in place.");
ABSL_FLAG(bool, verify_only, false,
          "Write nothing: check the partition set of --part_config against the dataset, given "
          "by the same dataset flags it was partitioned with; exit 0 when they match, 1 naming "
          "the first difference when not.");
ABSL_FLAG(std::string, part_config, "",
          "With --verify_only: the partition config (OUT/<graph_name>.json) of the set to check.");
ABSL_FLAG(int, num_threads, 0, "Worker threads (0: one per core).");
ABSL_FLAG(int64_t, num_nodes, 100000, "synthetic: number of nodes.");
ABSL_FLAG(int64_t, num_edges, 0,
          "synthetic: number of undirected edges (each stored in both directions); 0 derives it "
          "from --avg_degree.");
ABSL_FLAG(double, avg_degree, 50.0,
          "synthetic: directed in-edges per node when --num_edges is 0 (ogbn-products: 50.5).");
ABSL_FLAG(int64_t, feat_dim, 100, "synthetic: feature dimension.");
ABSL_FLAG(int64_t, num_classes, 47, "synthetic: number of classes.");
ABSL_FLAG(int64_t, num_train, -1, "synthetic: training nodes; -1 uses --train_fraction.");
ABSL_FLAG(int64_t, num_valid, -1, "synthetic: validation nodes; -1 uses --valid_fraction.");
ABSL_FLAG(double, train_fraction, 0.08, "synthetic: fraction of nodes in train.");
ABSL_FLAG(double, valid_fraction, 0.016,
          "synthetic: fraction of nodes in valid; all other nodes are test.");

namespace distsage {
namespace {

// DGL's partition_graph.py writes to data/ unless told otherwise.
constexpr char kDefaultOutputFolder[] = "data";

constexpr char kUsage[] = R"(Partitions a graph for distributed GraphSAGE training.

  partition_graph --dataset ogbn-products --data_root DIR --num_parts 4 \
      --balance_train --balance_edges --out OUT
  partition_graph --dataset ogb-product --num_parts 4 --balance_train --balance_edges
      (DGL's command line: reads dataset/ogbn_products, writes data/ogb-product.json)
  partition_graph --dataset_dir datasets/cora --num_parts 2 --out OUT
  partition_graph --dataset synthetic --num_nodes 2449029 --num_edges 61859140 \
      --num_train 196615 --num_valid 39323 --num_parts 4 --out OUT
  partition_graph --dataset_dir datasets/cora --feature_dtype bfloat16 --out OUT
  partition_graph --verify_only --part_config OUT/cora.json --dataset_dir datasets/cora

Writes OUT/<graph_name>.json (the partition config), OUT/part<N>/ (one RocksDB
database per part) and OUT/orig_node_ids.bin (original ID of each new ID).
Nodes are relabelled so that each part owns one contiguous ID range.
--verify checks the set before putting it in place; --verify_only checks a set
already on disk (e.g. after copying it) and writes nothing.

Input: the OGB node-property raw layout (raw/*.csv.gz, split/<name>/*.csv.gz;
see datasets/FORMAT.md), read as given: edge rows are NOT deduplicated and
self-loops are kept; with add_inverse_edge=True each row (u,v) is stored as
the edges (u,v) and (v,u). METIS sees the symmetrised, deduplicated graph.

Synthetic graphs: power-law degrees, communities of ~2000 nodes with one
class each, 80% of edges inside a community, features = weak class signal +
N(0,1) noise. Expected accuracy: a node's own features alone classify poorly
(nearest class centroid gets roughly 30-50% with 47 classes), while averaging
over neighbours, 80% of which share the class, removes most of the noise:
a 2-layer GraphSAGE should reach 90% or more test accuracy.)";

// `split` overrides the meta row's split of an OGB dataset when non-empty.
absl::StatusOr<GraphDataset> LoadDataset(int num_threads, const std::string& split) {
  const std::string dataset = absl::GetFlag(FLAGS_dataset);
  if (dataset == "synthetic") {
    SyntheticGraphOptions options;
    options.num_nodes = absl::GetFlag(FLAGS_num_nodes);
    options.num_undirected_edges = absl::GetFlag(FLAGS_num_edges);
    options.avg_degree = absl::GetFlag(FLAGS_avg_degree);
    options.feat_dim = absl::GetFlag(FLAGS_feat_dim);
    options.num_classes = absl::GetFlag(FLAGS_num_classes);
    options.num_train = absl::GetFlag(FLAGS_num_train);
    options.num_valid = absl::GetFlag(FLAGS_num_valid);
    options.train_fraction = absl::GetFlag(FLAGS_train_fraction);
    options.valid_fraction = absl::GetFlag(FLAGS_valid_fraction);
    options.seed = absl::GetFlag(FLAGS_seed);
    options.num_threads = num_threads;
    return GenerateSyntheticGraph(options);
  }
  std::string data_root = absl::GetFlag(FLAGS_data_root);
  const std::string dataset_dir = absl::GetFlag(FLAGS_dataset_dir);
  if (!data_root.empty() && !dataset_dir.empty()) {
    return absl::InvalidArgumentError(
        "give --data_root DIR (with --dataset NAME) or --dataset_dir PATH, not both");
  }
  if (!data_root.empty() && dataset.empty()) {
    return absl::InvalidArgumentError("--data_root needs --dataset NAME (e.g. ogbn-products)");
  }
  if (dataset.empty() && dataset_dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("say where the dataset is: --dataset NAME (found under --data_root, default ",
                     kDefaultDataRoot, "/), or --dataset_dir PATH, or --dataset synthetic"));
  }
  const bool default_root = data_root.empty() && dataset_dir.empty();
  if (default_root) data_root = kDefaultDataRoot;
  absl::StatusOr<OgbLocation> location =
      LocateOgbDataset(dataset, data_root, dataset_dir, absl::GetFlag(FLAGS_master_csv));
  if (!location.ok() && default_root) {
    return absl::Status(
        location.status().code(),
        absl::StrCat(location.status().message(), "; --data_root defaults to ", kDefaultDataRoot,
                     "/ in the working folder (where OGB downloads it): give "
                     "--data_root DIR for another place"));
  }
  if (!location.ok()) return location.status();
  std::fprintf(stderr, "[load] %s from %s\n", location->meta.name.c_str(), location->dir.c_str());
  return LoadOgbDataset(*location, split);
}

int NumThreads() {
  const int num_threads = absl::GetFlag(FLAGS_num_threads);
  return num_threads > 0 ? num_threads : std::max(1u, std::thread::hardware_concurrency());
}

// --out, DGL's --output, or DGL's default "data".
absl::StatusOr<std::string> OutputFolder() {
  const std::string out = absl::GetFlag(FLAGS_out);
  const std::string output = absl::GetFlag(FLAGS_output);
  if (!out.empty() && !output.empty() && out != output) {
    return absl::InvalidArgumentError(absl::StrCat("--out=", out, " and --output=", output,
                                                   " are the same flag (DGL's name); give one"));
  }
  if (!out.empty()) return out;
  if (!output.empty()) return output;
  return std::string(kDefaultOutputFolder);
}

// Whether an existing set in the output folder may be replaced: --overwrite,
// or (as DGL's partition_graph.py does) a set of the same graph in the
// default folder, e.g. `--num_parts 1` after `--num_parts 4`.
bool ReplaceExistingSet(const std::string& out_dir) {
  if (absl::GetFlag(FLAGS_overwrite)) return true;
  if (!absl::GetFlag(FLAGS_out).empty() || !absl::GetFlag(FLAGS_output).empty()) return false;
  // The graph name as LoadDataset will set it.
  std::string graph_name = absl::GetFlag(FLAGS_graph_name);
  if (graph_name.empty()) graph_name = absl::GetFlag(FLAGS_dataset);
  if (graph_name.empty()) return false;
  const std::filesystem::path config = std::filesystem::path(out_dir) / ConfigFileName(graph_name);
  std::error_code error;
  if (!std::filesystem::exists(config, error)) return false;
  std::fprintf(stderr,
               "[out] replacing the partition set of %s in %s/ (the default output folder; "
               "--out keeps sets apart)\n",
               config.filename().c_str(), out_dir.c_str());
  return true;
}

// --verify_only: checks the set of --part_config against the reloaded dataset.
absl::Status VerifyExisting() {
  const std::string config_path = absl::GetFlag(FLAGS_part_config);
  if (config_path.empty()) {
    return absl::InvalidArgumentError(
        "--verify_only needs --part_config OUT/<graph_name>.json, the set to check");
  }
  if (!absl::GetFlag(FLAGS_out).empty() || !absl::GetFlag(FLAGS_output).empty()) {
    return absl::InvalidArgumentError(
        "--verify_only writes nothing: drop --out (the set to check is --part_config)");
  }
  DS_ASSIGN_OR_RETURN(PartitionConfig config, PartitionConfig::Load(config_path));
  const bool split_from_config = absl::GetFlag(FLAGS_split).empty();
  absl::StatusOr<GraphDataset> dataset =
      LoadDataset(NumThreads(), split_from_config ? config.split_name : absl::GetFlag(FLAGS_split));
  if (!dataset.ok() && split_from_config) {
    // The split name came from the config, not from the user: say so.
    return absl::Status(dataset.status().code(),
                        absl::StrCat(dataset.status().message(), " (--verify_only loads split '",
                                     config.split_name, "', named in ", config_path, ")"));
  }
  if (!dataset.ok()) return dataset.status();
  DS_RETURN_IF_ERROR(VerifyPartitions(config_path, *dataset));
  std::printf(
      "verify OK: %s: %d part(s), %lld nodes, %lld directed edges; every node owned once, every "
      "edge kept once, features, labels and splits identical\n",
      config_path.c_str(), config.num_parts(), static_cast<long long>(config.num_nodes),
      static_cast<long long>(config.num_edges));
  return absl::OkStatus();
}

absl::Status Run() {
  if (absl::GetFlag(FLAGS_verify_only)) return VerifyExisting();
  if (!absl::GetFlag(FLAGS_part_config).empty()) {
    return absl::InvalidArgumentError(
        "--part_config is only read with --verify_only (the output folder is --out)");
  }
  const int num_parts = absl::GetFlag(FLAGS_num_parts);
  if (num_parts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--num_parts ", num_parts, " is out of range: use 1 or more"));
  }
  AssignmentOptions assignment;
  DS_ASSIGN_OR_RETURN(assignment.method, ParsePartMethod(absl::GetFlag(FLAGS_part_method)));
  const std::string feature_dtype = absl::GetFlag(FLAGS_feature_dtype);
  DS_RETURN_IF_ERROR(CheckFeatureDtype(feature_dtype, "--feature_dtype"));
  const int num_threads = NumThreads();
  // Refuse an occupied --out before spending minutes on loading.
  DS_ASSIGN_OR_RETURN(const std::string out_dir, OutputFolder());
  DS_ASSIGN_OR_RETURN(StagedOutput output,
                      StagedOutput::Create(out_dir, ReplaceExistingSet(out_dir)));
  for (const std::string& stale : output.removed_stale()) {
    std::fprintf(stderr, "note: removed '%s', the staging folder of an interrupted run\n",
                 stale.c_str());
  }
  ProgressMeter total("partition_graph", "nodes");
  DS_ASSIGN_OR_RETURN(GraphDataset dataset, LoadDataset(num_threads, absl::GetFlag(FLAGS_split)));
  if (!absl::GetFlag(FLAGS_graph_name).empty()) dataset.name = absl::GetFlag(FLAGS_graph_name);
  std::fprintf(
      stderr, "[load] %lld nodes, %lld directed edges, %lld features, %lld classes\n",
      static_cast<long long>(dataset.num_nodes), static_cast<long long>(dataset.num_edges()),
      static_cast<long long>(dataset.feat_dim), static_cast<long long>(dataset.num_classes));

  assignment.num_parts = num_parts;
  assignment.balance_train = absl::GetFlag(FLAGS_balance_train);
  assignment.balance_edges = absl::GetFlag(FLAGS_balance_edges);
  assignment.seed = absl::GetFlag(FLAGS_seed);
  assignment.num_threads = num_threads;
  DS_ASSIGN_OR_RETURN(std::vector<int32_t> part, AssignNodesToParts(dataset, assignment));
  const Relabeling relabeling = RelabelByPart(part, num_parts);
  part = {};

  WriteOptions write;
  write.part_method = PartMethodName(assignment.method);
  write.balance_train = assignment.balance_train;
  write.balance_edges = assignment.balance_edges;
  write.num_threads = num_threads;
  write.feature_dtype = feature_dtype;
  DS_ASSIGN_OR_RETURN(PartitionConfig config,
                      WritePartitions(dataset, relabeling, write, output.staging_dir()));
  const std::string config_file = ConfigFileName(dataset.name);
  if (absl::GetFlag(FLAGS_verify)) {
    DS_RETURN_IF_ERROR(VerifyPartitions(
        (std::filesystem::path(output.staging_dir()) / config_file).string(), dataset));
    std::fprintf(stderr,
                 "[verify] OK: every node owned once, every edge kept once, features, "
                 "labels and splits identical\n");
  }
  DS_RETURN_IF_ERROR(output.Commit(config_file));
  total.Finish(dataset.num_nodes);
  std::printf("%s", FormatPartitionSummary(config).c_str());
  std::printf("wrote %s\n", (std::filesystem::path(out_dir) / config_file).string().c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(distsage::kUsage);
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = distsage::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "partition_graph: error: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
