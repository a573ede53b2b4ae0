#include "server/memory_partition_store.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"

namespace distsage {
namespace {

namespace pf = partition_format;

// Visits every record whose key is `prefix` + be64(node), in node order, and
// checks that they are exactly the owned nodes, each once.
template <typename Visit>
absl::Status ScanNodeRecords(const RocksDbPartitionStore& source, const std::string& prefix,
                             const char* what, Visit visit) {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;  // A one-off scan must not evict the serving cache.
  read_options.readahead_size = 8 << 20;
  std::unique_ptr<rocksdb::Iterator> it(source.db()->NewIterator(read_options));
  int64_t expected = source.node_begin();
  auto missing = [&](int64_t node) {
    return absl::DataLossError(absl::StrCat(
        "partition ", source.part_id(), " ('", source.path(), "'): no ", what, " record for node ",
        node, "; the partition is incomplete, rerun partition_graph"));
  };
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != prefix.size() + 8) continue;
    const int64_t node = pf::NodeOfKey(absl::string_view(key.data(), key.size()));
    if (node != expected) return missing(expected);
    const rocksdb::Slice value = it->value();
    DS_RETURN_IF_ERROR(visit(node, absl::string_view(value.data(), value.size())));
    ++expected;
  }
  if (!it->status().ok()) {
    return absl::DataLossError(absl::StrCat("partition ", source.part_id(), ": scan of ", what,
                                            " records failed: ", it->status().ToString()));
  }
  if (expected != source.node_end()) return missing(expected);
  return absl::OkStatus();
}

// Asks for transparent huge pages over `vector`'s capacity, which must not be
// touched yet. Samples and pulls read these arrays at random: with 4 KiB pages
// nearly every read of a gigabyte-sized array also misses the TLB. Advice
// only; without huge pages the store works the same, slower.
template <typename T>
void AdviseHugePages(std::vector<T>* vector) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(vector->data());
  const uintptr_t end = begin + vector->capacity() * sizeof(T);
  const uintptr_t aligned_begin = (begin + page - 1) / page * page;
  if (aligned_begin < end) {
    madvise(reinterpret_cast<void*>(aligned_begin), end - aligned_begin, MADV_HUGEPAGE);
  }
}

}  // namespace

MemoryPartitionStore::MemoryPartitionStore(pf::PartitionMeta meta)
    : PartitionStore(std::move(meta)) {}

absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> MemoryPartitionStore::Load(
    const RocksDbPartitionStore& source) {
  std::unique_ptr<MemoryPartitionStore> store(new MemoryPartitionStore(source.meta()));
  const size_t n = static_cast<size_t>(source.num_nodes());
  auto corrupt = [&](const char* what, int64_t node) {
    return absl::DataLossError(absl::StrCat("partition ", source.part_id(), " ('", source.path(),
                                            "'): ", what, " record of node ", node,
                                            " has the wrong size"));
  };

  store->indptr_.reserve(n + 1);
  AdviseHugePages(&store->indptr_);
  store->indptr_.push_back(0);
  store->indices_.reserve(static_cast<size_t>(source.meta().num_in_edges));
  AdviseHugePages(&store->indices_);
  DS_RETURN_IF_ERROR(ScanNodeRecords(
      source, std::string(1, pf::kAdjacencyPrefix), "in-neighbour",
      [&](int64_t node, absl::string_view value) {
        if (value.size() % sizeof(int64_t) != 0) return corrupt("in-neighbour", node);
        const size_t old_size = store->indices_.size();
        store->indices_.resize(old_size + value.size() / sizeof(int64_t));
        if (!value.empty()) {
          std::memcpy(store->indices_.data() + old_size, value.data(), value.size());
        }
        store->indptr_.push_back(static_cast<int64_t>(store->indices_.size()));
        return absl::OkStatus();
      }));

  for (const FeatureSpec& spec : source.meta().node_features) {
    std::vector<float>& matrix = store->features_.emplace_back();
    matrix.reserve(n * spec.dim);
    AdviseHugePages(&matrix);
    matrix.resize(n * spec.dim);
    const size_t row_bytes = spec.dim * sizeof(float);
    DS_RETURN_IF_ERROR(ScanNodeRecords(
        source, pf::FeatureKeyPrefix(spec.name), "feature", [&](int64_t node, absl::string_view v) {
          if (v.size() != row_bytes) return corrupt("feature", node);
          std::memcpy(matrix.data() + store->Local(node) * spec.dim, v.data(), row_bytes);
          return absl::OkStatus();
        }));
  }

  store->labels_.resize(n);
  DS_RETURN_IF_ERROR(ScanNodeRecords(source, std::string(1, pf::kLabelPrefix), "label",
                                     [&](int64_t node, absl::string_view value) {
                                       if (value.size() != sizeof(int64_t)) {
                                         return corrupt("label", node);
                                       }
                                       std::memcpy(&store->labels_[store->Local(node)],
                                                   value.data(), sizeof(int64_t));
                                       return absl::OkStatus();
                                     }));

  store->split_masks_.resize(n);
  DS_RETURN_IF_ERROR(ScanNodeRecords(source, std::string(1, pf::kSplitPrefix), "split",
                                     [&](int64_t node, absl::string_view value) {
                                       if (value.size() != 1) return corrupt("split", node);
                                       store->split_masks_[store->Local(node)] =
                                           static_cast<uint8_t>(value[0]);
                                       return absl::OkStatus();
                                     }));

  for (int split = 0; split < 3; ++split) {
    DS_ASSIGN_OR_RETURN(store->split_nodes_[split], source.SplitNodes(split));
  }
  return store;
}

