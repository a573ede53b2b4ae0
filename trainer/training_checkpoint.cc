#include "trainer/training_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <torch/serialize.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/numbered_folders.h"
#include "common/status_macros.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;
constexpr char kPrefix[] = "ckpt-";
constexpr size_t kKept = 2;

// Runs `body`, turning a LibTorch exception into `code` naming `path`.
template <typename Body>
absl::Status Guarded(const std::string& path, absl::StatusCode code, Body body) {
  try {
    body();
  } catch (const c10::Error& e) {
    return absl::Status(code, absl::StrCat("'", path, "': ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

}  // namespace

uint32_t ParameterChecksum(GraphSage& model) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (const at::Tensor& parameter : model->parameters()) {
    const at::Tensor bytes = parameter.detach().contiguous();
    crc = crc32(crc, static_cast<const Bytef*>(bytes.data_ptr()),
                static_cast<uInt>(bytes.numel() * bytes.element_size()));
  }
  return static_cast<uint32_t>(crc);
}

TrainingCheckpoints::TrainingCheckpoints(std::string dir, int rank)
    : rank_dir_((fs::path(dir) / absl::StrCat("rank-", rank)).string()) {}

std::string TrainingCheckpoints::FolderOf(int epoch) const {
  return (fs::path(rank_dir_) / absl::StrFormat("%s%06d", kPrefix, epoch)).string();
}

absl::Status TrainingCheckpoints::Write(int epoch, const std::string& plan, uint32_t param_checksum,
                                        GraphSage& model,
                                        torch::optim::Optimizer& optimizer) const {
  std::error_code error;
  fs::create_directories(rank_dir_, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--checkpoint_dir: cannot create '", rank_dir_, "': ", error.message()));
  }
  const std::string final_path = FolderOf(epoch);
  const std::string tmp_path = absl::StrCat(final_path, ".tmp-", getpid());
  fs::remove_all(tmp_path, error);
  fs::remove_all(final_path, error);  // A rerun of the same epoch replaces it.
  fs::create_directories(tmp_path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot create '", tmp_path, "': ", error.message()));
  }
  const nlohmann::json state = {{"epoch", epoch},
                                {"plan", plan},
                                {"param_checksum", absl::StrFormat("%08x", param_checksum)}};
  {
    std::ofstream out(tmp_path + "/state.json");
    out << state.dump(2) << "\n";
    if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write '", tmp_path, "'"));
  }
  DS_RETURN_IF_ERROR(Guarded(tmp_path, absl::StatusCode::kInternal, [&] {
    torch::save(model, tmp_path + "/model.pt");
    torch::save(optimizer, tmp_path + "/optimizer.pt");
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    at::Tensor rng;
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      rng = generator.get_state();
    }
    torch::save(rng, tmp_path + "/rng.pt");
  }));
  DS_RETURN_IF_ERROR(PublishFolder(tmp_path, final_path));
  DS_RETURN_IF_ERROR(WriteCurrent(rank_dir_, fs::path(final_path).filename().string()));
  DS_ASSIGN_OR_RETURN(const std::vector<int> epochs, Epochs());
  for (size_t i = 0; i + kKept < epochs.size(); ++i) fs::remove_all(FolderOf(epochs[i]), error);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> TrainingCheckpoints::Epochs() const {
  std::vector<int> epochs;
  std::error_code error;
  if (!fs::exists(rank_dir_, error)) return epochs;
  for (const fs::directory_entry& entry : fs::directory_iterator(rank_dir_, error)) {
    const std::string name = entry.path().filename().string();
    const int64_t epoch = FolderNumber(name, kPrefix);
    if (epoch >= 0 && fs::exists(entry.path() / "state.json")) {
      epochs.push_back(static_cast<int>(epoch));
    } else if (name.find(".tmp-") != std::string::npos) {
      fs::remove_all(entry.path(), error);  // Left by a run killed while writing.
    }
  }
  if (error) {
    return absl::InternalError(absl::StrCat("cannot list '", rank_dir_, "': ", error.message()));
  }
  std::sort(epochs.begin(), epochs.end());
  return epochs;
}

absl::Status TrainingCheckpoints::Restore(int epoch, const std::string& plan, GraphSage& model,
                                          torch::optim::Optimizer& optimizer) const {
  const std::string folder = FolderOf(epoch);
  nlohmann::json state;
  try {
    std::ifstream in(folder + "/state.json");
    std::stringstream text;
    text << in.rdbuf();
    state = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("checkpoint '", folder, "': state.json is damaged: ", e.what()));
  }
  const std::string saved_plan = state.value("plan", "");
  if (saved_plan != plan) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint '", folder, "' belongs to another run (its plan: ", saved_plan,
                     "; this run: ", plan,
                     "); resume with the flags it was started with, or give another "
                     "--checkpoint_dir"));
  }
  DS_RETURN_IF_ERROR(Guarded(folder, absl::StatusCode::kDataLoss, [&] {
    torch::load(model, folder + "/model.pt");
    torch::load(optimizer, folder + "/optimizer.pt");
    at::Tensor rng;
    torch::load(rng, folder + "/rng.pt");
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng);
  }));
  const std::string checksum = absl::StrFormat("%08x", ParameterChecksum(model));
  if (checksum != state.value("param_checksum", "")) {
    return absl::DataLossError(absl::StrCat("checkpoint '", folder, "': parameters checksum ",
                                            checksum, ", but state.json says ",
                                            state.value("param_checksum", "")));
  }
  return absl::OkStatus();
}

}  // namespace distsage
