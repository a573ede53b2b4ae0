#include "trainer/trainer_group.h"

#include <ATen/ATen.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "trainer/rendezvous_store.h"

namespace distsage {
namespace {

bool IsLoopback(absl::string_view host) {
  return host == "localhost" || absl::StartsWith(host, "127.") || host == "::1";
}

// This machine's address on the route to `host` (the source address the
// kernel would pick), without sending anything: binding Gloo to it works on
// every machine, where the hostname may resolve to 127.0.1.1 (Debian's
// /etc/hosts) and leave the other machines unable to connect. "" if unknown.
std::string LocalAddressToward(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), "9", &hints, &found) != 0 || found == nullptr) return "";
  std::string address;
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  socklen_t length = sizeof(local);
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
    char text[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &local.sin_addr, text, sizeof(text)) != nullptr) address = text;
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  return address;
}

// The first line of a c10d/Gloo exception: the rest is a C++ stack trace.
std::string FirstLine(const std::exception& error) {
  const std::string what = error.what();
  return what.substr(0, what.find('\n'));
}

// "Float [3, 4]": a tensor's dtype and shape, for errors.
std::string Describe(const at::Tensor& tensor) {
  return absl::StrCat(c10::toString(tensor.scalar_type()), " [",
                      absl::StrJoin(tensor.sizes(), ", "), "]");
}

}  // namespace

struct TrainerGroup::State {
  TrainerGroupOptions options;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

  // Runs one collective and waits for it, turning c10d's exceptions (a peer
  // gone, a timeout) into a Status that says what was going on.
  template <typename StartWork>
  absl::Status Wait(absl::string_view what, StartWork start_work) {
    try {
      c10::intrusive_ptr<c10d::Work> work = start_work();
      work->wait();
      return absl::OkStatus();
    } catch (const std::exception& error) {
      return absl::UnavailableError(
          absl::StrCat("trainer rank ", options.rank, " of ", options.world_size, ": ", what,
                       " failed: ", FirstLine(error),
                       " (another trainer has probably exited or stopped answering; see its log)"));
    }
  }

  // Every rank's `values`, rank-major.
  template <typename T>
  absl::StatusOr<std::vector<std::vector<T>>> Gather(absl::Span<const T> values,
                                                     at::ScalarType type) {
    const int64_t n = static_cast<int64_t>(values.size());
    std::vector<at::Tensor> input = {at::empty({n}, type)};
    std::copy(values.begin(), values.end(), input[0].data_ptr<T>());
    std::vector<std::vector<at::Tensor>> output(1);
    for (int rank = 0; rank < options.world_size; ++rank) {
      output[0].push_back(at::empty({n}, type));
    }
    absl::Status status = Wait("all-gather", [&] { return group->allgather(output, input); });
    if (!status.ok()) return status;
    std::vector<std::vector<T>> rows;
    for (const at::Tensor& row : output[0]) {
      rows.emplace_back(row.data_ptr<T>(), row.data_ptr<T>() + n);
    }
    return rows;
  }
};

TrainerGroup::TrainerGroup(std::unique_ptr<State> state) : state_(std::move(state)) {}
TrainerGroup::~TrainerGroup() = default;

int TrainerGroup::rank() const { return state_->options.rank; }
int TrainerGroup::world_size() const { return state_->options.world_size; }

