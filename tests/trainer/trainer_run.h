// What the trainer CLI tests share: the documented Cora recipe and reading
// the JSON line a trainer run prints.
#ifndef DISTSAGE_TESTS_TRAINER_TRAINER_RUN_H_
#define DISTSAGE_TESTS_TRAINER_TRAINER_RUN_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace distsage::testing {

// The README's Cora recipe (bench/RESULTS-trainer.md), with LibTorch limited
// to `num_threads` threads.
std::vector<std::string> CoraRecipe(int num_threads);

// The JSON summary line in a trainer's output (a test failure and an empty
// object when there is none).
nlohmann::json TrainerSummary(const std::string& output);

}  // namespace distsage::testing

#endif  // DISTSAGE_TESTS_TRAINER_TRAINER_RUN_H_
