#include "tests/partitioner/tiny_dataset.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace distsage::testing {

DatasetFiles TinyDatasetFiles() {
  return {
      {"raw/num-node-list.csv.gz", "5\n"},
      {"raw/num-edge-list.csv.gz", "4\n"},
      {"raw/edge.csv.gz", "0,1\n1,2\n0,1\n3,3\n"},
      {"raw/node-feat.csv.gz",
       "-0.057,1e-05,3.2E+01\n0.0,1.0,-2.5e-3\n+1.5,0,7\n-1,-1,-1\n0.125,2E2,-0.0\n"},
      {"raw/node-label.csv.gz", "0\n1\n1\n0\n1\n"},
      {"split/s1/train.csv.gz", "1\n0\n"},
      {"split/s1/valid.csv.gz", "2\n"},
      {"split/s1/test.csv.gz", "3\n"},
  };
}

void WriteGzipFile(const std::string& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("cannot write " + path);
  if (!text.empty()) gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
  gzclose(file);
}

std::string WriteTinyDataset(const std::string& root, const DatasetFiles& files) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(root) / "tiny_graph";
  for (const auto& [relative, text] : files) {
    fs::create_directories((dir / relative).parent_path());
    WriteGzipFile((dir / relative).string(), text);
  }
  std::ofstream master(fs::path(root) / "master.csv");
  master << ",tiny-graph\nnum tasks,1\nnum classes,2\ndownload_name,tiny\nadd_inverse_edge,True\n"
            "has_node_attr,True\nhas_edge_attr,False\nsplit,s1\nadditional node files,None\n"
            "additional edge files,None\nis hetero,False\nbinary,False\n";
  return dir.string();
}

}  // namespace distsage::testing
