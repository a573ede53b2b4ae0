// The on-disk layout of one partition: a RocksDB database written by
// partition_graph (bulk-ingested SST files) and opened read-only by
// graph_server. Everything in the default column family:
//
//   key                                       value
//   "A" be64(node)                            in-neighbours of an owned node: LE int64
//                                             global source IDs, in source order
//                                             (duplicates kept; may be empty)
//   "F" feature_name '\0' be64(node)          feature row: dim LE elements of the
//                                             feature's dtype (float32 or bfloat16)
//   "L" be64(node)                            label: LE int64 (-1 when unlabelled)
//   "M"                                       PartitionMeta as JSON (see below)
//   "S" be64(node)                            split membership: 1 byte, SplitMask bits
//   "T" split_name ("train"|"valid"|"test")   owned nodes of that split: LE int64,
//                                             ascending
//
// Node IDs are global relabelled IDs; big-endian in keys so that RocksDB's
// bytewise order is numeric order (an iterator over "A" visits nodes in order).
// Every owned node has an "A", "L", "S" and one "F" key per feature.
#ifndef DISTSAGE_COMMON_PARTITION_FORMAT_H_
#define DISTSAGE_COMMON_PARTITION_FORMAT_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/partition_config.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "packed payloads are little-endian and copied with memcpy");

namespace distsage::partition_format {

inline constexpr char kAdjacencyPrefix = 'A';
inline constexpr char kFeaturePrefix = 'F';
inline constexpr char kLabelPrefix = 'L';
inline constexpr char kMetaPrefix = 'M';
inline constexpr char kSplitPrefix = 'S';
inline constexpr char kSplitListPrefix = 'T';

enum SplitMask : uint8_t { kTrainBit = 1, kValidBit = 2, kTestBit = 4 };
inline constexpr const char* kSplitNames[] = {"train", "valid", "test"};

std::string AdjacencyKey(int64_t node);
std::string FeatureKeyPrefix(absl::string_view feature_name);  // "F" name '\0'
std::string FeatureKey(absl::string_view feature_name, int64_t node);
std::string LabelKey(int64_t node);
std::string MetaKey();
std::string SplitKey(int64_t node);
std::string SplitListKey(absl::string_view split_name);
// The node ID in the last 8 bytes of an "A"/"F"/"L"/"S" key.
int64_t NodeOfKey(absl::string_view key);

// What the partition says about itself; the server checks it against the
// partition config before serving.
struct PartitionMeta {
  std::string graph_name;
  int part_id = 0;
  int num_parts = 0;
  int64_t node_begin = 0;
  int64_t node_end = 0;
  int64_t num_in_edges = 0;
  std::vector<FeatureSpec> node_features;
  std::string book_fingerprint;  // BookFingerprint; empty in older partitions.

  std::string ToJson() const;
  static absl::StatusOr<PartitionMeta> FromJson(absl::string_view json);
};

// Little-endian packing of plain arrays into/out of byte strings (one memcpy).
template <typename T>
std::string PackArray(const T* data, size_t count) {
  return std::string(reinterpret_cast<const char*>(data), count * sizeof(T));
}
template <typename T>
void AppendPacked(const T* data, size_t count, std::string* out) {
  out->append(reinterpret_cast<const char*>(data), count * sizeof(T));
}
// Fails (returns false) when `bytes` is not a whole number of T.
template <typename T>
bool UnpackArray(absl::string_view bytes, std::vector<T>* out) {
  if (bytes.size() % sizeof(T) != 0) return false;
  out->resize(bytes.size() / sizeof(T));
  if (!bytes.empty()) std::memcpy(out->data(), bytes.data(), bytes.size());
  return true;
}

}  // namespace distsage::partition_format

#endif  // DISTSAGE_COMMON_PARTITION_FORMAT_H_
