// distsage_partition_files: lists what a machine needs of a partitioned
// graph, for `copy_partitions` (a shell script, which should not parse JSON).
//
//   distsage_partition_files PART_CONFIG
//
// Prints, one per line, paths relative to the config's folder:
//   graph_name NAME
//   num_parts N
//   common PATH      (files every machine needs: the config, orig_node_ids)
//   part K PATH      (partition K's RocksDB folder)
// Exit 1 with the reason when the config does not load or names a path
// outside its folder; 2 on bad usage.
#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/partition_config.h"

namespace distsage {
namespace {

// `path` (from the config) must stay inside the config's folder, or a copy
// of the folder would not carry it.
absl::Status CheckInsideFolder(const std::string& config_path, const std::string& what,
                               const std::string& path) {
  const std::filesystem::path relative(path);
  bool climbs = false;
  for (const auto& component : relative) climbs = climbs || component == "..";
  if (path.empty() || relative.is_absolute() || climbs) {
    return absl::InvalidArgumentError(absl::StrCat(
        config_path, ": ", what, " '", path,
        "' is not a path inside the config's folder; copy_partitions copies that folder"));
  }
  return absl::OkStatus();
}

int Run(const std::string& config_path) {
  const absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(config_path);
  absl::Status status = config.status();
  if (status.ok() && !config->orig_node_ids_path.empty()) {
    status = CheckInsideFolder(config_path, "orig_node_ids", config->orig_node_ids_path);
  }
  for (int part = 0; status.ok() && part < config->num_parts(); ++part) {
    status = CheckInsideFolder(config_path, absl::StrCat("parts[", part, "].path"),
                               config->parts[part].path);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "distsage_partition_files: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  std::printf("graph_name %s\nnum_parts %d\n", config->graph_name.c_str(), config->num_parts());
  std::printf("common %s\n", std::filesystem::path(config_path).filename().c_str());
  if (!config->orig_node_ids_path.empty()) {
    std::printf("common %s\n", config->orig_node_ids_path.c_str());
  }
  for (int part = 0; part < config->num_parts(); ++part) {
    std::printf("part %d %s\n", part, config->parts[part].path.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]).rfind("-", 0) == 0) {
    std::fprintf(stderr, "usage: distsage_partition_files PART_CONFIG\n");
    return 2;
  }
  return distsage::Run(argv[1]);
}
