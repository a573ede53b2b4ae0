#include "partitioner/partition_writer.h"

#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/bfloat16.h"
#include "common/parallel_for.h"
#include "common/partition_db_options.h"
#include "common/partition_format.h"
#include "common/status_macros.h"
#include "partitioner/progress_meter.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_writer.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;
namespace pf = partition_format;

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", status.ToString()));
}

struct PartStats {
  int64_t num_in_edges = 0;
  int64_t edge_cut = 0;
  int64_t split_counts[3] = {0, 0, 0};
};

// Writes every key of part `part` into one SST file, in key order (SST
// writers require it): A..., F..., L..., M, S..., T....
absl::Status WritePartSst(const GraphDataset& dataset, const Relabeling& relabeling, int part,
                          const std::string& graph_name,
                          const std::vector<FeatureSpec>& node_features,
                          const std::string& book_fingerprint, const std::string& sst_path,
                          ProgressMeter* progress, PartStats* stats) {
  const int64_t begin = part == 0 ? 0 : relabeling.range_ends[part - 1];
  const int64_t end = relabeling.range_ends[part];
  const int num_parts = static_cast<int>(relabeling.range_ends.size());
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), PartitionDbOptions());
  DS_RETURN_IF_ERROR(FromRocks(writer.Open(sst_path), "cannot create " + sst_path));
  auto put = [&](const std::string& key, const std::string& value) {
    return FromRocks(writer.Put(key, value), "cannot write " + sst_path);
  };
  std::string value;
  for (int64_t node = begin; node < end; ++node) {
    const int64_t orig = relabeling.orig_id[node];
    value.clear();
    for (int64_t e = dataset.in_ptr[orig]; e < dataset.in_ptr[orig + 1]; ++e) {
      const int64_t source = relabeling.new_id[dataset.in_src[e]];
      stats->edge_cut += source < begin || source >= end;
      pf::AppendPacked(&source, 1, &value);
    }
    stats->num_in_edges += dataset.InDegree(orig);
    DS_RETURN_IF_ERROR(put(pf::AdjacencyKey(node), value));
    if ((node - begin + 1) % 65536 == 0) progress->Add(65536);
  }
  if (!node_features.empty()) {
    const FeatureSpec& spec = node_features.front();
    std::vector<uint16_t> rounded(spec.stored_bfloat16() ? spec.dim : 0);
    for (int64_t node = begin; node < end; ++node) {
      const float* row = dataset.features.data() + relabeling.orig_id[node] * dataset.feat_dim;
      if (spec.stored_bfloat16()) {
        RoundToBFloat16(absl::MakeConstSpan(row, spec.dim), rounded.data());
        DS_RETURN_IF_ERROR(
            put(pf::FeatureKey(spec.name, node), pf::PackArray(rounded.data(), spec.dim)));
      } else {
        DS_RETURN_IF_ERROR(put(pf::FeatureKey(spec.name, node), pf::PackArray(row, spec.dim)));
      }
    }
  }
  for (int64_t node = begin; node < end; ++node) {
    const int64_t label = dataset.labels[relabeling.orig_id[node]];
    DS_RETURN_IF_ERROR(put(pf::LabelKey(node), pf::PackArray(&label, 1)));
  }
  pf::PartitionMeta meta;
  meta.graph_name = graph_name;
  meta.part_id = part;
  meta.num_parts = num_parts;
  meta.node_begin = begin;
  meta.node_end = end;
  meta.num_in_edges = stats->num_in_edges;
  meta.node_features = node_features;
  meta.book_fingerprint = book_fingerprint;
  DS_RETURN_IF_ERROR(put(pf::MetaKey(), meta.ToJson()));
  std::vector<int64_t> split_lists[3];
  for (int64_t node = begin; node < end; ++node) {
    const uint8_t mask = dataset.split_mask[relabeling.orig_id[node]];
    DS_RETURN_IF_ERROR(put(pf::SplitKey(node), std::string(1, static_cast<char>(mask))));
    for (int s = 0; s < 3; ++s) {
      if (mask & (1 << s)) split_lists[s].push_back(node);
    }
  }
  // "test" < "train" < "valid" in bytewise order.
  for (int s : {2, 0, 1}) {
    stats->split_counts[s] = static_cast<int64_t>(split_lists[s].size());
    DS_RETURN_IF_ERROR(put(pf::SplitListKey(pf::kSplitNames[s]),
                           pf::PackArray(split_lists[s].data(), split_lists[s].size())));
  }
  progress->Add((end - begin) % 65536);
  return FromRocks(writer.Finish(), "cannot finish " + sst_path);
}

