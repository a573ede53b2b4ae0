// Checkpoints of a training run, for --resume after the whole job was killed:
// everything the next epoch depends on, so that a resumed run ends with the
// same parameters, bit for bit, as one that was never stopped. Per rank,
// in <dir>/rank-<r>/ckpt-<epoch>/:
//   state.json    epochs completed, the run's plan (what must match on
//                 resume), the parameter checksum;
//   model.pt      parameters and buffers;
//   optimizer.pt  the dense optimiser's state (Adam moments and steps);
//   rng.pt        this rank's LibTorch generator (dropout masks).
// Shuffling and sampling need nothing saved: they are functions of (seed,
// epoch, batch). Written crash-safe (common/numbered_folders.h); the last
// two checkpoints are kept, so that ranks killed on either side of a
// checkpoint still share one to resume from.
#ifndef DISTSAGE_TRAINER_TRAINING_CHECKPOINT_H_
#define DISTSAGE_TRAINER_TRAINING_CHECKPOINT_H_

#include <torch/optim/optimizer.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/sage_model.h"

namespace distsage {

class TrainingCheckpoints {
 public:
  // Checkpoints of rank `rank` under `dir` (created on the first Write).
  TrainingCheckpoints(std::string dir, int rank);

  const std::string& rank_dir() const { return rank_dir_; }

  // Writes the checkpoint after `epoch` completed epochs and makes it
  // current; removes all but the last two.
  absl::Status Write(int epoch, const std::string& plan, uint32_t param_checksum, GraphSage& model,
                     torch::optim::Optimizer& optimizer) const;

  // Epochs of the complete checkpoints there, ascending (none: empty).
  absl::StatusOr<std::vector<int>> Epochs() const;

  // Restores model, optimiser and generator from the checkpoint of `epoch`.
  // FAILED_PRECONDITION naming both when its plan differs from `plan` (the
  // run was started with other flags); DATA_LOSS when its files are damaged
  // or the restored parameters do not match its checksum.
  absl::Status Restore(int epoch, const std::string& plan, GraphSage& model,
                       torch::optim::Optimizer& optimizer) const;

 private:
  std::string FolderOf(int epoch) const;

  std::string rank_dir_;
};

// CRC-32 of every parameter's bytes, in order: the run's param_checksum.
uint32_t ParameterChecksum(GraphSage& model);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_TRAINING_CHECKPOINT_H_