absl::StatusOr<std::unique_ptr<TrainerGroup>> TrainerGroup::Join(
    const TrainerGroupOptions& options) {
  if (options.world_size < 1 || options.rank < 0 || options.rank >= options.world_size) {
    return absl::InvalidArgumentError(absl::StrCat("trainer rank ", options.rank,
                                                   " is not in [0, world size ", options.world_size,
                                                   "); give each trainer a distinct --rank below "
                                                   "--world_size"));
  }
  if (options.master_port < (options.rank == 0 ? 0 : 1) || options.master_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--master_port=", options.master_port,
                     " is not a TCP port (1-65535; 0 on rank 0 takes any free port)"));
  }
  const auto timeout = std::chrono::milliseconds(absl::ToInt64Milliseconds(options.timeout));
  auto state = std::make_unique<State>();
  state->options = options;
  RendezvousOptions rendezvous;
  rendezvous.master_addr = options.master_addr;
  rendezvous.master_port = options.master_port;
  rendezvous.host = options.rank == 0;
  rendezvous.tls = options.tls;
  rendezvous.auth_token = options.auth_token;
  rendezvous.timeout = options.timeout;
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> store = RendezvousStore::Open(rendezvous);
  if (!store.ok()) {
    return absl::Status(store.status().code(), absl::StrCat("trainer rank ", options.rank, ": ",
                                                            store.status().message()));
  }
  state->options.master_port = (*store)->port();
  state->store = *std::move(store);
  if (options.rank == 0 && options.on_master_ready) {
    options.on_master_ready(state->options.master_port);
  }
  try {
    auto group_options = c10d::ProcessGroupGloo::Options::create(timeout);
    std::string bind_host = options.bind_host;
    if (bind_host.empty()) {
      bind_host =
          IsLoopback(options.master_addr) ? "127.0.0.1" : LocalAddressToward(options.master_addr);
    }
    group_options->devices.push_back(
        bind_host.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                          : c10d::ProcessGroupGloo::createDeviceForHostname(bind_host));
    // Gradients are one flat buffer per step: one thread does the work.
    group_options->threads = 1;
    state->group = c10::make_intrusive<c10d::ProcessGroupGloo>(state->store, options.rank,
                                                               options.world_size, group_options);
    // Gloo hands a rank its group once that rank's own side of every
    // connection is up, which can be before its peers' sides are: a rank
    // that then failed at once and closed its group (a bad input found
    // right after joining) made a peer still joining report that the
    // trainers never all joined. Returning only when every rank has joined
    // keeps each one's error its own.
    state->group->barrier()->wait();
  } catch (const std::exception& error) {
    return absl::DeadlineExceededError(absl::StrCat(
        "trainer rank ", options.rank, ": the ", options.world_size,
        " trainers did not all join through ", options.master_addr, ":", state->options.master_port,
        " within ", absl::FormatDuration(options.timeout), ": ", FirstLine(error),
        " (start every rank 0..", options.world_size - 1, " with the same --world_size)"));
  }
  return std::unique_ptr<TrainerGroup>(new TrainerGroup(std::move(state)));
}

absl::Status TrainerGroup::AverageGradients(const std::vector<at::Tensor>& parameters) {
  if (parameters.empty()) return absl::OkStatus();
  std::vector<at::Tensor> grads;
  grads.reserve(parameters.size());
  for (const at::Tensor& parameter : parameters) {
    at::Tensor grad = parameter.grad();
    grads.push_back(grad.defined() ? grad.reshape({-1}) : at::zeros({parameter.numel()}));
  }
  std::vector<at::Tensor> flat = {at::cat(grads)};
  absl::Status status =
      state_->Wait("gradient all-reduce", [&] { return state_->group->allreduce(flat); });
  if (!status.ok()) return status;
  flat[0].div_(static_cast<double>(world_size()));
  int64_t offset = 0;
  for (const at::Tensor& parameter : parameters) {
    const int64_t n = parameter.numel();
    at::Tensor mean = flat[0].narrow(0, offset, n).view(parameter.sizes());
    if (parameter.grad().defined()) {
      parameter.mutable_grad().copy_(mean);
    } else {
      parameter.mutable_grad() = mean.clone();
    }
    offset += n;
  }
  return absl::OkStatus();
}

absl::Status TrainerGroup::BroadcastFromRankZero(const std::vector<at::Tensor>& tensors) {
  if (tensors.empty()) return absl::OkStatus();
  std::vector<at::Tensor> flat_parts;
  flat_parts.reserve(tensors.size());
  for (const at::Tensor& tensor : tensors) flat_parts.push_back(tensor.detach().reshape({-1}));
  std::vector<at::Tensor> flat = {at::cat(flat_parts)};
  absl::Status status =
      state_->Wait("parameter broadcast", [&] { return state_->group->broadcast(flat); });
  if (!status.ok()) return status;
  int64_t offset = 0;
  at::NoGradGuard no_grad;
  for (const at::Tensor& tensor : tensors) {
    const int64_t n = tensor.numel();
    tensor.detach().copy_(flat[0].narrow(0, offset, n).view(tensor.sizes()));
    offset += n;
  }
  return absl::OkStatus();
}

absl::Status TrainerGroup::SumInPlace(std::vector<double>* values) {
  if (values->empty()) return absl::OkStatus();
  std::vector<at::Tensor> tensor = {
      at::from_blob(values->data(), {static_cast<int64_t>(values->size())}, at::kDouble)};
  return state_->Wait("sum", [&] { return state_->group->allreduce(tensor); });
}

