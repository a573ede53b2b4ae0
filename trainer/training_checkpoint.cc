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
#include <optional>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/numbered_folders.h"
#include "common/status_macros.h"

namespace distsage {
namespace {

namespace fs = std::filesystem;
constexpr char kPrefix[] = "ckpt-";
constexpr size_t kKept = 2;

// "lr: 0.01 there, 0.02 here; precision: fp32 there, bf16 here": the
// settings two plans (JSON objects) disagree on, or "" if either is not one.
std::string PlanDifferences(const std::string& saved, const std::string& current) {
  const nlohmann::json there = nlohmann::json::parse(saved, nullptr, /*allow_exceptions=*/false);
  const nlohmann::json here = nlohmann::json::parse(current, nullptr, /*allow_exceptions=*/false);
  if (!there.is_object() || !here.is_object()) return "";
  std::string differences;
  const auto add = [&](const std::string& key) {
    const auto shown = [&key](const nlohmann::json& plan) {
      return plan.contains(key) ? plan.at(key).dump() : std::string("(not set)");
    };
    absl::StrAppend(&differences, differences.empty() ? "" : "; ", key, ": ", shown(there),
                    " there, ", shown(here), " here");
  };
  for (const auto& [key, value] : there.items()) {
    if (!here.contains(key) || here.at(key) != value) add(key);
  }
  for (const auto& [key, value] : here.items()) {
    if (!there.contains(key)) add(key);
  }
  return differences;
}

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

// The position a checkpoint folder's name holds ("ckpt-<epoch>" or
// "ckpt-<epoch>-<batch>"), or nullopt for any other name (".tmp-" ones too).
std::optional<CheckpointPosition> PositionOfFolder(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, kPrefix)) return std::nullopt;
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '-');
  CheckpointPosition position;
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &position.epoch) || position.epoch < 0 ||
      (parts.size() == 2 && (!absl::SimpleAtoi(parts[1], &position.batch) || position.batch <= 0 ||
                             position.batch > 0xffffffff))) {
    return std::nullopt;
  }
  return position;
}

}  // namespace

std::string CheckpointPosition::ToString() const {
  return batch == 0 ? absl::StrCat("epoch ", epoch)
                    : absl::StrCat("epoch ", epoch, ", batch ", batch);
}

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

std::string TrainingCheckpoints::FolderOf(CheckpointPosition position) const {
  std::string name = absl::StrFormat("%s%06d", kPrefix, position.epoch);
  if (position.batch > 0) absl::StrAppendFormat(&name, "-%08d", position.batch);
  return (fs::path(rank_dir_) / name).string();
}

absl::Status TrainingCheckpoints::Write(CheckpointPosition position, const PartialEpoch& partial,
                                        const std::string& plan, uint32_t param_checksum,
                                        GraphSage& model,
                                        torch::optim::Optimizer& optimizer) const {
  std::error_code error;
  fs::create_directories(rank_dir_, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--checkpoint_dir: cannot create '", rank_dir_, "': ", error.message()));
  }
  const std::string final_path = FolderOf(position);
  const std::string tmp_path = absl::StrCat(final_path, ".tmp-", getpid());
  fs::remove_all(tmp_path, error);
  fs::remove_all(final_path, error);  // A rerun of the same position replaces it.
  fs::create_directories(tmp_path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot create '", tmp_path, "': ", error.message()));
  }
  nlohmann::json state = {{"epoch", position.epoch},
                          {"plan", plan},
                          {"param_checksum", absl::StrFormat("%08x", param_checksum)}};
  if (position.batch > 0) {
    // nlohmann writes doubles with enough digits to read back the same bits.
    state["batch"] = position.batch;
    state["batches_per_epoch"] = partial.batches_per_epoch;
    state["loss_sum"] = partial.loss_sum;
    state["correct"] = partial.correct;
    state["num_seeds"] = partial.num_seeds;
  }
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
  DS_ASSIGN_OR_RETURN(const std::vector<CheckpointPosition> positions, Positions());
  for (size_t i = 0; i + kKept < positions.size(); ++i) {
    fs::remove_all(FolderOf(positions[i]), error);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CheckpointPosition>> TrainingCheckpoints::Positions() const {
  std::vector<CheckpointPosition> positions;
  std::error_code error;
  if (!fs::exists(rank_dir_, error)) return positions;
  for (const fs::directory_entry& entry : fs::directory_iterator(rank_dir_, error)) {
    const std::string name = entry.path().filename().string();
    const std::optional<CheckpointPosition> position = PositionOfFolder(name);
    if (position.has_value() && fs::exists(entry.path() / "state.json")) {
      positions.push_back(*position);
    } else if (name.find(".tmp-") != std::string::npos) {
      fs::remove_all(entry.path(), error);  // Left by a run killed while writing.
    }
  }
  if (error) {
    return absl::InternalError(absl::StrCat("cannot list '", rank_dir_, "': ", error.message()));
  }
  std::sort(positions.begin(), positions.end());
  return positions;
}

absl::StatusOr<PartialEpoch> TrainingCheckpoints::Restore(
    CheckpointPosition position, const std::string& plan, GraphSage& model,
    torch::optim::Optimizer& optimizer) const {
  const std::string folder = FolderOf(position);
  nlohmann::json state;
  PartialEpoch partial;
  try {
    std::ifstream in(folder + "/state.json");
    std::stringstream text;
    text << in.rdbuf();
    state = nlohmann::json::parse(text.str());
    if (position.batch > 0) {
      partial.batches_per_epoch = state.at("batches_per_epoch").get<int64_t>();
      partial.loss_sum = state.at("loss_sum").get<double>();
      partial.correct = state.at("correct").get<int64_t>();
      partial.num_seeds = state.at("num_seeds").get<int64_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("checkpoint '", folder, "': state.json is damaged: ", e.what()));
  }
  const std::string saved_plan = state.value("plan", "");
  if (saved_plan != plan) {
    const std::string differences = PlanDifferences(saved_plan, plan);
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint '", folder, "' belongs to another run (",
        differences.empty() ? absl::StrCat("its plan: ", saved_plan, "; this run: ", plan)
                            : absl::StrCat("it differs in ", differences),
        "); resume with the flags it was started with (a checkpoint from before --precision "
        "auto became the default was made in fp32: --precision=fp32; which partitions' "
        "float32 feature rows reach the model rounded to bfloat16 follows from "
        "--feature_memory_dtype, --feature_wire_dtype and the graph servers' "
        "--feature_memory_dtype), or give another --checkpoint_dir"));
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
  return partial;
}

}  // namespace distsage