absl::Status IngestPart(const std::string& sst_path, const std::string& db_path) {
  rocksdb::Options options = PartitionDbOptions();
  options.create_if_missing = true;
  options.error_if_exists = true;
  rocksdb::DB* raw_db = nullptr;
  DS_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(options, db_path, &raw_db), "cannot create " + db_path));
  std::unique_ptr<rocksdb::DB> db(raw_db);
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  DS_RETURN_IF_ERROR(FromRocks(db->IngestExternalFile({sst_path}, ingest),
                               "cannot ingest " + sst_path + " into " + db_path));
  return FromRocks(db->Close(), "cannot close " + db_path);
}

absl::Status WriteOrigNodeIds(const std::vector<int64_t>& orig_id, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(orig_id.data()),
            static_cast<std::streamsize>(orig_id.size() * sizeof(int64_t)));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write '", path, "' (disk full?)"));
  return absl::OkStatus();
}

}  // namespace

std::string ConfigFileName(const std::string& graph_name) { return graph_name + ".json"; }

absl::StatusOr<PartitionConfig> WritePartitions(const GraphDataset& dataset,
                                                const Relabeling& relabeling,
                                                const WriteOptions& options,
                                                const std::string& dir) {
  const int num_parts = static_cast<int>(relabeling.range_ends.size());
  DS_RETURN_IF_ERROR(CheckFeatureDtype(options.feature_dtype, "--feature_dtype"));
  std::vector<FeatureSpec> features;
  if (dataset.feat_dim > 0) {
    features.push_back({kFeatureName, options.feature_dtype, dataset.feat_dim});
  }
  const std::string fingerprint =
      BookFingerprint(relabeling.range_ends, relabeling.orig_id, features);
  std::vector<PartStats> stats(num_parts);
  std::vector<absl::Status> statuses(num_parts);
  ProgressMeter progress("write partitions", "nodes", dataset.num_nodes);
  ParallelFor(num_parts, options.num_threads, [&](int64_t p) {
    const std::string db_path = (fs::path(dir) / absl::StrCat("part", p)).string();
    const std::string sst_path = db_path + ".sst";
    statuses[p] = WritePartSst(dataset, relabeling, static_cast<int>(p), dataset.name, features,
                               fingerprint, sst_path, &progress, &stats[p]);
    if (statuses[p].ok()) statuses[p] = IngestPart(sst_path, db_path);
  });
  progress.Finish();
  for (const absl::Status& status : statuses) DS_RETURN_IF_ERROR(status);

  DS_RETURN_IF_ERROR(
      WriteOrigNodeIds(relabeling.orig_id, (fs::path(dir) / kOrigNodeIdsFile).string()));
  PartitionConfig config;
  config.graph_name = dataset.name;
  config.num_nodes = dataset.num_nodes;
  config.num_edges = dataset.num_edges();
  config.part_method = options.part_method;
  config.balance_train = options.balance_train;
  config.balance_edges = options.balance_edges;
  config.range_ends = relabeling.range_ends;
  config.orig_node_ids_path = kOrigNodeIdsFile;
  config.node_features = features;
  config.book_fingerprint = fingerprint;
  config.num_classes = dataset.num_classes;
  config.split_name = dataset.split_name;
  for (int p = 0; p < num_parts; ++p) {
    PartInfo info;
    info.part_id = p;
    info.path = absl::StrCat("part", p);
    info.num_nodes = relabeling.range_ends[p] - (p == 0 ? 0 : relabeling.range_ends[p - 1]);
    info.num_in_edges = stats[p].num_in_edges;
    info.num_train = stats[p].split_counts[0];
    info.num_valid = stats[p].split_counts[1];
    info.num_test = stats[p].split_counts[2];
    info.edge_cut = stats[p].edge_cut;
    config.num_train += info.num_train;
    config.num_valid += info.num_valid;
    config.num_test += info.num_test;
    config.edge_cut += info.edge_cut;
    config.parts.push_back(info);
  }
  DS_RETURN_IF_ERROR(config.Validate(dir));
  DS_RETURN_IF_ERROR(config.Save((fs::path(dir) / ConfigFileName(dataset.name)).string()));
  return config;
}

}  // namespace distsage
