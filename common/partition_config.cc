#include "common/partition_config.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/feature_spec_json.h"
#include "nlohmann/json.hpp"

namespace distsage {
namespace {

using nlohmann::json;

// FNV-1a, 64-bit: stable across builds and machines, unlike absl::Hash.
class Fnv1a64 {
 public:
  void Add(const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) hash_ = (hash_ ^ bytes[i]) * 0x100000001b3ULL;
  }
  void AddInt(int64_t value) { Add(&value, sizeof(value)); }
  void AddString(const std::string& text) {
    AddInt(static_cast<int64_t>(text.size()));
    Add(text.data(), text.size());
  }
  uint64_t hash() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

std::string JoinPath(const std::string& base, const std::string& relative) {
  if (relative.empty() || relative[0] == '/' || base.empty()) return relative;
  return (std::filesystem::path(base) / relative).string();
}

}  // namespace

std::string PartitionConfig::PartPath(int part) const {
  return JoinPath(base_dir, parts[part].path);
}

std::string PartitionConfig::OrigNodeIdsPath() const {
  return JoinPath(base_dir, orig_node_ids_path);
}

const FeatureSpec* PartitionConfig::FindFeature(const std::string& name) const {
  for (const FeatureSpec& spec : node_features) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string PartitionConfig::ToJson() const {
  json j;
  j["format_version"] = kPartitionFormatVersion;
  j["graph_name"] = graph_name;
  j["num_nodes"] = num_nodes;
  j["num_edges"] = num_edges;
  j["part_method"] = part_method;
  j["num_parts"] = num_parts();
  j["balance_train"] = balance_train;
  j["balance_edges"] = balance_edges;
  json ranges = json::array();
  for (int p = 0; p < static_cast<int>(range_ends.size()); ++p) {
    ranges.push_back({p == 0 ? 0 : range_ends[p - 1], range_ends[p]});
  }
  j["node_ranges"] = ranges;
  j["orig_node_ids"] = orig_node_ids_path;
  j["node_features"] = node_features;
  j["num_classes"] = num_classes;
  j["split_name"] = split_name;
  j["split_sizes"] = {{"train", num_train}, {"valid", num_valid}, {"test", num_test}};
  j["edge_cut"] = edge_cut;
  if (!book_fingerprint.empty()) j["book_fingerprint"] = book_fingerprint;
  json part_list = json::array();
  for (const PartInfo& part : parts) {
    part_list.push_back({{"part_id", part.part_id},
                         {"path", part.path},
                         {"num_nodes", part.num_nodes},
                         {"num_in_edges", part.num_in_edges},
                         {"num_train", part.num_train},
                         {"num_valid", part.num_valid},
                         {"num_test", part.num_test},
                         {"edge_cut", part.edge_cut}});
  }
  j["parts"] = part_list;
  return j.dump(2) + "\n";
}

absl::Status PartitionConfig::Save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ToJson();
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("cannot write partition config '", tmp, "'"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename '", tmp, "' to '", path, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PartitionConfig> PartitionConfig::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "cannot read partition config '", path,
        "': missing or unreadable (partition_graph writes it as OUT/<graph_name>.json)"));
  }
  std::stringstream text;
  text << in.rdbuf();
  PartitionConfig config;
  try {
    json j = json::parse(text.str());
    const int version = JsonInteger<int>(j.at("format_version"), "format_version");
    if (version != kPartitionFormatVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": format_version ", version, " is not supported (this build reads ",
                       kPartitionFormatVersion, "); re-run partition_graph"));
    }
    config.graph_name = j.at("graph_name").get<std::string>();
    config.num_nodes = JsonInteger<int64_t>(j.at("num_nodes"), "num_nodes");
    config.num_edges = JsonInteger<int64_t>(j.at("num_edges"), "num_edges");
    config.part_method = j.at("part_method").get<std::string>();
    config.balance_train = j.value("balance_train", false);
    config.balance_edges = j.value("balance_edges", false);
    for (const json& range : j.at("node_ranges")) {
      config.range_ends.push_back(JsonInteger<int64_t>(range.at(1), "node_ranges"));
    }
    config.orig_node_ids_path = j.value("orig_node_ids", "");
    config.node_features = j.at("node_features").get<std::vector<FeatureSpec>>();
    config.num_classes = JsonInteger<int64_t>(j.at("num_classes"), "num_classes");
    config.split_name = j.value("split_name", "");
    config.num_train = JsonInteger<int64_t>(j.at("split_sizes").at("train"), "train");
    config.num_valid = JsonInteger<int64_t>(j.at("split_sizes").at("valid"), "valid");
    config.num_test = JsonInteger<int64_t>(j.at("split_sizes").at("test"), "test");
    config.edge_cut = JsonInteger(j, "edge_cut", 0);
    config.book_fingerprint = j.value("book_fingerprint", "");
    for (const json& part : j.at("parts")) {
      PartInfo info;
      info.part_id = JsonInteger<int>(part.at("part_id"), "part_id");
      info.path = part.at("path").get<std::string>();
      info.num_nodes = JsonInteger<int64_t>(part.at("num_nodes"), "num_nodes");
      info.num_in_edges = JsonInteger<int64_t>(part.at("num_in_edges"), "num_in_edges");
      info.num_train = JsonInteger(part, "num_train", 0);
      info.num_valid = JsonInteger(part, "num_valid", 0);
      info.num_test = JsonInteger(part, "num_test", 0);
      info.edge_cut = JsonInteger(part, "edge_cut", 0);
      config.parts.push_back(info);
    }
    if (JsonInteger<int>(j.at("num_parts"), "num_parts") != config.num_parts()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": num_parts says ", JsonInteger<int>(j.at("num_parts"), "num_parts"),
                       " but 'parts' lists ", config.num_parts()));
    }
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a valid partition config: ", e.what()));
  }
  config.base_dir = std::filesystem::path(path).parent_path().string();
  config.source_path = path;
  if (absl::Status status = config.Validate(path); !status.ok()) return status;
  return config;
}

