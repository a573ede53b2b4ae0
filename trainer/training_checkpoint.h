// Checkpoints of a training run, for --resume after the whole job was killed:
// everything the next batch depends on, so that a resumed run ends with the
// same parameters, bit for bit, as one that was never stopped. Per rank,
// in <dir>/rank-<r>/ckpt-<epoch>/ (at the end of an epoch) or
// ckpt-<epoch>-<batch>/ (`batch` batches into the epoch after `epoch`):
//   state.json    the position, the run's plan (what must match on resume),
//                 the parameter checksum, the partial epoch's loss and
//                 accuracy sums;
//   model.pt      parameters and buffers;
//   optimizer.pt  the dense optimiser's state (Adam moments and steps);
//   rng.pt        this rank's LibTorch generator (dropout masks).
// Shuffling and sampling need nothing saved: they are functions of (seed,
// epoch, batch), so a loader can start at any batch. Written crash-safe
// (common/numbered_folders.h); the last two checkpoints are kept, so that ranks killed on either
// side of a checkpoint still share one to resume from.
#ifndef DISTSAGE_TRAINER_TRAINING_CHECKPOINT_H_
#define DISTSAGE_TRAINER_TRAINING_CHECKPOINT_H_

#include <torch/optim/optimizer.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/sage_model.h"

namespace distsage {

// Where in training a checkpoint was taken: after `epoch` complete epochs
// and `batch` batches of the next one (0 at an epoch's end).
struct CheckpointPosition {
  int epoch = 0;
  int64_t batch = 0;

  // One integer per position, ordered as positions are (for collectives).
  int64_t Encoded() const { return (static_cast<int64_t>(epoch) << 32) | batch; }
  static CheckpointPosition Decode(int64_t encoded) {
    return {static_cast<int>(encoded >> 32), encoded & 0xffffffff};
  }
  // "epoch 4" or "epoch 4, batch 120".
  std::string ToString() const;
  bool operator<(const CheckpointPosition& other) const { return Encoded() < other.Encoded(); }
  bool operator==(const CheckpointPosition& other) const { return Encoded() == other.Encoded(); }
};

// The sums of the epoch in progress at a mid-epoch checkpoint, so that the
// resumed epoch's loss and accuracy cover all its batches.
struct PartialEpoch {
  int64_t batches_per_epoch = 0;  // Must match on resume.
  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t num_seeds = 0;
};

class TrainingCheckpoints {
 public:
  // Checkpoints of rank `rank` under `dir` (created on the first Write).
  TrainingCheckpoints(std::string dir, int rank);

  const std::string& rank_dir() const { return rank_dir_; }

  // Writes the checkpoint at `position` (with `partial`'s sums when it is
  // mid-epoch) and makes it current; removes all but the last two.
  absl::Status Write(CheckpointPosition position, const PartialEpoch& partial,
                     const std::string& plan, uint32_t param_checksum, GraphSage& model,
                     torch::optim::Optimizer& optimizer) const;

  // Positions of the complete checkpoints there, ascending (none: empty).
  absl::StatusOr<std::vector<CheckpointPosition>> Positions() const;

  // Restores model, optimiser and generator from the checkpoint at
  // `position` and returns its partial epoch. FAILED_PRECONDITION naming
  // both when its plan differs from `plan` (the run was started with other
  // flags); DATA_LOSS when its files are damaged or the restored parameters
  // do not match its checksum.
  absl::StatusOr<PartialEpoch> Restore(CheckpointPosition position, const std::string& plan,
                                       GraphSage& model, torch::optim::Optimizer& optimizer) const;

  // The folder of the checkpoint at `position`.
  std::string FolderOf(CheckpointPosition position) const;

 private:
  std::string rank_dir_;
};

// CRC-32 of every parameter's bytes, in order: the run's param_checksum.
uint32_t ParameterChecksum(GraphSage& model);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_TRAINING_CHECKPOINT_H_
