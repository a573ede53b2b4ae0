// The data-parallel trainers of one distributed run, as a c10d process group
// (ProcessGroupGloo over TCP, rendezvous through the store that rank 0
// hosts at master_addr:master_port, trainer/rendezvous_store.h). Every collective here is a
// blocking call that all ranks must make in the same order; each fails with an error Status (not a
// hang) when a peer dies or does not arrive within the timeout.
//
// Only the trainer's model code uses it; LibTorch's c10d and Gloo headers stay
// in the .cc file.
#ifndef DISTSAGE_TRAINER_TRAINER_GROUP_H_
#define DISTSAGE_TRAINER_TRAINER_GROUP_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "proto/transport_security.h"

namespace distsage {

struct TrainerGroupOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  // 0 (rank 0 only): the store takes any free port, reported through
  // on_master_ready, and the other ranks must be told it.
  int master_port = 29500;
  // Called on rank 0 with the store's port once it listens, before the
  // other ranks are waited for.
  std::function<void(int port)> on_master_ready;
  // How long ranks wait for each other: at rendezvous and in every collective.
  absl::Duration timeout = absl::Minutes(5);
  // The address this rank's Gloo connections bind to. Empty: 127.0.0.1 when
  // master_addr is a loopback address, else this machine's address on the
  // route to master_addr (falling back to what its hostname resolves to).
  std::string bind_host;
  // The trainers' TLS files and bearer token, which the rendezvous store
  // speaks (trainer/rendezvous_store.h). The collectives themselves (Gloo's
  // TCP pairs) are plaintext.
  TlsFiles tls;
  std::string auth_token;
};

class TrainerGroup {
 public:
  // Rendezvous of all ranks: rank 0 hosts the store, the others connect to
  // it (retrying until the timeout). Returns once every rank has joined.
  // Errors name the master address.
  static absl::StatusOr<std::unique_ptr<TrainerGroup>> Join(const TrainerGroupOptions& options);
  ~TrainerGroup();

  int rank() const;
  int world_size() const;

  // Replaces each parameter's gradient by its mean over all ranks, with one
  // all-reduce over a flat buffer (like DDP's buckets). A parameter without
  // a gradient counts as zeros. All ranks end with bit-identical gradients.
  absl::Status AverageGradients(const std::vector<at::Tensor>& parameters);
  // Overwrites `tensors` on every rank with rank 0's values.
  absl::Status BroadcastFromRankZero(const std::vector<at::Tensor>& tensors);
  // Element-wise sums of `values` over all ranks, in place.
  absl::Status SumInPlace(std::vector<double>* values);
  // Every rank's `values` (all ranks pass the same length), rank-major.
  absl::StatusOr<std::vector<std::vector<double>>> AllGather(absl::Span<const double> values);
  absl::StatusOr<std::vector<std::vector<int64_t>>> AllGather(absl::Span<const int64_t> values);
  // Sends to_rank[r] to rank r and returns what each rank sent to this one:
  // result[r] is rank r's to_rank[rank()]. The tensors are rows along
  // dimension 0, any number of them (zero too); all ranks pass world_size()
  // tensors of one dtype and one row shape (INVALID_ARGUMENT here when this
  // rank's differ among themselves). Two collectives: the row counts, then
  // the rows.
  absl::StatusOr<std::vector<at::Tensor>> AllToAll(const std::vector<at::Tensor>& to_rank);
  // The lowest rank whose `value` differs from rank 0's, or -1 when every
  // rank passed the same value (e.g. a checksum all replicas must share).
  absl::StatusOr<int> FirstRankDifferingFromRankZero(int64_t value);

 private:
  struct State;
  explicit TrainerGroup(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Ranks, world size and rendezvous address from torch.distributed's
// environment variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), as set
// by launch tools; fields whose variable is unset keep their value. Errors
// name a variable that is set but malformed.
absl::Status ApplyTorchDistributedEnvironment(TrainerGroupOptions* options);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_TRAINER_GROUP_H_