absl::Status MemoryPartitionStore::DoGetInNeighbors(absl::Span<const int64_t> nodes,
                                                    AdjacencyLists* out) const {
  out->lists.resize(nodes.size());
  constexpr size_t kPrefetchDistance = 16;  // indptr_ is read at random too.
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i + kPrefetchDistance < nodes.size()) {
      __builtin_prefetch(&indptr_[Local(nodes[i + kPrefetchDistance])]);
    }
    const size_t local = Local(nodes[i]);
    out->lists[i] =
        absl::MakeConstSpan(indices_.data() + indptr_[local], indptr_[local + 1] - indptr_[local]);
  }
  return absl::OkStatus();
}

absl::Status MemoryPartitionStore::DoGatherFeatures(const FeatureSpec& spec,
                                                    absl::Span<const int64_t> ids,
                                                    float* out) const {
  const size_t index = static_cast<size_t>(&spec - meta().node_features.data());
  const float* matrix = features_[index].data();
  const size_t dim = static_cast<size_t>(spec.dim);
  const size_t row_bytes = dim * sizeof(float);
  // Rows are read in random order, which the hardware prefetcher cannot
  // follow: request each row's cache lines a few rows before copying it.
  constexpr size_t kPrefetchDistance = 8;
  constexpr size_t kCacheLine = 64;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i + kPrefetchDistance < ids.size()) {
      const char* ahead =
          reinterpret_cast<const char*>(matrix + Local(ids[i + kPrefetchDistance]) * dim);
      for (size_t b = 0; b < row_bytes; b += kCacheLine) __builtin_prefetch(ahead + b);
      __builtin_prefetch(ahead + row_bytes - 1);
    }
    std::memcpy(out + i * dim, matrix + Local(ids[i]) * dim, row_bytes);
  }
  return absl::OkStatus();
}

absl::Status MemoryPartitionStore::DoGatherLabels(absl::Span<const int64_t> ids,
                                                  int64_t* out) const {
  for (size_t i = 0; i < ids.size(); ++i) out[i] = labels_[Local(ids[i])];
  return absl::OkStatus();
}

absl::Status MemoryPartitionStore::DoGatherSplitMasks(absl::Span<const int64_t> ids,
                                                      uint8_t* out) const {
  for (size_t i = 0; i < ids.size(); ++i) out[i] = split_masks_[Local(ids[i])];
  return absl::OkStatus();
}

absl::Status MemoryPartitionStore::DoGatherInDegrees(absl::Span<const int64_t> ids,
                                                     int64_t* out) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    const size_t local = Local(ids[i]);
    out[i] = indptr_[local + 1] - indptr_[local];
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> MemoryPartitionStore::DoSplitNodes(int split_index) const {
  return split_nodes_[split_index];
}

}  // namespace distsage
