#include "tests/trainer/trainer_run.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace distsage::testing {

std::vector<std::string> CoraRecipe(int num_threads) {
  return {"--num_epochs=200",    "--lr=0.01",
          "--weight_decay=5e-4", "--feature_norm=row",
          "--input_dropout=0.5", "--dropout=0.5",
          "--num_hidden=16",     "--fan_out=10,25",
          "--eval_every=0",      absl::StrCat("--num_threads=", num_threads)};
}

nlohmann::json TrainerSummary(const std::string& output) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!line.empty() && line.front() == '{') return nlohmann::json::parse(line);
  }
  ADD_FAILURE() << "no JSON summary in:\n" << output;
  return nlohmann::json::object();
}

}  // namespace distsage::testing
