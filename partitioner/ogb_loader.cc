#include "partitioner/ogb_loader.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/partition_format.h"
#include "common/status_macros.h"
#include "partitioner/csv_numbers.h"
#include "partitioner/gzip_line_reader.h"
#include "partitioner/progress_meter.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;
using partition_format::SplitMask;

constexpr int64_t kProgressBatch = 1 << 16;

std::string Underscored(const std::string& name) { return absl::StrReplaceAll(name, {{"-", "_"}}); }

bool IsDatasetFolder(const fs::path& dir) {
  std::error_code error;
  return fs::is_directory(dir / "raw", error);
}

absl::StatusOr<std::vector<DatasetMeta>> ReadMetaTable(const std::string& master_csv,
                                                       const fs::path& beside_dataset) {
  std::vector<DatasetMeta> metas;
  std::error_code error;
  if (!master_csv.empty()) {
    DS_ASSIGN_OR_RETURN(metas, ReadMasterCsv(master_csv));
  } else if (fs::exists(beside_dataset / "master.csv", error)) {
    DS_ASSIGN_OR_RETURN(metas, ReadMasterCsv((beside_dataset / "master.csv").string()));
  }
  const bool has_products = std::any_of(metas.begin(), metas.end(), [](const DatasetMeta& meta) {
    return meta.name == "ogbn-products";
  });
  if (!has_products) metas.push_back(OgbnProductsMeta());
  return metas;
}

std::string KnownNames(const std::vector<DatasetMeta>& metas) {
  std::vector<std::string> names;
  for (const DatasetMeta& meta : metas) names.push_back(meta.name);
  return absl::StrJoin(names, ", ");
}

// Reads the single integer of raw/num-node-list or raw/num-edge-list.
absl::StatusOr<int64_t> ReadSingleCount(const std::string& path) {
  DS_ASSIGN_OR_RETURN(GzipLineReader reader, GzipLineReader::Open(path));
  absl::string_view line;
  int64_t value = 0;
  if (!reader.Next(&line)) {
    DS_RETURN_IF_ERROR(reader.status());
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": empty; expected one integer (re-download the dataset)"));
  }
  if (!ParseInt64(line, &value) || value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(reader.Where(), "expected one non-negative integer, got '", line, "'"));
  }
  while (reader.Next(&line)) {
    if (!line.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(reader.Where(), "more than one graph; only single-graph node-property ",
                       "datasets are supported"));
    }
  }
  DS_RETURN_IF_ERROR(reader.status());
  return value;
}

// zlib's deflate expands data at most 1032:1, so a file of S bytes holds at
// most S * 1032 bytes of text, compressed or not.
constexpr int64_t kMaxInflation = 1032;

// The most rows `path` can hold when each row but the last takes at least
// `min_row_bytes` bytes with its line end: what a count read from another
// file must not exceed before anything is sized by it (a count file from
// another dataset, or damaged, must not make the loader allocate terabytes).
absl::StatusOr<int64_t> MaxRows(const std::string& path, int64_t min_row_bytes) {
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  if (error) {
    return absl::NotFoundError(absl::StrCat("cannot open '", path, "': ", error.message(),
                                            " (check the path; the dataset may be incomplete)"));
  }
  return (static_cast<int64_t>(size) * kMaxInflation + min_row_bytes - 1) / min_row_bytes;
}

// INVALID_ARGUMENT unless `count` (of `what`, read from `count_file`) rows fit
// in `path`.
absl::Status CheckCountFits(int64_t count, absl::string_view what, absl::string_view count_file,
                            const std::string& path, int64_t min_row_bytes) {
  DS_ASSIGN_OR_RETURN(const int64_t max_rows, MaxRows(path, min_row_bytes));
  if (count <= max_rows) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      count_file, " says ", count, " ", what, ", but ", path, " is too small to hold more than ",
      max_rows, " rows: the files do not belong together (re-download the dataset)"));
}

absl::Status MalformedLine(const GzipLineReader& reader, absl::string_view line,
                           absl::string_view expected) {
  constexpr size_t kShown = 80;
  std::string shown(line.substr(0, kShown));
  if (line.size() > kShown) shown += "...";
  return absl::InvalidArgumentError(absl::StrCat(reader.Where(), "malformed line: expected ",
                                                 expected, ", got '", shown,
                                                 "' (fix the file or re-download the dataset)"));
}