absl::StatusOr<std::vector<std::vector<double>>> TrainerGroup::AllGather(
    absl::Span<const double> values) {
  return state_->Gather(values, at::kDouble);
}

absl::StatusOr<std::vector<std::vector<int64_t>>> TrainerGroup::AllGather(
    absl::Span<const int64_t> values) {
  return state_->Gather(values, at::kLong);
}

absl::StatusOr<std::vector<at::Tensor>> TrainerGroup::AllToAll(
    const std::vector<at::Tensor>& to_rank) {
  const int ranks = world_size();
  if (static_cast<int>(to_rank.size()) != ranks) {
    return absl::InvalidArgumentError(
        absl::StrCat("all-to-all: ", to_rank.size(), " tensors for a world of ", ranks, " ranks"));
  }
  for (const at::Tensor& tensor : to_rank) {
    if (tensor.dim() == 0 || tensor.scalar_type() != to_rank[0].scalar_type() ||
        tensor.sizes().slice(1) != to_rank[0].sizes().slice(1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "all-to-all: the tensors for the ranks must be rows of one dtype and one row shape; got ",
          Describe(tensor), " and ", Describe(to_rank[0])));
    }
  }
  // The row counts first (one per rank each way), so that every rank can
  // size its output and both sides agree on the splits.
  at::Tensor send_counts = at::empty({ranks}, at::kLong);
  for (int r = 0; r < ranks; ++r) send_counts.data_ptr<int64_t>()[r] = to_rank[r].size(0);
  at::Tensor receive_counts = at::empty({ranks}, at::kLong);
  std::vector<int64_t> equal_splits;
  absl::Status status = state_->Wait("all-to-all of the row counts", [&] {
    return state_->group->alltoall_base(receive_counts, send_counts, equal_splits, equal_splits);
  });
  if (!status.ok()) return status;
  std::vector<int64_t> send_splits(send_counts.data_ptr<int64_t>(),
                                   send_counts.data_ptr<int64_t>() + ranks);
  std::vector<int64_t> receive_splits(receive_counts.data_ptr<int64_t>(),
                                      receive_counts.data_ptr<int64_t>() + ranks);
  int64_t total = 0;
  for (const int64_t rows : receive_splits) total += rows;
  at::Tensor input = at::cat(to_rank).contiguous();
  std::vector<int64_t> output_shape = to_rank[0].sizes().vec();
  output_shape[0] = total;
  at::Tensor output = at::empty(output_shape, input.options());
  status = state_->Wait("all-to-all", [&] {
    // Copies: ProcessGroupGloo moves the split vectors into its work item.
    std::vector<int64_t> output_splits = receive_splits;
    std::vector<int64_t> input_splits = send_splits;
    return state_->group->alltoall_base(output, input, output_splits, input_splits);
  });
  if (!status.ok()) return status;
  std::vector<at::Tensor> from_rank;
  int64_t offset = 0;
  for (const int64_t rows : receive_splits) {
    from_rank.push_back(output.narrow(0, offset, rows));
    offset += rows;
  }
  return from_rank;
}

absl::StatusOr<int> TrainerGroup::FirstRankDifferingFromRankZero(int64_t value) {
  absl::StatusOr<std::vector<std::vector<int64_t>>> all = AllGather(absl::MakeConstSpan(&value, 1));
  if (!all.ok()) return all.status();
  for (int rank = 1; rank < world_size(); ++rank) {
    if ((*all)[rank][0] != (*all)[0][0]) return rank;
  }
  return -1;
}

absl::Status ApplyTorchDistributedEnvironment(TrainerGroupOptions* options) {
  const auto read_int = [](const char* name, int* out) -> absl::Status {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return absl::OkStatus();
    if (!absl::SimpleAtoi(text, out)) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", name, "='", text, "' is not an integer"));
    }
    return absl::OkStatus();
  };
  absl::Status status = read_int("RANK", &options->rank);
  if (status.ok()) status = read_int("WORLD_SIZE", &options->world_size);
  if (status.ok()) status = read_int("MASTER_PORT", &options->master_port);
  if (!status.ok()) return status;
  const char* addr = std::getenv("MASTER_ADDR");
  if (addr != nullptr && *addr != '\0') options->master_addr = addr;
  return absl::OkStatus();
}

}  // namespace distsage
