#include "trainer/model_checkpoint.h"

#include <torch/serialize.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace distsage {

absl::Status SaveModel(GraphSage& model, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--save_model: cannot create folder '", dir, "': ", error.message()));
  }
  const std::string json_path = dir + "/model.json";
  std::ofstream json(json_path);
  json << model->options().ToJson() << "\n";
  json.close();
  if (!json) return absl::InternalError(absl::StrCat("cannot write '", json_path, "'"));
  try {
    torch::save(model, dir + "/model.pt");
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("cannot write '", dir, "/model.pt': ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

absl::StatusOr<GraphSage> LoadModel(const std::string& dir) {
  const std::string json_path = dir + "/model.json";
  std::ifstream json(json_path);
  if (!json) {
    return absl::NotFoundError(absl::StrCat("--load_model: '", json_path,
                                            "' not found; give a folder written by --save_model"));
  }
  std::stringstream text;
  text << json.rdbuf();
  auto options = ModelOptions::FromJson(text.str(), json_path);
  if (!options.ok()) return options.status();
  GraphSage model(*options);
  try {
    torch::load(model, dir + "/model.pt");
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("--load_model: cannot load '", dir,
                                                   "/model.pt': ", e.what_without_backtrace()));
  }
  return model;
}

}  // namespace distsage
