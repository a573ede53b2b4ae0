#include "partitioner/partition_verifier.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/bfloat16.h"
#include "common/partition_config.h"
#include "common/partition_db_options.h"
#include "common/partition_format.h"
#include "common/status_macros.h"
#include "partitioner/progress_meter.h"
#include "rocksdb/db.h"

namespace distsage {
namespace {

namespace pf = partition_format;

absl::StatusOr<std::vector<int64_t>> ReadOrigNodeIds(const PartitionConfig& config) {
  const std::string path = config.OrigNodeIdsPath();
  std::ifstream in(path, std::ios::binary);
  std::vector<int64_t> ids(config.num_nodes);
  in.read(reinterpret_cast<char*>(ids.data()),
          static_cast<std::streamsize>(ids.size() * sizeof(int64_t)));
  if (!in || in.peek() != std::char_traits<char>::eof()) {
    return absl::DataLossError(
        absl::StrCat(path, ": expected exactly ", config.num_nodes, " LE int64 IDs"));
  }
  return ids;
}

// Names one edge that is in one sorted source list and not in the other.
std::string FirstDifference(const std::vector<int64_t>& stored,
                            const std::vector<int64_t>& expected) {
  std::vector<int64_t> missing, extra;
  std::set_difference(expected.begin(), expected.end(), stored.begin(), stored.end(),
                      std::back_inserter(missing));
  std::set_difference(stored.begin(), stored.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  if (!missing.empty()) return absl::StrCat("edge from original node ", missing[0], " is missing");
  return absl::StrCat("edge from original node ", extra[0], " is not in the dataset");
}

// Checks one partition.
class PartChecker {
 public:
  PartChecker(const PartitionConfig& config, const GraphDataset& source,
              const std::vector<int64_t>& orig_ids, int part)
      : config_(config),
        source_(source),
        orig_ids_(orig_ids),
        part_(part),
        begin_(config.Book().RangeBegin(part)),
        end_(config.Book().RangeEnd(part)),
        feature_prefix_(pf::FeatureKeyPrefix(
            config.node_features.empty() ? std::string() : config.node_features[0].name)) {}

  absl::Status Run(ProgressMeter* progress) {
    const std::string path = config_.PartPath(part_);
    rocksdb::DB* raw_db = nullptr;
    // The writer's options, so that the bloom filter blocks are read (and
    // their checksums checked) like every other block.
    rocksdb::Status opened = rocksdb::DB::OpenForReadOnly(PartitionDbOptions(), path, &raw_db);
    if (!opened.ok()) return Fail("cannot open ", path, ": ", opened.ToString());
    std::unique_ptr<rocksdb::DB> db(raw_db);
    // Every block of every file, whether or not the scan below reads it: a
    // damaged file is reported as such, not as the mismatch it may decode to.
    rocksdb::Status checked = db->VerifyChecksum();
    if (!checked.ok()) return Fail("damaged RocksDB files in ", path, ": ", checked.ToString());
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const absl::string_view key(it->key().data(), it->key().size());
      const absl::string_view value(it->value().data(), it->value().size());
      if (key.empty()) return Fail("empty key");
      DS_RETURN_IF_ERROR(CheckEntry(key, value));
      if (key[0] == pf::kAdjacencyPrefix) progress->Add(1);
    }
    if (!it->status().ok()) return Fail("cannot read ", path, ": ", it->status().ToString());
    const int64_t owned = end_ - begin_;
    const int64_t expected_features = config_.node_features.empty() ? 0 : owned;
    if (next_[0] != end_ || next_[2] != end_ || next_[3] != end_ ||
        feature_rows_ != expected_features) {
      return Fail("missing keys: found ", next_[0] - begin_, " adjacency, ", feature_rows_,
                  " feature, ", next_[2] - begin_, " label, ", next_[3] - begin_,
                  " split records for ", owned, " owned nodes");
    }
    if (!has_meta_) return Fail("no meta record");
    for (int s = 0; s < 3; ++s) {
      if (!has_list_[s]) return Fail("no list of ", pf::kSplitNames[s], " nodes");
    }
    if (num_in_edges_ != config_.parts[part_].num_in_edges) {
      return Fail("holds ", num_in_edges_, " in-edges, config says ",
                  config_.parts[part_].num_in_edges);
    }
    return absl::OkStatus();
  }

  int64_t num_in_edges() const { return num_in_edges_; }

 private:
  template <typename... Args>
  absl::Status Fail(const Args&... args) const {
    return absl::DataLossError(absl::StrCat("verify: part ", part_, ": ", args...));
  }

  // Node keys of each kind must visit the owned range in order, once each.
  absl::Status CheckNodeKey(int kind, absl::string_view key, size_t key_size) {
    const int64_t node = key.size() == key_size ? pf::NodeOfKey(key) : -1;
    if (node != next_[kind] || node >= end_) {
      return Fail("unexpected key kind '", std::string(1, key[0]), "' for node ", node,
                  " (expected node ", next_[kind], " of range [", begin_, ", ", end_, "))");
    }
    node_ = next_[kind]++;
    orig_ = orig_ids_[node_];
    return absl::OkStatus();
  }

  // "node N (original O)": the stored ID and the dataset's, for messages.
  std::string Node() const { return absl::StrCat("node ", node_, " (original ", orig_, ")"); }

  absl::Status CheckEntry(absl::string_view key, absl::string_view value) {
    switch (key[0]) {
      case pf::kAdjacencyPrefix: {
        DS_RETURN_IF_ERROR(CheckNodeKey(0, key, 9));
        std::vector<int64_t> sources;
        if (!pf::UnpackArray(value, &sources)) {
          return Fail(Node(), ": in-edge list of ", value.size(), " bytes is not a whole number ",
                      "of int64 IDs");
        }
        for (int64_t& s : sources) {
          if (s < 0 || s >= config_.num_nodes) {
            return Fail(Node(), ": in-edge source ", s, " out of range");
          }
          s = orig_ids_[s];
        }
        std::vector<int64_t> expected(source_.in_src.begin() + source_.in_ptr[orig_],
                                      source_.in_src.begin() + source_.in_ptr[orig_ + 1]);
        std::sort(sources.begin(), sources.end());
        std::sort(expected.begin(), expected.end());
        if (sources != expected) {
          return Fail(Node(), ": in-edges differ: ", sources.size(), " stored, ", expected.size(),
                      " in the dataset; ", FirstDifference(sources, expected));
        }
        num_in_edges_ += static_cast<int64_t>(sources.size());
        return absl::OkStatus();
      }
      case pf::kFeaturePrefix: {
        if (key.substr(0, feature_prefix_.size()) != feature_prefix_ ||
            config_.node_features.empty()) {
          return Fail("unknown feature key");
        }
        DS_RETURN_IF_ERROR(CheckNodeKey(1, key, feature_prefix_.size() + 8));
        ++feature_rows_;
        const FeatureSpec& spec = config_.node_features[0];
        const size_t dim = static_cast<size_t>(source_.feat_dim);
        const size_t bytes = spec.row_bytes();
        if (value.size() != bytes) {
          return Fail(Node(), ": feature '", spec.name, "' is ", value.size(), " bytes, expected ",
                      dim, " ", spec.dtype);
        }
        // The dataset's row as partition_graph stores it (rounded for
        // bfloat16), compared byte for byte: a NaN in the dataset matches
        // itself.
        const float* row = source_.features.data() + orig_ * dim;
        const size_t element = bytes / dim;
        expected_row_.resize(bytes);
        if (spec.stored_bfloat16()) {
          RoundToBFloat16(absl::MakeConstSpan(row, dim),
                          reinterpret_cast<uint16_t*>(expected_row_.data()));
        } else {
          std::memcpy(expected_row_.data(), row, bytes);
        }
        if (std::memcmp(value.data(), expected_row_.data(), bytes) != 0) {
          size_t i = 0;
          while (std::memcmp(value.data() + i * element, expected_row_.data() + i * element,
                             element) == 0) {
            ++i;
          }
          float stored_element, expected_element;
          ReadStoredRow(value.data() + i * element, spec.stored_bfloat16(), 1, &stored_element);
          ReadStoredRow(expected_row_.data() + i * element, spec.stored_bfloat16(), 1,
                        &expected_element);
          return Fail(Node(), ": feature '", spec.name, "' element ", i, " is ", stored_element,
                      ", dataset has ", expected_element, " (stored as ", spec.dtype, ")");
        }
        return absl::OkStatus();
      }
      case pf::kLabelPrefix: {
        DS_RETURN_IF_ERROR(CheckNodeKey(2, key, 9));
        int64_t label = 0;
        if (value.size() != sizeof(label)) {
          return Fail(Node(), ": label is ", value.size(), " bytes, expected one int64");
        }
        std::memcpy(&label, value.data(), sizeof(label));
        if (label != source_.labels[orig_]) {
          return Fail(Node(), ": label is ", label, ", dataset has ", source_.labels[orig_]);
        }
        return absl::OkStatus();
      }
      case pf::kSplitPrefix: {
        DS_RETURN_IF_ERROR(CheckNodeKey(3, key, 9));
        const uint8_t mask = source_.split_mask[orig_];
        if (value.size() != 1 || static_cast<uint8_t>(value[0]) != mask) {
          return Fail(Node(), ": split membership differs from the dataset");
        }
        for (int s = 0; s < 3; ++s) {
          if (mask & (1 << s)) expected_lists_[s].push_back(node_);
        }
        return absl::OkStatus();
      }
      case pf::kMetaPrefix: {
        if (key.size() != 1) return Fail("unknown meta key");
        DS_ASSIGN_OR_RETURN(pf::PartitionMeta meta, pf::PartitionMeta::FromJson(value));
        if (meta.graph_name != config_.graph_name || meta.part_id != part_ ||
            meta.num_parts != config_.num_parts() || meta.node_begin != begin_ ||
            meta.node_end != end_ || meta.num_in_edges != config_.parts[part_].num_in_edges ||
            meta.node_features.size() != config_.node_features.size()) {
          return Fail("meta record ", std::string(value), " disagrees with the config");
        }
        has_meta_ = true;
        return absl::OkStatus();
      }
      case pf::kSplitListPrefix: {
        for (int s = 0; s < 3; ++s) {
          if (key.substr(1) != pf::kSplitNames[s]) continue;
          // Lists sort after the "S" records, so expected_lists_ is complete.
          if (value != pf::PackArray(expected_lists_[s].data(), expected_lists_[s].size())) {
            return Fail("list of ", pf::kSplitNames[s], " nodes differs from the dataset");
          }
          has_list_[s] = true;
          return absl::OkStatus();
        }
        return Fail("unknown split list key");
      }
      default:
        return Fail("unexpected key with prefix '", std::string(1, key[0]), "'");
    }
  }

  const PartitionConfig& config_;
  const GraphDataset& source_;
  const std::vector<int64_t>& orig_ids_;
  const int part_;
  const int64_t begin_;
  const int64_t end_;
  const std::string feature_prefix_;
  int64_t next_[4] = {begin_, begin_, begin_, begin_};  // A, F, L, S.
  int64_t node_ = -1;  // The node of the key being checked, and its original ID.
  int64_t orig_ = -1;
  int64_t feature_rows_ = 0;
  std::string expected_row_;  // A feature row as stored; reused.
  int64_t num_in_edges_ = 0;
  bool has_meta_ = false;
  bool has_list_[3] = {false, false, false};
  std::vector<int64_t> expected_lists_[3];
};

}  // namespace

absl::Status VerifyPartitions(const std::string& config_path, const GraphDataset& source) {
  DS_ASSIGN_OR_RETURN(PartitionConfig config, PartitionConfig::Load(config_path));
  auto fail = [&](auto&&... args) {
    return absl::DataLossError(absl::StrCat("verify: ", config_path, ": ", args...));
  };
  if (config.num_nodes != source.num_nodes || config.num_edges != source.num_edges()) {
    return fail("has ", config.num_nodes, " nodes / ", config.num_edges, " edges, dataset has ",
                source.num_nodes, " / ", source.num_edges());
  }
  const bool has_features = source.feat_dim > 0;
  if (config.node_features.size() != (has_features ? 1u : 0u) ||
      (has_features && config.node_features[0].dim != source.feat_dim)) {
    return fail("feature spec disagrees with the dataset");
  }
  if (config.num_train != source.CountSplit(pf::kTrainBit) ||
      config.num_valid != source.CountSplit(pf::kValidBit) ||
      config.num_test != source.CountSplit(pf::kTestBit) ||
      config.split_name != source.split_name || config.num_classes != source.num_classes) {
    return fail("split sizes, split name or class count disagree with the dataset");
  }
  DS_ASSIGN_OR_RETURN(std::vector<int64_t> orig_ids, ReadOrigNodeIds(config));
  std::vector<bool> seen(source.num_nodes, false);
  for (int64_t orig : orig_ids) {
    if (orig < 0 || orig >= source.num_nodes || seen[orig]) {
      return fail("orig_node_ids is not a permutation: original ID ", orig,
                  " is out of range or owned twice");
    }
    seen[orig] = true;
  }
  ProgressMeter progress("verify", "nodes", source.num_nodes);
  int64_t total_edges = 0;
  for (int p = 0; p < config.num_parts(); ++p) {
    PartChecker checker(config, source, orig_ids, p);
    DS_RETURN_IF_ERROR(checker.Run(&progress));
    total_edges += checker.num_in_edges();
  }
  progress.Finish();
  if (total_edges != source.num_edges()) {
    return fail("parts hold ", total_edges, " edges, dataset has ", source.num_edges());
  }
  return absl::OkStatus();
}

}  // namespace distsage
