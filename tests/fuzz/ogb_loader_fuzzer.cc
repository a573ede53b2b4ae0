// Fuzzes the dataset loader (LocateOgbDataset + LoadOgbDataset, with
// ReadMasterCsv, GzipLineReader and the CSV number parsers under them) on a
// whole dataset folder in the OGB layout. The folder is a small real one:
// the first 25 nodes of datasets/cora (their feature rows, labels and the two
// edges between them, its master.csv column), written at start. The input's
// first byte picks one of its nine files, the rest replaces that file's
// contents; the other eight stay valid, so the fuzzer reaches the checks
// that compare files with one another (row counts, node ranges, labels
// against the class count). A dataset that loads must be consistent: one
// label and one split mask per node, num_nodes x feat_dim features, and an
// in-edge CSR over num_nodes nodes with sources in range.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "partitioner/gzip_line_reader.h"
#include "partitioner/ogb_loader.h"
#include "tests/fuzz/fuzz_support.h"

namespace distsage::fuzz {
namespace {

constexpr int kNodes = 25;  // Cora's nodes 0..24.

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "ogb loader: %s\n", what.c_str());
  std::abort();
}

// The first `count` lines of a real dataset file (all of them for -1).
std::vector<std::string> RealLines(const std::string& path, int count) {
  absl::StatusOr<GzipLineReader> reader = GzipLineReader::Open(path);
  if (!reader.ok()) Fail(std::string(reader.status().message()));
  std::vector<std::string> lines;
  absl::string_view line;
  while ((count < 0 || static_cast<int>(lines.size()) < count) && reader->Next(&line)) {
    lines.emplace_back(line);
  }
  return lines;
}

std::string Lines(const std::vector<std::string>& lines) {
  return absl::StrCat(absl::StrJoin(lines, "\n"), "\n");
}

struct DatasetFolder {
  std::string master_csv;
  std::string dir;
  std::vector<std::string> files;     // Paths, in selector order.
  std::vector<std::string> contents;  // Their valid contents.
};

DatasetFolder MakeFolder() {
  const std::string cora = DatasetsDir() + "/cora";
  DatasetFolder folder;
  folder.master_csv = ScratchDir() + "/master.csv";
  folder.dir = ScratchDir() + "/cora";
  std::filesystem::create_directories(folder.dir + "/raw");
  std::filesystem::create_directories(folder.dir + "/split/planetoid");
  // Cora's edges among nodes 0..24 (its rows are sorted by source).
  std::vector<std::string> edges;
  for (const std::string& row : RealLines(cora + "/raw/edge.csv.gz", -1)) {
    const size_t comma = row.find(',');
    if (std::stoll(row.substr(0, comma)) < kNodes && std::stoll(row.substr(comma + 1)) < kNodes) {
      edges.push_back(row);
    }
  }
  // Cora's train split holds nodes 0..139; here nodes 0..19 train, 20..22
  // validate and 23..24 test.
  const std::vector<std::pair<std::string, std::string>> files = {
      {folder.master_csv, Lines(RealLines(DatasetsDir() + "/master.csv", -1))},
      {"raw/num-node-list.csv.gz", absl::StrCat(kNodes, "\n")},
      {"raw/num-edge-list.csv.gz", absl::StrCat(edges.size(), "\n")},
      {"raw/edge.csv.gz", Lines(edges)},
      {"raw/node-feat.csv.gz", Lines(RealLines(cora + "/raw/node-feat.csv.gz", kNodes))},
      {"raw/node-label.csv.gz", Lines(RealLines(cora + "/raw/node-label.csv.gz", kNodes))},
      {"split/planetoid/train.csv.gz",
       Lines(RealLines(cora + "/split/planetoid/train.csv.gz", 20))},
      {"split/planetoid/valid.csv.gz", "20\n21\n22\n"},
      {"split/planetoid/test.csv.gz", "23\n24\n"},
  };
  for (const auto& [name, contents] : files) {
    folder.files.push_back(name == folder.master_csv ? name : folder.dir + "/" + name);
    folder.contents.push_back(contents);
    WriteFileOrDie(folder.files.back(), contents);
  }
  return folder;
}

void CheckConsistent(const GraphDataset& dataset) {
  const int64_t n = dataset.num_nodes;
  if (static_cast<int64_t>(dataset.labels.size()) != n) Fail("labels are not one per node");
  if (static_cast<int64_t>(dataset.split_mask.size()) != n)
    Fail("split masks are not one per node");
  if (static_cast<int64_t>(dataset.features.size()) != n * dataset.feat_dim) {
    Fail("features are not num_nodes x feat_dim");
  }
  if (static_cast<int64_t>(dataset.in_ptr.size()) != n + 1 || dataset.in_ptr.front() != 0 ||
      dataset.in_ptr.back() != dataset.num_edges()) {
    Fail("the in-edge CSR does not cover the nodes and edges");
  }
  for (int64_t v = 0; v < n; ++v) {
    if (dataset.in_ptr[v] > dataset.in_ptr[v + 1]) Fail("the in-edge offsets go backwards");
    if (dataset.labels[v] < -1 || dataset.labels[v] >= dataset.num_classes) Fail("a bad label");
  }
  for (const int64_t source : dataset.in_src) {
    if (source < 0 || source >= n) Fail("an edge source out of range");
  }
}

}  // namespace
}  // namespace distsage::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace distsage;
  using namespace distsage::fuzz;
  static const DatasetFolder* const folder = new DatasetFolder(MakeFolder());
  const Selected input = SplitSelector(data, size);
  const size_t replaced = input.selector % folder->files.size();
  WriteFileOrDie(folder->files[replaced], input.rest);
  absl::StatusOr<OgbLocation> location = LocateOgbDataset("", "", folder->dir, folder->master_csv);
  if (location.ok()) {
    absl::StatusOr<GraphDataset> dataset = LoadOgbDataset(*location, "");
    if (dataset.ok()) {
      CheckConsistent(*dataset);
    } else if (dataset.status().message().empty()) {
      Fail("an error without a message");
    }
  } else if (location.status().message().empty()) {
    Fail("an error without a message");
  }
  WriteFileOrDie(folder->files[replaced], folder->contents[replaced]);
  return 0;
}