absl::Status PartitionConfig::Validate(const std::string& source) const {
  auto invalid = [&](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", parts...));
  };
  if (parts.empty()) return invalid("no partitions listed");
  if (range_ends.size() != parts.size()) {
    return invalid("node_ranges has ", range_ends.size(), " entries for ", parts.size(), " parts");
  }
  int64_t begin = 0;
  for (int p = 0; p < num_parts(); ++p) {
    if (parts[p].part_id != p) return invalid("parts[", p, "] has part_id ", parts[p].part_id);
    if (range_ends[p] < begin) return invalid("node_ranges[", p, "] ends before it begins");
    if (range_ends[p] - begin != parts[p].num_nodes) {
      return invalid("part ", p, " owns ", parts[p].num_nodes, " nodes but its range holds ",
                     range_ends[p] - begin);
    }
    begin = range_ends[p];
  }
  if (begin != num_nodes) {
    return invalid("node ranges cover ", begin, " nodes but num_nodes is ", num_nodes);
  }
  for (const FeatureSpec& spec : node_features) {
    if (!CheckFeatureDtype(spec.dtype, "").ok() || spec.dim <= 0) {
      return invalid("feature '", spec.name, "' has unsupported dtype/shape ", spec.dtype, "[",
                     spec.dim, "] (dtype float32 or bfloat16, shape [1 or more])");
    }
  }
  if (num_classes < 0) return invalid("num_classes is negative");
  return absl::OkStatus();
}

absl::Status CheckFeatureDtype(absl::string_view dtype, absl::string_view what) {
  if (dtype == kFloat32Dtype || dtype == kBFloat16Dtype) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, what.empty() ? "" : ": ", "feature dtype '",
                                                 dtype, "' is not one of float32, bfloat16"));
}

std::string BookFingerprint(absl::Span<const int64_t> range_ends,
                            absl::Span<const int64_t> orig_node_ids,
                            absl::Span<const FeatureSpec> node_features) {
  Fnv1a64 hash;
  hash.AddInt(static_cast<int64_t>(range_ends.size()));
  hash.Add(range_ends.data(), range_ends.size() * sizeof(int64_t));
  hash.AddInt(static_cast<int64_t>(orig_node_ids.size()));
  hash.Add(orig_node_ids.data(), orig_node_ids.size() * sizeof(int64_t));
  hash.AddInt(static_cast<int64_t>(node_features.size()));
  for (const FeatureSpec& spec : node_features) {
    hash.AddString(spec.name);
    hash.AddString(spec.dtype);
    hash.AddInt(spec.dim);
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash.hash()));
  return text;
}

}  // namespace distsage
