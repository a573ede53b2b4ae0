// A five-node dataset in the OGB node-property raw layout, written into a
// test folder, with hooks to corrupt single files for bad-input tests.
#ifndef DISTSAGE_TESTS_PARTITIONER_TINY_DATASET_H_
#define DISTSAGE_TESTS_PARTITIONER_TINY_DATASET_H_

#include <map>
#include <string>

namespace distsage::testing {

// Relative path (under the dataset folder) -> uncompressed text.
using DatasetFiles = std::map<std::string, std::string>;

// The tiny dataset "tiny-graph": 5 nodes, 4 stored edge rows (one repeated,
// one self-loop), 3 features with signs and exponents, 2 classes, split
// "s1" with train {0,1}, valid {2}, test {3}; node 4 is in no split.
DatasetFiles TinyDatasetFiles();

// Writes `files` gzip-compressed under ROOT/tiny_graph/ and ROOT/master.csv
// (column "tiny-graph", add_inverse_edge=True, split s1). Returns the
// dataset folder.
std::string WriteTinyDataset(const std::string& root, const DatasetFiles& files);

// Writes `text` gzip-compressed to `path`.
void WriteGzipFile(const std::string& path, const std::string& text);

}  // namespace distsage::testing

#endif  // DISTSAGE_TESTS_PARTITIONER_TINY_DATASET_H_
