#include "server/rocksdb_partition_store.h"

#include <algorithm>
#include <cstring>
#include <regex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/bfloat16.h"
#include "common/partition_db_options.h"
#include "common/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/options.h"

namespace distsage {
namespace {

namespace pf = partition_format;

// MultiGet batch: large enough to amortise the call, small enough that the
// keys and pinned values of one batch stay in cache.
constexpr size_t kMultiGetBatch = 1024;

void AppendBigEndian(int64_t value, char* out) {
  const uint64_t bits = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(bits >> (56 - 8 * i));
}

// The table file that RocksDB's `message` says is missing ("000008.sst"),
// or "". RocksDB looks for a missing NNNNNN.sst under its legacy name
// NNNNNN.ldb too and names that one; the file it lost is the .sst.
std::string MissingTableFile(const std::string& message) {
  if (message.find("No such file") == std::string::npos) return "";
  static const std::regex table(R"((\d+)\.(sst|ldb))");
  std::smatch match;
  if (!std::regex_search(message, match, table)) return "";
  return match[1].str() + ".sst";
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbPartitionStore>> RocksDbPartitionStore::Open(
    const std::string& path, int64_t block_cache_bytes) {
  // The writer's table settings (8 KiB blocks, whole-key bloom filter), with
  // a block cache of the flag's size. Index and filter blocks stay pinned in
  // the table readers (small: about 10 bits per key), so the block cache
  // holds data blocks only.
  rocksdb::Options options =
      PartitionDbOptions(rocksdb::NewLRUCache(static_cast<size_t>(block_cache_bytes)));
  options.create_if_missing = false;
  options.info_log_level = rocksdb::WARN_LEVEL;
  // Read-only serving: keep every table file open (no table-cache churn).
  options.max_open_files = -1;

  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status status = rocksdb::DB::OpenForReadOnly(options, path, &raw_db);
  const std::string missing_table = MissingTableFile(status.ToString());
  if (!status.ok() && !missing_table.empty()) {
    return absl::DataLossError(absl::StrCat(
        "partition folder '", path, "' is damaged or incomplete: its table file ", missing_table,
        " is missing (RocksDB: ", status.ToString(),
        "); copy the partition again (deploy/copy_partitions) or re-run partition_graph"));
  }
  if (!status.ok()) {
    return absl::NotFoundError(absl::StrCat("cannot open partition database '", path,
                                            "': ", status.ToString(),
                                            "; check the partition config's \"path\" entries and "
                                            "that partition_graph finished writing this folder"));
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);
  std::string meta_json;
  status = db->Get(rocksdb::ReadOptions(), pf::MetaKey(), &meta_json);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("partition database '", path,
                                            "' has no \"M\" meta record (", status.ToString(),
                                            "); it was not written by partition_graph"));
  }
  absl::StatusOr<pf::PartitionMeta> meta = pf::PartitionMeta::FromJson(meta_json);
  if (!meta.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", meta.status().message()));
  }
  return std::unique_ptr<RocksDbPartitionStore>(
      new RocksDbPartitionStore(*std::move(meta), path, std::move(db)));
}

RocksDbPartitionStore::RocksDbPartitionStore(pf::PartitionMeta meta, std::string path,
                                             std::unique_ptr<rocksdb::DB> db)
    : PartitionStore(std::move(meta)), path_(std::move(path)), db_(std::move(db)) {}

template <typename Visit>
absl::Status RocksDbPartitionStore::MultiGetNodes(absl::string_view key_prefix,
                                                  absl::Span<const int64_t> ids, const char* what,
                                                  Visit visit) const {
  const size_t key_size = key_prefix.size() + 8;
  std::string key_bytes(std::min(ids.size(), kMultiGetBatch) * key_size, '\0');
  std::vector<rocksdb::Slice> keys(std::min(ids.size(), kMultiGetBatch));
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  rocksdb::ReadOptions read_options;
  for (size_t begin = 0; begin < ids.size(); begin += kMultiGetBatch) {
    const size_t count = std::min(kMultiGetBatch, ids.size() - begin);
    for (size_t i = 0; i < count; ++i) {
      char* key = key_bytes.data() + i * key_size;
      std::memcpy(key, key_prefix.data(), key_prefix.size());
      AppendBigEndian(ids[begin + i], key + key_prefix.size());
      keys[i] = rocksdb::Slice(key, key_size);
      values[i].Reset();
    }
    db_->MultiGet(read_options, db_->DefaultColumnFamily(), count, keys.data(), values.data(),
                  statuses.data());
    for (size_t i = 0; i < count; ++i) {
      if (!statuses[i].ok()) {
        return absl::DataLossError(absl::StrCat("partition ", part_id(), " ('", path_,
                                                "'): cannot read the ", what, " of node ",
                                                ids[begin + i], ": ", statuses[i].ToString()));
      }
      DS_RETURN_IF_ERROR(visit(begin + i, absl::string_view(values[i].data(), values[i].size())));
    }
  }
  return absl::OkStatus();
}

absl::Status RocksDbPartitionStore::DoGetInNeighbors(absl::Span<const int64_t> nodes,
                                                     AdjacencyLists* out) const {
  // Values are copied into one aligned buffer (RocksDB gives no alignment
  // guarantee for int64 reads); offsets first, views once the buffer is final.
  std::vector<size_t> ends(nodes.size());
  out->storage.clear();
  const std::string prefix(1, pf::kAdjacencyPrefix);
  DS_RETURN_IF_ERROR(
      MultiGetNodes(prefix, nodes, "in-neighbour list", [&](size_t i, absl::string_view value) {
        if (value.size() % sizeof(int64_t) != 0) {
          return absl::DataLossError(absl::StrCat("partition ", part_id(), ": adjacency of node ",
                                                  nodes[i], " is not a list of int64"));
        }
        const size_t old_size = out->storage.size();
        out->storage.resize(old_size + value.size() / sizeof(int64_t));
        if (!value.empty()) std::memcpy(out->storage.data() + old_size, value.data(), value.size());
        ends[i] = out->storage.size();
        return absl::OkStatus();
      }));
  out->lists.resize(nodes.size());
  size_t begin = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    out->lists[i] = absl::MakeConstSpan(out->storage.data() + begin, ends[i] - begin);
    begin = ends[i];
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status RocksDbPartitionStore::GatherFeatureRows(const FeatureSpec& spec,
                                                      absl::Span<const int64_t> ids, T* out) const {
  const size_t dim = static_cast<size_t>(spec.dim);
  const size_t row_bytes = spec.row_bytes();
  return MultiGetNodes(
      pf::FeatureKeyPrefix(spec.name), ids, "feature row", [&](size_t i, absl::string_view value) {
        if (value.size() != row_bytes) {
          return absl::DataLossError(absl::StrCat(
              "partition ", part_id(), ": feature '", spec.name, "' of node ", ids[i], " has ",
              value.size(), " bytes, expected ", row_bytes, " (", dim, " ", spec.dtype, ")"));
        }
        ReadStoredRow(value.data(), spec.stored_bfloat16(), dim, out + i * dim);
        return absl::OkStatus();
      });
}

absl::Status RocksDbPartitionStore::DoGatherFeatures(const FeatureSpec& spec,
                                                     absl::Span<const int64_t> ids,
                                                     float* out) const {
  return GatherFeatureRows(spec, ids, out);
}

absl::Status RocksDbPartitionStore::DoGatherFeaturesBFloat16(const FeatureSpec& spec,
                                                             absl::Span<const int64_t> ids,
                                                             uint16_t* out) const {
  return GatherFeatureRows(spec, ids, out);
}

absl::Status RocksDbPartitionStore::DoGatherLabels(absl::Span<const int64_t> ids,
                                                   int64_t* out) const {
  return MultiGetNodes(
      std::string(1, pf::kLabelPrefix), ids, "label", [&](size_t i, absl::string_view value) {
        if (value.size() != sizeof(int64_t)) {
          return absl::DataLossError(
              absl::StrCat("partition ", part_id(), ": label of node ", ids[i], " is corrupt"));
        }
        std::memcpy(out + i, value.data(), sizeof(int64_t));
        return absl::OkStatus();
      });
}

absl::Status RocksDbPartitionStore::DoGatherSplitMasks(absl::Span<const int64_t> ids,
                                                       uint8_t* out) const {
  return MultiGetNodes(
      std::string(1, pf::kSplitPrefix), ids, "split membership",
      [&](size_t i, absl::string_view value) {
        if (value.size() != 1) {
          return absl::DataLossError(absl::StrCat(
              "partition ", part_id(), ": split record of node ", ids[i], " is corrupt"));
        }
        out[i] = static_cast<uint8_t>(value[0]);
        return absl::OkStatus();
      });
}

absl::Status RocksDbPartitionStore::DoGatherInDegrees(absl::Span<const int64_t> ids,
                                                      int64_t* out) const {
  return MultiGetNodes(std::string(1, pf::kAdjacencyPrefix), ids, "in-neighbour list",
                       [&](size_t i, absl::string_view value) {
                         out[i] = static_cast<int64_t>(value.size() / sizeof(int64_t));
                         return absl::OkStatus();
                       });
}

absl::StatusOr<std::vector<int64_t>> RocksDbPartitionStore::DoSplitNodes(int split_index) const {
  std::string value;
  const rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), pf::SplitListKey(pf::kSplitNames[split_index]), &value);
  if (status.IsNotFound()) return std::vector<int64_t>();
  std::vector<int64_t> nodes;
  if (!status.ok() || !pf::UnpackArray(value, &nodes)) {
    return absl::DataLossError(absl::StrCat(
        "partition ", part_id(), " ('", path_, "'): cannot read the node list of split '",
        pf::kSplitNames[split_index], "': ", status.ToString()));
  }
  return nodes;
}

absl::Status RocksDbPartitionStore::CheckBoundaryRecords() const {
  if (num_nodes() == 0) return absl::OkStatus();
  const int64_t boundary[] = {node_begin(), node_end() - 1};
  std::vector<int64_t> degrees(2);
  DS_RETURN_IF_ERROR(DoGatherInDegrees(boundary, degrees.data()));
  std::vector<int64_t> labels(2);
  DS_RETURN_IF_ERROR(DoGatherLabels(boundary, labels.data()));
  std::vector<uint8_t> masks(2);
  DS_RETURN_IF_ERROR(DoGatherSplitMasks(boundary, masks.data()));
  for (const FeatureSpec& spec : meta().node_features) {
    std::vector<float> rows(2 * spec.dim);
    DS_RETURN_IF_ERROR(DoGatherFeatures(spec, boundary, rows.data()));
  }
  return absl::OkStatus();
}

}  // namespace distsage