absl::Status RowCountMismatch(const std::string& path, int64_t rows, int64_t expected,
                              absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": has ", rows, " rows but ", why, " says ",
                                                 expected,
                                                 " (the file is truncated or does not belong to "
                                                 "this dataset; re-download it)"));
}

// Reads E edge rows into (src, dst) pairs, checking endpoints against N.
absl::StatusOr<std::vector<int64_t>> ReadEdgeRows(const std::string& path, int64_t num_nodes,
                                                  int64_t num_rows) {
  DS_ASSIGN_OR_RETURN(GzipLineReader reader, GzipLineReader::Open(path));
  std::vector<int64_t> rows;
  rows.reserve(2 * num_rows);
  ProgressMeter progress("load edges", "rows", num_rows);
  absl::string_view line;
  while (reader.Next(&line)) {
    int64_t endpoints[2];
    int fields = 0;
    const bool parsed = ForEachCsvField(line, [&](absl::string_view field) {
      return fields < 2 && ParseInt64(field, &endpoints[fields++]);
    });
    if (!parsed || fields != 2) return MalformedLine(reader, line, "two integers 'src,dst'");
    for (int64_t endpoint : endpoints) {
      if (endpoint < 0 || endpoint >= num_nodes) {
        return absl::InvalidArgumentError(absl::StrCat(
            reader.Where(), "edge endpoint ", endpoint, " is out of range: num-node-list.csv.gz",
            " says the graph has ", num_nodes, " nodes (IDs 0..", num_nodes - 1,
            "); fix the edge or the node count"));
      }
    }
    rows.push_back(endpoints[0]);
    rows.push_back(endpoints[1]);
    if (reader.line_number() % kProgressBatch == 0) progress.Add(kProgressBatch);
  }
  DS_RETURN_IF_ERROR(reader.status());
  progress.Add(reader.line_number() % kProgressBatch);
  progress.Finish();
  if (reader.line_number() != num_rows) {
    return RowCountMismatch(path, reader.line_number(), num_rows, "raw/num-edge-list.csv.gz");
  }
  return rows;
}

absl::Status ReadFeatures(const std::string& path, GraphDataset* dataset) {
  DS_ASSIGN_OR_RETURN(GzipLineReader reader, GzipLineReader::Open(path));
  // Each number takes at least 2 bytes ("0,"): the file holds no more.
  DS_ASSIGN_OR_RETURN(const int64_t max_values, MaxRows(path, 2));
  const int64_t num_nodes = dataset->num_nodes;
  ProgressMeter progress("load features", "rows", num_nodes);
  absl::string_view line;
  while (reader.Next(&line)) {
    if (reader.line_number() == 1) {
      // D is not written anywhere else: it is the first row's field count.
      dataset->feat_dim = std::count(line.begin(), line.end(), ',') + 1;
      dataset->features.reserve(
          num_nodes > max_values / dataset->feat_dim ? max_values : num_nodes * dataset->feat_dim);
    }
    if (reader.line_number() > num_nodes) {
      return RowCountMismatch(path, reader.line_number(), num_nodes, "raw/num-node-list.csv.gz");
    }
    int64_t fields = 0;
    const bool parsed = ForEachCsvField(line, [&](absl::string_view field) {
      float value = 0;
      if (++fields > dataset->feat_dim || !ParseFloat(field, &value)) return false;
      dataset->features.push_back(value);
      return true;
    });
    if (!parsed || fields != dataset->feat_dim) {
      return MalformedLine(
          reader, line,
          absl::StrCat(dataset->feat_dim, " comma-separated numbers (the field count of row 1)"));
    }
    if (reader.line_number() % kProgressBatch == 0) progress.Add(kProgressBatch);
  }
  DS_RETURN_IF_ERROR(reader.status());
  progress.Add(reader.line_number() % kProgressBatch);
  progress.Finish();
  if (reader.line_number() != num_nodes) {
    return RowCountMismatch(path, reader.line_number(), num_nodes, "raw/num-node-list.csv.gz");
  }
  return absl::OkStatus();
}

