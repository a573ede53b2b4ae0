#include "server/kv_checkpoint.h"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/numbered_folders.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;

constexpr size_t kChunkRows = 8192;

absl::Status FromRocks(const rocksdb::Status& status, const std::string& what) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", status.ToString()));
}

nlohmann::json SpecToJson(const KVTensorSpec& spec) {
  return {{"name", spec.name},
          {"dim", spec.dim},
          {"init", spec.init},
          {"init_scale", spec.init_scale},
          {"seed", spec.seed},
          {"optimizer", OptimizerName(spec.optimizer.kind)},
          {"lr", spec.optimizer.lr},
          {"eps", spec.optimizer.eps},
          {"beta1", spec.optimizer.beta1},
          {"beta2", spec.optimizer.beta2}};
}

absl::StatusOr<KVTensorSpec> SpecFromJson(const nlohmann::json& json) {
  KVTensorSpec spec;
  spec.name = json.at("name").get<std::string>();
  spec.dim = json.at("dim").get<int>();
  spec.init = json.at("init").get<std::string>();
  spec.init_scale = json.at("init_scale").get<float>();
  spec.seed = json.at("seed").get<uint64_t>();
  DS_ASSIGN_OR_RETURN(spec.optimizer,
                      ParseOptimizer(json.at("optimizer").get<std::string>(),
                                     json.at("lr").get<float>(), json.at("eps").get<float>(),
                                     json.at("beta1").get<float>(), json.at("beta2").get<float>()));
  DS_RETURN_IF_ERROR(CheckSpec(spec));
  return spec;
}

std::string ChunkKey(const std::string& tensor, const char* field, size_t chunk) {
  return absl::StrFormat("t/%s/%s/%010d", tensor, field, chunk);
}

// Writes `values` (`width` per row) as chunks of kChunkRows rows.
template <typename T>
absl::Status PutChunks(rocksdb::DB* db, const std::string& tensor, const char* field,
                       const std::vector<T>& values, size_t width, int64_t* chunks_written,
                       int64_t crash_after) {
  if (width == 0 || values.empty()) return absl::OkStatus();
  const size_t chunk_values = kChunkRows * width;
  for (size_t begin = 0, chunk = 0; begin < values.size(); begin += chunk_values, ++chunk) {
    const size_t count = std::min(chunk_values, values.size() - begin);
    DS_RETURN_IF_ERROR(
        FromRocks(db->Put(rocksdb::WriteOptions(), ChunkKey(tensor, field, chunk),
                          rocksdb::Slice(reinterpret_cast<const char*>(values.data() + begin),
                                         count * sizeof(T))),
                  "KV save"));
    if (++*chunks_written == crash_after) _exit(86);
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status GetChunks(rocksdb::DB* db, const std::string& tensor, const char* field,
                       size_t expected, std::vector<T>* values) {
  values->clear();
  if (expected == 0) return absl::OkStatus();
  for (size_t chunk = 0; values->size() < expected; ++chunk) {
    std::string bytes;
    const rocksdb::Status status =
        db->Get(rocksdb::ReadOptions(), ChunkKey(tensor, field, chunk), &bytes);
    if (!status.ok() || bytes.size() % sizeof(T) != 0) {
      return absl::DataLossError(absl::StrCat("KV save: chunk ", chunk, " of ", field, " of '",
                                              tensor, "' is missing or damaged"));
    }
    const size_t old_size = values->size();
    values->resize(old_size + bytes.size() / sizeof(T));
    std::memcpy(values->data() + old_size, bytes.data(), bytes.size());
  }
  if (values->size() != expected) {
    return absl::DataLossError(absl::StrCat("KV save: ", field, " of '", tensor, "' has ",
                                            values->size(), " values, expected ", expected));
  }
  return absl::OkStatus();
}

// The number n of a "save-<n>" folder name, or -1.
int64_t SaveNumber(const std::string& name) { return FolderNumber(name, "save-"); }

}  // namespace

absl::StatusOr<std::string> WriteKVSave(const std::string& dir, const KVSave& save) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create KV folder '", dir, "': ", error.message()));
  }
  int64_t last = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".tmp")) fs::remove_all(entry.path(), error);
    last = std::max(last, SaveNumber(name));
  }
  const std::string final_path = (fs::path(dir) / absl::StrCat("save-", last + 1)).string();
  const std::string tmp_path = final_path + ".tmp";
  int64_t crash_after = -1;
  if (const char* hook = std::getenv("DISTSAGE_KV_SAVE_CRASH_AFTER_CHUNKS"); hook != nullptr) {
    (void)absl::SimpleAtoi(hook, &crash_after);
  }
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.error_if_exists = true;
    rocksdb::DB* raw = nullptr;
    DS_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, tmp_path, &raw), "KV save"));
    std::unique_ptr<rocksdb::DB> db(raw);
    int64_t chunks = 0;
    nlohmann::json names = nlohmann::json::array();
    for (const auto& [spec, contents] : save.tensors) {
      DS_RETURN_IF_ERROR(
          FromRocks(db->Put(rocksdb::WriteOptions(), "spec/" + spec.name, SpecToJson(spec).dump()),
                    "KV save"));
      const size_t dim = spec.dim;
      DS_RETURN_IF_ERROR(
          PutChunks(db.get(), spec.name, "rows", contents.rows, dim, &chunks, crash_after));
      DS_RETURN_IF_ERROR(PutChunks(db.get(), spec.name, "state", contents.state,
                                   StateSlots(spec.optimizer.kind) * dim, &chunks, crash_after));
      DS_RETURN_IF_ERROR(
          PutChunks(db.get(), spec.name, "steps", contents.steps, 1, &chunks, crash_after));
      names.push_back(spec.name);
    }
    const nlohmann::json meta = {{"row_begin", save.row_begin},
                                 {"row_end", save.row_end},
                                 {"tensors", names},
                                 {"label", save.label}};
    rocksdb::WriteOptions synced;
    synced.sync = true;  // The WAL, and every write before it, is on disk.
    DS_RETURN_IF_ERROR(FromRocks(db->Put(synced, "meta", meta.dump()), "KV save"));
    DS_RETURN_IF_ERROR(FromRocks(db->Close(), "KV save"));
  }
  DS_RETURN_IF_ERROR(PublishFolder(tmp_path, final_path));
  DS_RETURN_IF_ERROR(WriteCurrent(dir, fs::path(final_path).filename().string()));
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const int64_t n = SaveNumber(entry.path().filename().string());
    if (n >= 0 && n != last + 1 && n != last) fs::remove_all(entry.path(), error);
  }
  return final_path;
}

