#include "server/kv_store.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/kv_checkpoint.h"

namespace distsage {

absl::StatusOr<std::unique_ptr<KVStore>> KVStore::Open(const KVStoreOptions& options) {
  std::unique_ptr<KVStore> store(new KVStore(options));
  if (!options.save_dir.empty() && options.load_current_save) {
    DS_RETURN_IF_ERROR(store->Load().status());
  }
  return store;
}

absl::Status KVStore::Create(const KVTensorSpec& spec) {
  DS_RETURN_IF_ERROR(CheckSpec(spec));
  absl::MutexLock lock(&mu_);
  const auto found = tables_.find(spec.name);
  if (found != tables_.end()) {
    if (found->second->spec() == spec) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "KV tensor '", spec.name, "' exists as ", found->second->spec().Describe(),
        "; cannot create it again as ", spec.Describe(), " (use another name, or the same spec)"));
  }
  tables_[spec.name] = std::make_shared<KVTable>(spec, options_.row_begin, options_.row_end);
  return absl::OkStatus();
}

std::vector<KVTensorSpec> KVStore::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<KVTensorSpec> specs;
  for (const auto& [name, table] : tables_) specs.push_back(table->spec());
  return specs;
}

absl::StatusOr<std::shared_ptr<KVTable>> KVStore::Find(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  const auto found = tables_.find(name);
  if (found != tables_.end()) return found->second;
  std::string known;
  for (const auto& [table_name, table] : tables_) {
    absl::StrAppend(&known, known.empty() ? "" : ", ", "'", table_name, "'");
  }
  return absl::NotFoundError(absl::StrCat("no KV tensor '", name, "' (this server holds ",
                                          known.empty() ? "none" : known, "); create it first"));
}

absl::Status KVStore::CheckSaveDir(const char* what) const {
  if (!options_.save_dir.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", what, " KV tensors: this store has no save folder"));
}

absl::StatusOr<std::string> KVStore::Save(const std::string& label) {
  DS_RETURN_IF_ERROR(CheckSaveDir("save"));
  absl::MutexLock save_lock(&save_mu_);
  KVSave save;
  save.label = label;
  save.row_begin = options_.row_begin;
  save.row_end = options_.row_end;
  std::map<std::string, std::shared_ptr<KVTable>> tables;
  {
    absl::MutexLock lock(&mu_);
    tables = tables_;
  }
  for (const auto& [name, table] : tables)
    save.tensors.emplace_back(table->spec(), table->Snapshot());
  return WriteKVSave(options_.save_dir, save);
}

absl::StatusOr<int64_t> KVStore::Load(const std::string& label) {
  DS_RETURN_IF_ERROR(CheckSaveDir("load"));
  absl::MutexLock save_lock(&save_mu_);
  std::optional<KVSave> save;
  if (label.empty()) {
    DS_ASSIGN_OR_RETURN(save, ReadCurrentKVSave(options_.save_dir));
    if (!save.has_value()) return 0;
  } else {
    DS_ASSIGN_OR_RETURN(save, ReadLabelledKVSave(options_.save_dir, label));
  }
  if (save->row_begin != options_.row_begin || save->row_end != options_.row_end) {
    return absl::FailedPreconditionError(
        absl::StrCat("KV save '", save->path, "' holds rows [", save->row_begin, ", ",
                     save->row_end, ") but this server holds [", options_.row_begin, ", ",
                     options_.row_end, "): it belongs to another partition or partitioning"));
  }
  std::map<std::string, std::shared_ptr<KVTable>> tables;
  for (auto& [spec, contents] : save->tensors) {
    auto table = std::make_shared<KVTable>(spec, options_.row_begin, options_.row_end);
    DS_RETURN_IF_ERROR(table->Restore(std::move(contents)));
    tables[spec.name] = std::move(table);
  }
  absl::MutexLock lock(&mu_);
  tables_ = std::move(tables);
  return static_cast<int64_t>(tables_.size());
}

}  // namespace distsage
