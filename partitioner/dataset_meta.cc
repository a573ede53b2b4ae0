#include "partitioner/dataset_meta.h"

#include <fstream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "partitioner/csv_numbers.h"

namespace distsage {

absl::StatusOr<std::vector<DatasetMeta>> ReadMasterCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read master.csv '", path,
                                            "': missing or unreadable (pass --master_csv PATH)"));
  }
  std::vector<std::string> names;
  // rows[key][column] for column 1..names.size().
  std::map<std::string, std::vector<std::string>> rows;
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (names.empty()) {
      names.assign(fields.begin() + 1, fields.end());
      continue;
    }
    if (fields.size() != names.size() + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": expected ", names.size() + 1,
                       " comma-separated fields like the header row, got ", fields.size()));
    }
    rows[fields[0]].assign(fields.begin() + 1, fields.end());
  }
  if (names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": empty; expected OGB's master.csv"));
  }
  std::vector<DatasetMeta> metas;
  for (size_t c = 0; c < names.size(); ++c) {
    std::string problem;
    auto value = [&](const std::string& key) -> std::string {
      auto it = rows.find(key);
      if (it == rows.end()) {
        if (problem.empty()) problem = absl::StrCat("has no row '", key, "'");
        return "";
      }
      return std::string(absl::StripAsciiWhitespace(it->second[c]));
    };
    auto flag = [&](const std::string& key) { return value(key) == "True"; };
    DatasetMeta meta;
    meta.name = names[c];
    meta.download_name = value("download_name");
    meta.add_inverse_edge = flag("add_inverse_edge");
    meta.has_node_attr = flag("has_node_attr");
    meta.split = value("split");
    const std::string num_classes = value("num classes");
    const std::string num_tasks = value("num tasks");
    if (problem.empty() && !ParseInt64(num_classes, &meta.num_classes)) {
      problem = absl::StrCat("'num classes' is '", num_classes, "', not an integer");
    }
    if (problem.empty() && num_tasks != "1") {
      problem = absl::StrCat("has ", num_tasks, " tasks; only single-label datasets are supported");
    }
    if (problem.empty() && flag("is hetero")) problem = "is heterogeneous (not supported)";
    if (problem.empty() && flag("binary")) problem = "is stored as data.npz (binary=True)";
    if (problem.empty() && flag("has_edge_attr")) problem = "has edge features (not supported)";
    if (problem.empty()) {
      const std::string extra_nodes = value("additional node files");
      const std::string extra_edges = value("additional edge files");
      if (extra_nodes != "None" || extra_edges != "None") {
        problem = "has additional node/edge files (not supported)";
      }
    }
    meta.unsupported = problem;
    metas.push_back(meta);
  }
  return metas;
}

DatasetMeta OgbnProductsMeta() {
  DatasetMeta meta;
  meta.name = "ogbn-products";
  meta.download_name = "products";
  meta.num_classes = 47;
  meta.add_inverse_edge = true;
  meta.has_node_attr = true;
  meta.split = "sales_ranking";
  return meta;
}

}  // namespace distsage
