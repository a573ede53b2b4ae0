#include "trainer/train_options.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace distsage {

std::vector<int> ModelOptions::EvalFanouts() const {
  std::vector<int> eval(fanouts.size());
  for (size_t i = 0; i < fanouts.size(); ++i) eval[i] = fanouts[i] == 0 ? 0 : -1;
  return eval;
}

std::string ModelOptions::ToJson() const {
  nlohmann::json json = {
      {"in_dim", in_dim},         {"num_classes", num_classes},
      {"num_hidden", num_hidden}, {"num_layers", num_layers},
      {"dropout", dropout},       {"input_dropout", input_dropout},
      {"layer_norm", layer_norm}, {"feature_norm", FeatureNormName(feature_norm)},
      {"fan_out", fanouts},       {"embedding_dim", embedding_dim}};
  return json.dump(2);
}

absl::StatusOr<ModelOptions> ModelOptions::FromJson(const std::string& text,
                                                    const std::string& source) {
  ModelOptions options;
  try {
    const nlohmann::json json = nlohmann::json::parse(text);
    options.in_dim = json.at("in_dim").get<int64_t>();
    options.num_classes = json.at("num_classes").get<int64_t>();
    options.num_hidden = json.at("num_hidden").get<int>();
    options.num_layers = json.at("num_layers").get<int>();
    options.dropout = json.at("dropout").get<double>();
    options.input_dropout = json.at("input_dropout").get<double>();
    options.layer_norm = json.at("layer_norm").get<bool>();
    auto norm = ParseFeatureNorm(json.at("feature_norm").get<std::string>());
    if (!norm.ok())
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", norm.status().message()));
    options.feature_norm = *norm;
    options.fanouts = json.at("fan_out").get<std::vector<int>>();
    options.embedding_dim = json.value("embedding_dim", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a model description: ", e.what()));
  }
  if (options.num_layers < 1 || static_cast<int>(options.fanouts.size()) != options.num_layers ||
      options.in_dim < 1 || options.num_classes < 1 || options.num_hidden < 1) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": inconsistent model description"));
  }
  return options;
}

absl::StatusOr<FeatureNorm> ParseFeatureNorm(const std::string& name) {
  if (name == "none") return FeatureNorm::kNone;
  if (name == "row") return FeatureNorm::kRow;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown feature normalisation '", name, "'; use 'none' or 'row'"));
}

absl::StatusOr<DropoutMasks> ParseDropoutMasks(const std::string& name) {
  if (name == "torch") return DropoutMasks::kTorch;
  if (name == "counter") return DropoutMasks::kCounter;
  return absl::InvalidArgumentError(absl::StrCat(
      "--dropout_masks='", name,
      "': use 'torch' (LibTorch's dropout) or 'counter' (the same distribution drawn in "
      "parallel)"));
}

std::string DropoutMasksName(DropoutMasks masks) {
  return masks == DropoutMasks::kCounter ? "counter" : "torch";
}

std::string FeatureNormName(FeatureNorm norm) { return norm == FeatureNorm::kRow ? "row" : "none"; }

absl::StatusOr<std::vector<int>> ParseFanouts(const std::string& text) {
  std::vector<int> fanouts;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value < -1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--fan_out='", text, "': '", part,
                       "' is not a fan-out; give comma-separated integers >= 0 (or -1 for all "
                       "in-edges), input layer first, e.g. 10,25"));
    }
    fanouts.push_back(value);
  }
  return fanouts;
}