absl::Status ReadLabels(const std::string& path, GraphDataset* dataset) {
  DS_ASSIGN_OR_RETURN(GzipLineReader reader, GzipLineReader::Open(path));
  dataset->labels.reserve(dataset->num_nodes);
  absl::string_view line;
  while (reader.Next(&line)) {
    int64_t label = 0;
    if (!ParseLabel(line, &label)) return MalformedLine(reader, line, "one integer class label");
    if (label < -1 || label >= dataset->num_classes) {
      return absl::InvalidArgumentError(
          absl::StrCat(reader.Where(), "label ", label, " is outside [0, ", dataset->num_classes,
                       "): master.csv says 'num classes' is ", dataset->num_classes,
                       " (fix the label or the meta row)"));
    }
    dataset->labels.push_back(label);
  }
  DS_RETURN_IF_ERROR(reader.status());
  if (reader.line_number() != dataset->num_nodes) {
    return RowCountMismatch(path, reader.line_number(), dataset->num_nodes,
                            "raw/num-node-list.csv.gz");
  }
  return absl::OkStatus();
}

absl::Status ReadSplit(const fs::path& dataset_dir, const std::string& split,
                       GraphDataset* dataset) {
  const fs::path split_dir = dataset_dir / "split" / split;
  std::error_code error;
  if (!fs::is_directory(split_dir, error)) {
    std::vector<std::string> available;
    for (const auto& entry : fs::directory_iterator(dataset_dir / "split", error)) {
      if (entry.is_directory()) available.push_back(entry.path().filename().string());
    }
    std::sort(available.begin(), available.end());
    return absl::NotFoundError(absl::StrCat(
        "split '", split, "' not found: no folder ", split_dir.string(), " (available: ",
        available.empty() ? "none" : absl::StrJoin(available, ", "), "; choose one with --split)"));
  }
  dataset->split_name = split;
  dataset->split_mask.assign(dataset->num_nodes, 0);
  const uint8_t bits[] = {partition_format::kTrainBit, partition_format::kValidBit,
                          partition_format::kTestBit};
  for (int s = 0; s < 3; ++s) {
    const std::string path =
        (split_dir / absl::StrCat(partition_format::kSplitNames[s], ".csv.gz")).string();
    DS_ASSIGN_OR_RETURN(GzipLineReader reader, GzipLineReader::Open(path));
    absl::string_view line;
    while (reader.Next(&line)) {
      int64_t node = 0;
      if (!ParseInt64(line, &node)) return MalformedLine(reader, line, "one integer node ID");
      if (node < 0 || node >= dataset->num_nodes) {
        return absl::InvalidArgumentError(
            absl::StrCat(reader.Where(), "split names unknown node ", node, ": the graph has ",
                         dataset->num_nodes, " nodes (IDs 0..", dataset->num_nodes - 1,
                         "); the split does not belong to this dataset"));
      }
      dataset->split_mask[node] |= bits[s];
    }
    DS_RETURN_IF_ERROR(reader.status());
  }
  return absl::OkStatus();
}

}  // namespace

std::string OgbDatasetName(const std::string& name) {
  if (name == "ogb-product") return "ogbn-products";
  if (name == "ogb-paper100M") return "ogbn-papers100M";
  return name;
}

