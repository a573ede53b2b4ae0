#include "client/kv_client.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/parallel_calls.h"
#include "client/routed_rows.h"
#include "common/id_router.h"
#include "common/status_macros.h"
#include "proto/distsage/kvstore.grpc.pb.h"
#include "proto/proto_wire.h"
#include "server/kv_spec_proto.h"

namespace distsage {

namespace {

// A client's push numbering: random, so that clients need no coordination,
// and never 0 (unnumbered).
uint64_t RandomClientId() {
  std::random_device device;
  uint64_t id = 0;
  while (id == 0) id = (uint64_t{device()} << 32) | device();
  return id;
}

}  // namespace

KVClient::KVClient(PartitionConfig config, std::vector<std::shared_ptr<KVStore>> local,
                   std::shared_ptr<ServerChannels> channels)
    : config_(std::move(config)),
      book_(config_.Book()),
      local_(std::move(local)),
      channels_(std::move(channels)),
      client_id_(RandomClientId()) {}

absl::StatusOr<std::unique_ptr<KVClient>> KVClient::OpenInProcess(const PartitionConfig& config,
                                                                  bool with_saves) {
  const PartitionBook book = config.Book();
  std::vector<std::shared_ptr<KVStore>> stores;
  for (int part = 0; part < config.num_parts(); ++part) {
    KVStoreOptions options;
    options.row_begin = book.RangeBegin(part);
    options.row_end = book.RangeEnd(part);
    if (with_saves) options.save_dir = config.PartPath(part) + ".kv";
    options.load_current_save = false;
    DS_ASSIGN_OR_RETURN(std::unique_ptr<KVStore> store, KVStore::Open(options));
    stores.push_back(std::move(store));
  }
  return std::unique_ptr<KVClient>(new KVClient(config, std::move(stores), nullptr));
}

absl::StatusOr<std::unique_ptr<KVClient>> KVClient::Connect(
    const PartitionConfig& config, std::shared_ptr<ServerChannels> channels) {
  for (int part = 0; part < config.num_parts(); ++part) {
    if (channels == nullptr || channels->servers_of(part).empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("partition ", part, " of graph '", config.graph_name,
                       "' has no graph server: its KV tensors live in its first server"));
    }
  }
  return std::unique_ptr<KVClient>(new KVClient(
      config, std::vector<std::shared_ptr<KVStore>>(config.num_parts()), std::move(channels)));
}

template <typename Response, typename Request, typename Local, typename Start>
absl::Status KVClient::OnEveryPartition(const char* method, const Request& request, Local local,
                                        Start start) {
  for (int part = 0; part < config_.num_parts(); ++part) {
    if (!IsLocal(part)) continue;
    const absl::Status status = local(*local_[part]);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("partition ", part, ": ", status.message()));
    }
  }
  if (channels_ == nullptr) return absl::OkStatus();
  return FirstFailure(*channels_,
                      CallServers<KVStoreService, Response>(*channels_, channels_->PrimaryServers(),
                                                            request, std::move(start)),
                      method);
}

absl::Status KVClient::CreateTensor(const KVTensorSpec& spec) {
  DS_RETURN_IF_ERROR(CheckSpec(spec));
  CreateTensorRequest request;
  request.set_graph_name(config_.graph_name);
  *request.mutable_spec() = SpecToProto(spec);
  DS_RETURN_IF_ERROR(OnEveryPartition<TensorInfo>(
      "KVStoreService.CreateTensor", request, [&](KVStore& store) { return store.Create(spec); },
      [](auto* async, auto* context, auto* r, auto* info, CallDone done) {
        async->CreateTensor(context, r, info, std::move(done));
      }));
  absl::MutexLock lock(&mu_);
  specs_[spec.name] = spec;
  return absl::OkStatus();
}

absl::StatusOr<KVTensorSpec> KVClient::Describe(const std::string& name) {
  {
    absl::MutexLock lock(&mu_);
    const auto found = specs_.find(name);
    if (found != specs_.end()) return found->second;
  }
  // Every partition holds every tensor: ask the first one.
  KVTensorSpec spec;
  bool found = false;
  if (IsLocal(0)) {
    DS_ASSIGN_OR_RETURN(const std::shared_ptr<KVTable> table, local_[0]->Find(name));
    spec = table->spec();
    found = true;
  } else {
    const auto [server, connection] = channels_->PickPrimary(0);
    grpc::ClientContext context;
    channels_->PrepareContext(&context);
    ListTensorsRequest request;
    request.set_graph_name(config_.graph_name);
    ListTensorsResponse response;
    const grpc::Status status = KVStoreService::NewStub(server->channels[connection])
                                    ->ListTensors(&context, request, &response);
    if (!status.ok()) {
      return channels_->CallError(status, "KVStoreService.ListTensors", 0, *server);
    }
    for (const TensorInfo& info : response.tensors()) {
      if (info.spec().name() != name) continue;
      DS_ASSIGN_OR_RETURN(spec, SpecFromProto(info.spec()));
      found = true;
    }
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no KV tensor '", name, "' in graph '",
                                            config_.graph_name, "'; create it first"));
  }
  absl::MutexLock lock(&mu_);
  specs_[name] = spec;
  return spec;
}