absl::Status ValidateTrainOptions(const PartitionConfig& config, TrainOptions* options) {
  ModelOptions& model = options->model;
  if (model.num_layers < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--num_layers=", model.num_layers, " must be at least 1"));
  }
  if (static_cast<int>(model.fanouts.size()) != model.num_layers) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--fan_out lists ", model.fanouts.size(), " fan-outs (", absl::StrJoin(model.fanouts, ","),
        ") but --num_layers=", model.num_layers, "; give one fan-out per layer"));
  }
  if (model.num_hidden < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--num_hidden=", model.num_hidden, " must be at least 1"));
  }
  if (model.dropout < 0.0 || model.dropout >= 1.0 || model.input_dropout < 0.0 ||
      model.input_dropout >= 1.0) {
    return absl::InvalidArgumentError(absl::StrCat("--dropout=", model.dropout,
                                                   " and --input_dropout=", model.input_dropout,
                                                   " must be in [0, 1)"));
  }
  if (options->batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--batch_size=", options->batch_size, " must be at least 1"));
  }
  if (options->batch_size_eval < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--batch_size_eval=", options->batch_size_eval, " must be at least 1"));
  }
  if (options->num_epochs < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--num_epochs=", options->num_epochs, " must not be negative"));
  }
  if (!(options->lr > 0.0)) {
    return absl::InvalidArgumentError(absl::StrCat("--lr=", options->lr, " must be positive"));
  }
  if (options->weight_decay < 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--weight_decay=", options->weight_decay, " must not be negative"));
  }
  if (options->eval_every < -1 || options->log_every < 1) {
    return absl::InvalidArgumentError(
        "--eval_every must be >= -1 (0: only at the end, -1: never) and --log_every >= 1");
  }
  if (options->num_threads < 0 || options->num_loader_threads < 0 || options->model_threads < 0 ||
      options->prefetch < 1) {
    return absl::InvalidArgumentError(
        "--num_threads, --num_loader_threads and --model_threads must be >= 0 (0: automatic), "
        "--prefetch >= 1");
  }
  if (options->loader_nice < 0 || options->loader_nice > kMaxNice) {
    return absl::InvalidArgumentError(
        absl::StrCat("--loader_nice=", options->loader_nice,
                     ": expected 0 (the loader threads at the model's "
                     "priority) to ",
                     kMaxNice, " (the lowest, the default)"));
  }
  if (options->checkpoint_every < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--checkpoint_every=", options->checkpoint_every,
                                                   ": expected 1 or more epochs"));
  }
  if (options->checkpoint_every_batches < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--checkpoint_every_batches=", options->checkpoint_every_batches,
                     ": expected 0 (checkpoints at epoch ends only) or more batches"));
  }
  if (options->checkpoint_every_batches > 0 && options->checkpoint_dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--checkpoint_every_batches=", options->checkpoint_every_batches,
                     " needs --checkpoint_dir=DIR (where the checkpoints go)"));
  }
  if (options->resume && options->checkpoint_dir.empty()) {
    return absl::InvalidArgumentError(
        "--resume needs --checkpoint_dir=DIR (the folder the interrupted run checkpointed to)");
  }
  if (model.embedding_dim < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--node_embedding_dim=", model.embedding_dim, " must not be negative"));
  }
  if (model.embedding_dim > 0 && !(options->sparse_lr > 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--sparse_lr=", options->sparse_lr, " must be positive"));
  }
  // Embeddings alone: no feature asked for, or a graph without features.
  const bool no_feature = options->feature_name.empty() || config.node_features.empty();
  if (no_feature && model.embedding_dim == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "graph '", config.graph_name, "' ",
        config.node_features.empty() ? "has no node features" : "is trained without features",
        "; train on learnable node embeddings with --node_embedding_dim D (e.g. 64)"));
  }
  if (no_feature) {
    options->feature_name.clear();
    if (model.feature_norm != FeatureNorm::kNone) {
      return absl::InvalidArgumentError("--feature_norm needs a feature (--feature_name)");
    }
  }
  const FeatureSpec* feature = no_feature ? nullptr : config.FindFeature(options->feature_name);
  if (!no_feature && feature == nullptr) {
    std::vector<std::string> names;
    for (const FeatureSpec& spec : config.node_features) names.push_back(spec.name);
    return absl::InvalidArgumentError(
        absl::StrCat("graph '", config.graph_name, "' has no node feature '", options->feature_name,
                     "' (it has: ", absl::StrJoin(names, ", "), "); pick one with --feature_name"));
  }
  if (feature != nullptr && (!CheckFeatureDtype(feature->dtype, "").ok() || feature->dim < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature '", feature->name, "' is ", feature->dtype, "[", feature->dim,
                     "]; the trainer reads float32 or bfloat16 rows"));
  }
  if (config.num_classes < 2) {
    return absl::InvalidArgumentError(absl::StrCat("graph '", config.graph_name, "' has ",
                                                   config.num_classes,
                                                   " classes; node classification needs >= 2"));
  }
  model.in_dim = (feature == nullptr ? 0 : feature->dim) + model.embedding_dim;
  model.num_classes = config.num_classes;
  return absl::OkStatus();
}

}  // namespace distsage