absl::StatusOr<OgbLocation> LocateOgbDataset(const std::string& dgl_or_ogb_name,
                                             const std::string& data_root,
                                             const std::string& dataset_dir,
                                             const std::string& master_csv) {
  OgbLocation location;
  location.graph_name = dgl_or_ogb_name;
  const std::string dataset = OgbDatasetName(dgl_or_ogb_name);
  // "'ogb-product' (ogbn-products)" when the user gave DGL's alias.
  const std::string quoted = dataset == dgl_or_ogb_name
                                 ? absl::StrCat("'", dataset, "'")
                                 : absl::StrCat("'", dgl_or_ogb_name, "' (", dataset, ")");
  if (!data_root.empty()) {
    DS_ASSIGN_OR_RETURN(std::vector<DatasetMeta> metas, ReadMetaTable(master_csv, data_root));
    auto it = std::find_if(metas.begin(), metas.end(),
                           [&](const DatasetMeta& meta) { return meta.name == dataset; });
    if (it == metas.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown dataset ", quoted, ": not a column of ",
          master_csv.empty() ? (fs::path(data_root) / "master.csv").string() : master_csv,
          " and not built in (known: ", KnownNames(metas), ", synthetic); pass --master_csv ",
          "with its meta row, or --dataset synthetic"));
    }
    location.meta = *it;
    const std::vector<fs::path> candidates = {fs::path(data_root) / Underscored(dataset),
                                              fs::path(data_root) / (Underscored(dataset) + "_dgl"),
                                              fs::path(data_root) / it->download_name};
    for (const fs::path& candidate : candidates) {
      if (IsDatasetFolder(candidate)) {
        location.dir = candidate.string();
        break;
      }
    }
    if (location.dir.empty()) {
      std::vector<std::string> tried;
      for (const fs::path& candidate : candidates) tried.push_back(candidate.string());
      return absl::NotFoundError(absl::StrCat("dataset ", quoted, " not found under --data_root ",
                                              data_root, ": none of ", absl::StrJoin(tried, ", "),
                                              " holds a raw/ folder (download and unzip it there, ",
                                              "or pass --dataset_dir)"));
    }
  } else {
    const fs::path dir = fs::path(dataset_dir);
    if (!IsDatasetFolder(dir)) {
      return absl::NotFoundError(absl::StrCat("--dataset_dir ", dataset_dir,
                                              " has no raw/ folder: not a dataset in the OGB "
                                              "node-property layout (see datasets/FORMAT.md)"));
    }
    const fs::path absolute = fs::absolute(dir).lexically_normal();
    const std::string folder =
        (absolute.has_filename() ? absolute : absolute.parent_path()).filename().string();
    DS_ASSIGN_OR_RETURN(std::vector<DatasetMeta> metas,
                        ReadMetaTable(master_csv, absolute.parent_path()));
    auto it = std::find_if(metas.begin(), metas.end(), [&](const DatasetMeta& meta) {
      if (!dataset.empty()) return meta.name == dataset;
      return folder == Underscored(meta.name) || folder == Underscored(meta.name) + "_dgl" ||
             folder == meta.download_name;
    });
    if (it == metas.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(dataset.empty() ? absl::StrCat("cannot tell which dataset '", folder, "' is")
                                       : absl::StrCat("unknown dataset ", quoted),
                       ": no meta row matches (known: ", KnownNames(metas),
                       "); pass --dataset NAME and/or --master_csv PATH"));
    }
    location.meta = *it;
    location.dir = dataset_dir;
  }
  if (!location.meta.unsupported.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("dataset '", location.meta.name, "' ",
                                                   location.meta.unsupported,
                                                   ": partition_graph reads homogeneous "
                                                   "single-label CSV datasets"));
  }
  return location;
}

absl::StatusOr<GraphDataset> LoadOgbDataset(const OgbLocation& location, const std::string& split) {
  const fs::path raw = fs::path(location.dir) / "raw";
  GraphDataset dataset;
  dataset.name = location.graph_name.empty() ? location.meta.name : location.graph_name;
  dataset.num_classes = location.meta.num_classes;
  DS_ASSIGN_OR_RETURN(const int64_t num_nodes,
                      ReadSingleCount((raw / "num-node-list.csv.gz").string()));
  DS_ASSIGN_OR_RETURN(const int64_t num_rows,
                      ReadSingleCount((raw / "num-edge-list.csv.gz").string()));
  // Rows take at least 2 bytes ("0\n") in node-label.csv.gz, 4 ("0,1\n") in
  // edge.csv.gz.
  DS_RETURN_IF_ERROR(CheckCountFits(num_nodes, "nodes", "raw/num-node-list.csv.gz",
                                    (raw / "node-label.csv.gz").string(), 2));
  DS_RETURN_IF_ERROR(CheckCountFits(num_rows, "edge rows", "raw/num-edge-list.csv.gz",
                                    (raw / "edge.csv.gz").string(), 4));
  {
    DS_ASSIGN_OR_RETURN(std::vector<int64_t> rows,
                        ReadEdgeRows((raw / "edge.csv.gz").string(), num_nodes, num_rows));
    BuildInEdges(num_nodes, location.meta.add_inverse_edge, &rows, &dataset);
  }
  if (location.meta.has_node_attr) {
    DS_RETURN_IF_ERROR(ReadFeatures((raw / "node-feat.csv.gz").string(), &dataset));
  }
  DS_RETURN_IF_ERROR(ReadLabels((raw / "node-label.csv.gz").string(), &dataset));
  DS_RETURN_IF_ERROR(
      ReadSplit(location.dir, split.empty() ? location.meta.split : split, &dataset));
  return dataset;
}

}  // namespace distsage
