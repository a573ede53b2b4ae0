// A saved model is a folder: model.json (ModelOptions: the shape and
// preprocessing needed to rebuild it) and model.pt (torch::save of the
// parameters and buffers).
#ifndef DISTSAGE_TRAINER_MODEL_CHECKPOINT_H_
#define DISTSAGE_TRAINER_MODEL_CHECKPOINT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/sage_model.h"

namespace distsage {

// Creates `dir` if needed and writes the two files.
absl::Status SaveModel(GraphSage& model, const std::string& dir);

// Rebuilds the model described by dir/model.json and loads its parameters.
absl::StatusOr<GraphSage> LoadModel(const std::string& dir);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_MODEL_CHECKPOINT_H_