namespace {

// The save in folder `name` of `dir`; DATA_LOSS when it cannot be read.
absl::StatusOr<KVSave> ReadKVSave(const std::string& dir, const std::string& name) {
  KVSave save;
  save.path = (fs::path(dir) / name).string();
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  const rocksdb::Status opened = rocksdb::DB::OpenForReadOnly(options, save.path, &raw);
  if (!opened.ok()) {
    return absl::DataLossError(absl::StrCat("KV folder '", dir, "': save '", name,
                                            "' cannot be opened: ", opened.ToString()));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string meta_text;
  if (!db->Get(rocksdb::ReadOptions(), "meta", &meta_text).ok()) {
    return absl::DataLossError(absl::StrCat("KV save '", save.path, "' has no meta record"));
  }
  try {
    const nlohmann::json meta = nlohmann::json::parse(meta_text);
    save.row_begin = meta.at("row_begin").get<int64_t>();
    save.row_end = meta.at("row_end").get<int64_t>();
    save.label = meta.value("label", "");  // Saves before labels have none.
    for (const auto& name_json : meta.at("tensors")) {
      const std::string tensor = name_json.get<std::string>();
      std::string spec_text;
      if (!db->Get(rocksdb::ReadOptions(), "spec/" + tensor, &spec_text).ok()) {
        return absl::DataLossError(
            absl::StrCat("KV save '", save.path, "': no spec of '", tensor, "'"));
      }
      DS_ASSIGN_OR_RETURN(KVTensorSpec spec, SpecFromJson(nlohmann::json::parse(spec_text)));
      const size_t rows = static_cast<size_t>(save.row_end - save.row_begin);
      KVTableContents contents;
      DS_RETURN_IF_ERROR(GetChunks(db.get(), tensor, "rows", rows * spec.dim, &contents.rows));
      DS_RETURN_IF_ERROR(GetChunks(db.get(), tensor, "state",
                                   rows * spec.dim * StateSlots(spec.optimizer.kind),
                                   &contents.state));
      DS_RETURN_IF_ERROR(GetChunks(db.get(), tensor, "steps",
                                   spec.optimizer.kind == OptimizerKind::kAdam ? rows : 0,
                                   &contents.steps));
      save.tensors.emplace_back(std::move(spec), std::move(contents));
    }
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(absl::StrCat("KV save '", save.path, "': ", error.what()));
  }
  return save;
}

}  // namespace

absl::StatusOr<std::optional<KVSave>> ReadCurrentKVSave(const std::string& dir) {
  const std::optional<std::string> current = ReadCurrent(dir);
  if (!current.has_value()) return std::optional<KVSave>();
  DS_ASSIGN_OR_RETURN(KVSave save, ReadKVSave(dir, *current));
  return std::optional<KVSave>(std::move(save));
}

absl::StatusOr<KVSave> ReadLabelledKVSave(const std::string& dir, const std::string& label) {
  std::map<int64_t, std::string, std::greater<int64_t>> newest_first;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (const int64_t n = SaveNumber(name); n >= 0) newest_first[n] = name;
  }
  std::string kept;
  for (const auto& [n, name] : newest_first) {
    DS_ASSIGN_OR_RETURN(KVSave save, ReadKVSave(dir, name));
    if (save.label == label) return save;
    absl::StrAppend(&kept, kept.empty() ? "" : ", ", "'", save.label, "'");
  }
  return absl::NotFoundError(absl::StrCat("KV folder '", dir, "' keeps no save labelled '", label,
                                          "' (it keeps ", kept.empty() ? "none" : kept, ")"));
}

}  // namespace distsage
