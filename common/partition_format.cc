#include "common/partition_format.h"

#include "absl/strings/str_cat.h"
#include "common/feature_spec_json.h"
#include "nlohmann/json.hpp"

namespace distsage::partition_format {
namespace {

void AppendBigEndian(int64_t value, std::string* out) {
  const uint64_t bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(bits >> shift));
}

std::string NodeKey(char prefix, int64_t node) {
  std::string key(1, prefix);
  AppendBigEndian(node, &key);
  return key;
}

}  // namespace

std::string AdjacencyKey(int64_t node) { return NodeKey(kAdjacencyPrefix, node); }
std::string LabelKey(int64_t node) { return NodeKey(kLabelPrefix, node); }
std::string SplitKey(int64_t node) { return NodeKey(kSplitPrefix, node); }
std::string MetaKey() { return std::string(1, kMetaPrefix); }

std::string FeatureKeyPrefix(absl::string_view feature_name) {
  std::string key(1, kFeaturePrefix);
  key.append(feature_name.data(), feature_name.size());
  key.push_back('\0');
  return key;
}

std::string FeatureKey(absl::string_view feature_name, int64_t node) {
  std::string key = FeatureKeyPrefix(feature_name);
  AppendBigEndian(node, &key);
  return key;
}

std::string SplitListKey(absl::string_view split_name) {
  return absl::StrCat(std::string(1, kSplitListPrefix), split_name);
}

int64_t NodeOfKey(absl::string_view key) {
  uint64_t bits = 0;
  for (size_t i = key.size() - 8; i < key.size(); ++i) {
    bits = (bits << 8) | static_cast<uint8_t>(key[i]);
  }
  return static_cast<int64_t>(bits);
}

std::string PartitionMeta::ToJson() const {
  nlohmann::json j;
  j["graph_name"] = graph_name;
  j["part_id"] = part_id;
  j["num_parts"] = num_parts;
  j["node_begin"] = node_begin;
  j["node_end"] = node_end;
  j["num_in_edges"] = num_in_edges;
  j["node_features"] = node_features;
  if (!book_fingerprint.empty()) j["book_fingerprint"] = book_fingerprint;
  return j.dump();
}

absl::StatusOr<PartitionMeta> PartitionMeta::FromJson(absl::string_view json) {
  PartitionMeta meta;
  try {
    nlohmann::json j = nlohmann::json::parse(json);
    meta.graph_name = j.at("graph_name").get<std::string>();
    meta.part_id = JsonInteger<int>(j.at("part_id"), "part_id");
    meta.num_parts = JsonInteger<int>(j.at("num_parts"), "num_parts");
    meta.node_begin = JsonInteger<int64_t>(j.at("node_begin"), "node_begin");
    meta.node_end = JsonInteger<int64_t>(j.at("node_end"), "node_end");
    meta.num_in_edges = JsonInteger<int64_t>(j.at("num_in_edges"), "num_in_edges");
    meta.node_features = j.at("node_features").get<std::vector<FeatureSpec>>();
    meta.book_fingerprint = j.value("book_fingerprint", "");
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("partition meta record is corrupt: ", e.what()));
  }
  return meta;
}

}  // namespace distsage::partition_format
