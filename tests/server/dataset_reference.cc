#include "tests/server/dataset_reference.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace distsage::testing {
namespace {

// Calls on_line(line) for every line of a .csv.gz file.
template <typename OnLine>
void ForEachLine(const std::string& path, OnLine on_line) {
  gzFile file = gzopen(path.c_str(), "rb");
  ASSERT_NE(file, nullptr) << "cannot open " << path;
  std::vector<char> buffer(1 << 20);
  while (gzgets(file, buffer.data(), static_cast<int>(buffer.size())) != nullptr) {
    std::string line(buffer.data());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (!line.empty()) on_line(line);
  }
  gzclose(file);
}

}  // namespace

DatasetReference LoadDatasetReference(const std::string& dataset_dir, const std::string& split_name,
                                      const std::string& orig_node_ids_path) {
  DatasetReference ref;
  ForEachLine(dataset_dir + "/raw/num-node-list.csv.gz",
              [&](const std::string& line) { ref.num_nodes = std::atoll(line.c_str()); });
  std::ifstream orig_file(orig_node_ids_path, std::ios::binary);
  std::vector<int64_t> orig_of_new(ref.num_nodes);
  orig_file.read(reinterpret_cast<char*>(orig_of_new.data()), ref.num_nodes * sizeof(int64_t));
  EXPECT_TRUE(orig_file.good()) << "cannot read " << orig_node_ids_path;
  std::vector<int64_t> new_of_orig(ref.num_nodes);
  for (int64_t v = 0; v < ref.num_nodes; ++v) new_of_orig[orig_of_new[v]] = v;

  ref.in_neighbors.resize(ref.num_nodes);
  ForEachLine(dataset_dir + "/raw/edge.csv.gz", [&](const std::string& line) {
    char* end = nullptr;
    const int64_t u = new_of_orig[std::strtoll(line.c_str(), &end, 10)];
    const int64_t v = new_of_orig[std::strtoll(end + 1, nullptr, 10)];
    ref.in_neighbors[v].push_back(u);
    ref.in_neighbors[u].push_back(v);
  });
  for (std::vector<int64_t>& list : ref.in_neighbors) std::sort(list.begin(), list.end());

  std::vector<std::vector<float>> rows(ref.num_nodes);
  int64_t orig = 0;
  ForEachLine(dataset_dir + "/raw/node-feat.csv.gz", [&](const std::string& line) {
    std::vector<float>& row = rows[new_of_orig[orig++]];
    const char* cursor = line.c_str();
    while (*cursor != '\0') {
      char* end = nullptr;
      row.push_back(std::strtof(cursor, &end));
      cursor = *end == ',' ? end + 1 : end;
    }
  });
  ref.feat_dim = static_cast<int64_t>(rows[0].size());
  for (const std::vector<float>& row : rows) {
    ref.features.insert(ref.features.end(), row.begin(), row.end());
  }

  ref.labels.assign(ref.num_nodes, -1);
  orig = 0;
  ForEachLine(dataset_dir + "/raw/node-label.csv.gz", [&](const std::string& line) {
    ref.labels[new_of_orig[orig++]] = std::atoll(line.c_str());
  });

  ref.split_masks.assign(ref.num_nodes, 0);
  const char* split_files[] = {"train", "valid", "test"};
  for (int split = 0; split < 3; ++split) {
    ForEachLine(dataset_dir + "/split/" + split_name + "/" + split_files[split] + ".csv.gz",
                [&](const std::string& line) {
                  ref.split_masks[new_of_orig[std::atoll(line.c_str())]] |= 1 << split;
                });
  }
  return ref;
}

}  // namespace distsage::testing