absl::Status KVClient::Pull(const std::string& name, absl::Span<const int64_t> ids, float* out) {
  DS_ASSIGN_OR_RETURN(const KVTensorSpec spec, Describe(name));
  const size_t dim = spec.dim;
  DS_ASSIGN_OR_RETURN(const IdRouter router, IdRouter::Route(book_, ids));
  return PartitionFanout(
      channels_.get(), router.parts(), KVStoreService::service_full_name(), "Pull",
      [this](int part) { return IsLocal(part); },
      [&](int part, proto_wire::MessageWriter* request) {
        request->AddBytes(KVPullRequest::kGraphNameFieldNumber, config_.graph_name);
        request->AddBytes(KVPullRequest::kNameFieldNumber, name);
        request->AddBytes(KVPullRequest::kIdsFieldNumber,
                          proto_wire::PackedBytes(router.ids_of(part)));
      },
      [&](int part) -> absl::Status {
        DS_ASSIGN_OR_RETURN(const std::shared_ptr<KVTable> table, local_[part]->Find(name));
        return GatherRoutedRows(router, part, dim, out,
                                [&](absl::Span<const int64_t> part_ids, float* rows) {
                                  return table->Pull(part_ids, rows);
                                });
      },
      [&](int part, proto_wire::MessageReader* response) {
        return ReadRoutedRows(router, part, KVPullResponse::kRowsFieldNumber, dim, response, out);
      },
      /*primary_only=*/true);
}

absl::Status KVClient::Push(const std::string& name, absl::Span<const int64_t> ids,
                            absl::Span<const float> grads) {
  DS_ASSIGN_OR_RETURN(const KVTensorSpec spec, Describe(name));
  const size_t dim = spec.dim;
  if (grads.size() != ids.size() * dim) {
    return absl::InvalidArgumentError(absl::StrCat("KV tensor '", name, "': ", grads.size(),
                                                   " gradient floats for ", ids.size(),
                                                   " IDs of row length ", dim));
  }
  DS_ASSIGN_OR_RETURN(const IdRouter router, IdRouter::Route(book_, ids));
  // Each partition's gradients, in the order of its IDs.
  std::vector<std::vector<float>> part_grads(config_.num_parts());
  for (const int part : router.parts()) {
    const absl::Span<const int64_t> positions = router.positions_of(part);
    part_grads[part].resize(positions.size() * dim);
    for (size_t j = 0; j < positions.size(); ++j) {
      std::copy_n(grads.data() + positions[j] * dim, dim, part_grads[part].data() + j * dim);
    }
  }
  // One push at a time, numbered, so that a server recognises a retry.
  absl::MutexLock push_lock(&push_mu_);
  const uint64_t sequence = ++pushes_sent_;
  return PartitionFanout(
      channels_.get(), router.parts(), KVStoreService::service_full_name(), "Push",
      [this](int part) { return IsLocal(part); },
      [&](int part, proto_wire::MessageWriter* request) {
        request->AddBytes(KVPushRequest::kGraphNameFieldNumber, config_.graph_name);
        request->AddBytes(KVPushRequest::kNameFieldNumber, name);
        request->AddBytes(KVPushRequest::kIdsFieldNumber,
                          proto_wire::PackedBytes(router.ids_of(part)));
        request->AddBytes(KVPushRequest::kGradsFieldNumber,
                          proto_wire::PackedBytes(absl::MakeConstSpan(part_grads[part])));
        request->AddVarint(KVPushRequest::kClientIdFieldNumber, client_id_);
        request->AddVarint(KVPushRequest::kSequenceFieldNumber, sequence);
      },
      [&](int part) -> absl::Status {
        DS_ASSIGN_OR_RETURN(const std::shared_ptr<KVTable> table, local_[part]->Find(name));
        return table->Push(router.ids_of(part), part_grads[part]).status();
      },
      [](int, proto_wire::MessageReader*) { return absl::OkStatus(); },
      // Retried like the reads: the server applies a numbered push once
      // (server/push_ledger.h), even when its first try did arrive.
      /*primary_only=*/true);
}

absl::Status KVClient::Save(const std::string& label) {
  KVSaveRequest request;
  request.set_graph_name(config_.graph_name);
  request.set_label(label);
  return OnEveryPartition<KVSaveResponse>(
      "KVStoreService.Save", request, [&](KVStore& store) { return store.Save(label).status(); },
      [](auto* async, auto* context, auto* r, auto* response, CallDone done) {
        async->Save(context, r, response, std::move(done));
      });
}

absl::Status KVClient::Load(const std::string& label) {
  KVLoadRequest request;
  request.set_graph_name(config_.graph_name);
  request.set_label(label);
  return OnEveryPartition<KVLoadResponse>(
      "KVStoreService.Load", request, [&](KVStore& store) { return store.Load(label).status(); },
      [](auto* async, auto* context, auto* r, auto* response, CallDone done) {
        async->Load(context, r, response, std::move(done));
      });
}

}  // namespace distsage
