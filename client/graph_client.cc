#include "client/graph_client.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/admin_client.h"
#include "client/parallel_calls.h"
#include "client/routed_rows.h"
#include "common/id_router.h"
#include "common/ip_config.h"
#include "common/prefetch.h"
#include "common/status_macros.h"
#include "proto/distsage/graph.grpc.pb.h"
#include "proto/grpc_status.h"
#include "proto/proto_wire.h"
#include "server/neighbor_sampler.h"

namespace distsage {
namespace {

namespace pf = partition_format;

// Every request names the graph in field 1.
static_assert(SampleNeighborsRequest::kGraphNameFieldNumber == 1 &&
              PullFeaturesRequest::kGraphNameFieldNumber == 1 &&
              NodeIdsRequest::kGraphNameFieldNumber == 1);
constexpr int kGraphNameField = 1;

// The stores of `local_parts`, by partition (null where remote); checks
// that each holds the partition it is given for.
absl::StatusOr<std::vector<std::shared_ptr<const PartitionStore>>> LocalStoresByPart(
    int num_parts, const std::map<int, std::shared_ptr<const PartitionStore>>& local_parts) {
  std::vector<std::shared_ptr<const PartitionStore>> stores(num_parts);
  for (const auto& [part, store] : local_parts) {
    if (part < 0 || part >= num_parts || store == nullptr || store->part_id() != part) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the in-process store given for partition ", part, " holds partition ",
          store == nullptr ? -1 : store->part_id(), " of a graph of ", num_parts, " partitions"));
    }
    stores[part] = store;
  }
  return stores;
}

}  // namespace

GraphClient::GraphClient(PartitionConfig config,
                         std::vector<std::shared_ptr<const PartitionStore>> local,
                         std::unique_ptr<ServerChannels> channels)
    : config_(std::move(config)),
      book_(config_.Book()),
      local_(std::move(local)),
      channels_(std::move(channels)) {}

absl::StatusOr<std::unique_ptr<GraphClient>> GraphClient::OpenInProcess(
    const PartitionConfig& config, const PartitionStoreOptions& store_options) {
  std::vector<std::shared_ptr<const PartitionStore>> stores;
  for (int part = 0; part < config.num_parts(); ++part) {
    DS_ASSIGN_OR_RETURN(std::unique_ptr<PartitionStore> store,
                        PartitionStore::Open(config, part, store_options));
    stores.push_back(std::move(store));
  }
  return std::unique_ptr<GraphClient>(new GraphClient(config, std::move(stores), nullptr));
}

absl::StatusOr<std::unique_ptr<GraphClient>> GraphClient::Connect(
    const PartitionConfig& config, const std::vector<std::vector<std::string>>& server_addresses,
    const GraphClientOptions& options) {
  const int num_parts = config.num_parts();
  if (static_cast<int>(server_addresses.size()) != num_parts) {
    return absl::InvalidArgumentError(absl::StrCat("server addresses given for ",
                                                   server_addresses.size(), " partitions, graph '",
                                                   config.graph_name, "' has ", num_parts));
  }
  DS_ASSIGN_OR_RETURN(std::vector<std::shared_ptr<const PartitionStore>> local,
                      LocalStoresByPart(num_parts, options.local_parts));
  std::vector<ServerSlot> slots;
  for (int part = 0; part < num_parts; ++part) {
    if (local[part] == nullptr && server_addresses[part].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "partition ", part, " has neither a server address nor an in-process store"));
    }
    for (size_t s = 0; s < server_addresses[part].size(); ++s) {
      slots.push_back(
          {part * options.num_servers + static_cast<int>(s), part, server_addresses[part][s]});
    }
  }
  std::unique_ptr<ServerChannels> channels;
  if (!slots.empty()) {
    channels = std::make_unique<ServerChannels>(slots, num_parts, options.channels);
    DS_RETURN_IF_ERROR(channels->WaitUntilConnected());
  }
  std::unique_ptr<GraphClient> client(
      new GraphClient(config, std::move(local), std::move(channels)));
  client->feature_rows_bfloat16_ = options.feature_rows_bfloat16;
  DS_RETURN_IF_ERROR(client->CheckServersServeTheirPartitions());
  return client;
}

absl::StatusOr<std::unique_ptr<GraphClient>> GraphClient::ConnectFromIpConfig(
    const std::string& ip_config_path, const PartitionConfig& config,
    const GraphClientOptions& options) {
  DS_ASSIGN_OR_RETURN(const std::vector<MachineAddress> machines, ReadIpConfig(ip_config_path));
  DS_ASSIGN_OR_RETURN(
      const std::vector<ServerSlot> slots,
      ServerLayout(machines, config.num_parts(), options.num_servers, ip_config_path));
  std::vector<std::vector<std::string>> addresses(config.num_parts());
  for (const ServerSlot& slot : slots) addresses[slot.part].push_back(slot.address);
  return Connect(config, addresses, options);
}

namespace {

std::string RangeList(const std::vector<int64_t>& range_ends) {
  std::string text;
  for (size_t p = 0; p < range_ends.size(); ++p) {
    absl::StrAppend(&text, p == 0 ? "" : " ", "[", p == 0 ? 0 : range_ends[p - 1], ", ",
                    range_ends[p], ")");
  }
  return text;
}

// OK when `info` (a server's answer) and `config` describe the same
// partitioning: the same partition book fingerprint or, for partitions
// written before it existed, the same node ranges and features.
absl::Status CheckSamePartitioning(const GraphInfo& info, const PartitionConfig& config,
                                   const ServerSlot& slot) {
  std::string difference;
  if (!info.book_fingerprint().empty() && !config.book_fingerprint.empty()) {
    if (info.book_fingerprint() != config.book_fingerprint) {
      difference = absl::StrCat("partition book fingerprint ", info.book_fingerprint(), " vs ",
                                config.book_fingerprint);
    }
  } else {
    const std::vector<int64_t> server_ranges(info.range_ends().begin(), info.range_ends().end());
    bool same_features = info.node_features_size() == static_cast<int>(config.node_features.size());
    for (int i = 0; same_features && i < info.node_features_size(); ++i) {
      same_features = info.node_features(i).name() == config.node_features[i].name &&
                      info.node_features(i).dim() == config.node_features[i].dim;
    }
    if (server_ranges != config.range_ends) {
      difference = absl::StrCat("node ranges ", RangeList(server_ranges), " vs ",
                                RangeList(config.range_ends));
    } else if (!same_features) {
      difference = "node features";
    }
  }
  if (difference.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "graph server ", slot.address, " (partition ", slot.part,
      ") serves another partitioning of graph '", config.graph_name,
      "' than this client's: the server's partition config '",
      info.part_config_path().empty() ? "(not reported)" : info.part_config_path(),
      "' and this client's '", config.source_path.empty() ? "(in memory)" : config.source_path,
      "' differ in ", difference,
      "; node IDs would reach the wrong partitions. Start the servers and the trainers with the "
      "same partition config (copy one partition folder everywhere, e.g. with "
      "deploy/copy_partitions)"));
}

}  // namespace

absl::Status GraphClient::CheckServersServeTheirPartitions() {
  if (channels_ == nullptr) return absl::OkStatus();
  const std::vector<ServerAnswer<GraphInfo>> answers = CallServers<GraphService, GraphInfo>(
      *channels_, channels_->AllServers(), GetGraphInfoRequest(),
      [](auto* async, grpc::ClientContext* context, const GetGraphInfoRequest* request,
         GraphInfo* info,
         CallDone done) { async->GetGraphInfo(context, request, info, std::move(done)); });
  for (const ServerAnswer<GraphInfo>& answer : answers) {
    const ServerSlot& slot = answer.server->slot;
    if (!answer.status.ok()) {
      return FromGrpcStatus(answer.status,
                            absl::StrCat("graph server ", slot.address, " (partition ", slot.part,
                                         ") did not answer GetGraphInfo"));
    }
    const GraphInfo& info = answer.response;
    if (info.graph_name() != config_.graph_name || info.part_id() != slot.part ||
        info.num_parts() != config_.num_parts()) {
      return absl::FailedPreconditionError(
          absl::StrCat("graph server ", slot.address, " serves partition ", info.part_id(), " of ",
                       info.num_parts(), " of graph '", info.graph_name(), "', expected partition ",
                       slot.part, " of ", config_.num_parts(), " of '", config_.graph_name,
                       "'; check ip_config.txt and the servers' --server_id"));
    }
    DS_RETURN_IF_ERROR(CheckSamePartitioning(info, config_, slot));
    for (const FeatureInfo& feature : info.node_features()) {
      if (feature.dtype() == kFloat32Dtype && feature.held_dtype() == kBFloat16Dtype) {
        servers_rounding_[feature.name()].emplace_back(slot.part, slot.address);
      }
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> GraphClient::ServersRoundingFeature(const std::string& name) const {
  std::vector<std::string> addresses;
  const auto it = servers_rounding_.find(name);
  if (it == servers_rounding_.end()) return addresses;
  for (const auto& [part, address] : it->second) addresses.push_back(address);
  return addresses;
}

std::optional<bool> GraphClient::HeldAsBFloat16Here(int part, const std::string& name) const {
  if (!IsLocal(part)) return std::nullopt;
  // The store's own spec says how it holds the rows, which may not be how
  // the config says they are stored.
  const absl::StatusOr<const FeatureSpec*> held = local_[part]->FindFeature(name);
  if (!held.ok()) return std::nullopt;
  return (*held)->stored_bfloat16();
}

std::vector<int> GraphClient::PartitionsRoundingFeature(const std::string& name) const {
  std::vector<int> parts;
  const FeatureSpec* stored = config_.FindFeature(name);
  if (stored == nullptr || stored->stored_bfloat16()) return parts;
  const auto by_server = servers_rounding_.find(name);
  const auto server_rounds = [&](int part) {
    if (by_server == servers_rounding_.end()) return false;
    return std::any_of(by_server->second.begin(), by_server->second.end(),
                       [part](const auto& server) { return server.first == part; });
  };
  for (int part = 0; part < config_.num_parts(); ++part) {
    const bool rounded = IsLocal(part) ? HeldAsBFloat16Here(part, name).value_or(false)
                                       : feature_rows_bfloat16_ || server_rounds(part);
    if (rounded) parts.push_back(part);
  }
  return parts;
}

ServerChannels::Traffic GraphClient::traffic() const {
  return channels_ == nullptr ? ServerChannels::Traffic{} : channels_->traffic();
}

std::vector<ServerConnectionInfo> GraphClient::ServerConnections() const {
  std::vector<ServerConnectionInfo> infos;
  if (channels_ == nullptr) return infos;
  for (int part = 0; part < config_.num_parts(); ++part) {
    for (const ServerChannels::Server& server : channels_->servers_of(part)) {
      const char* transport = server.transport();
      if (IsLocal(part)) {
        transport = local_[part]->shared_segment().path.empty() ? "inprocess" : "shm";
      }
      infos.push_back({part, server.slot.address, server.target, transport});
    }
  }
  return infos;
}

absl::Status GraphClient::ShutdownServers(const std::string& requester) {
  if (channels_ == nullptr) return absl::OkStatus();
  return distsage::ShutdownServers(*channels_, config_.graph_name, requester);
}

absl::Status GraphClient::SampleNeighbors(absl::Span<const int64_t> seeds,
                                          const SampleOptions& options, SampledNeighbors* out) {
  DS_RETURN_IF_ERROR(CheckFanout(options.fanout));
  DS_ASSIGN_OR_RETURN(const IdRouter router, IdRouter::Route(book_, seeds));
  std::vector<std::vector<int32_t>> counts(config_.num_parts());
  std::vector<std::vector<int64_t>> src(config_.num_parts());
  DS_RETURN_IF_ERROR(PartitionFanout(
      channels_.get(), router.parts(), GraphService::service_full_name(), "SampleNeighbors",
      [this](int part) { return IsLocal(part); },
      [&](int part, proto_wire::MessageWriter* request) {
        request->AddBytes(SampleNeighborsRequest::kGraphNameFieldNumber, config_.graph_name);
        request->AddBytes(SampleNeighborsRequest::kSeedsFieldNumber,
                          proto_wire::PackedBytes(router.ids_of(part)));
        // int32 fields are sign-extended to 64 bits on the wire.
        request->AddVarint(SampleNeighborsRequest::kFanoutFieldNumber,
                           static_cast<uint64_t>(int64_t{options.fanout}));
        request->AddVarint(SampleNeighborsRequest::kReplaceFieldNumber, options.replace ? 1 : 0);
        request->AddVarint(SampleNeighborsRequest::kRngSeedFieldNumber, options.rng_seed);
      },
      [&](int part) {
        const absl::Span<const int64_t> ids = router.ids_of(part);
        counts[part].resize(ids.size());
        return distsage::SampleNeighbors(*local_[part], ids,
                                         {options.fanout, options.replace, options.rng_seed},
                                         counts[part].data(), &src[part]);
      },
      [&](int part, proto_wire::MessageReader* response) -> absl::Status {
        while (true) {
          DS_ASSIGN_OR_RETURN(const bool more, response->Next());
          if (!more) break;
          if (response->field() == SampleNeighborsResponse::kCountsFieldNumber) {
            DS_RETURN_IF_ERROR(proto_wire::ReadPackedArray(response, &counts[part]));
          } else if (response->field() == SampleNeighborsResponse::kSrcFieldNumber) {
            DS_RETURN_IF_ERROR(proto_wire::ReadPackedArray(response, &src[part]));
          }
        }
        int64_t total = 0;
        for (const int32_t count : counts[part]) total += count;
        if (counts[part].size() != router.ids_of(part).size() ||
            total != static_cast<int64_t>(src[part].size())) {
          return absl::DataLossError(absl::StrCat(counts[part].size(), " counts summing to ", total,
                                                  " and ", src[part].size(), " sources for ",
                                                  router.ids_of(part).size(), " seeds"));
        }
        return absl::OkStatus();
      }));
  router.MergeSamples(counts, &src, &out->offsets, &out->src);
  return absl::OkStatus();
}

template <typename T, typename AddFields, typename GatherLocal>
absl::Status GraphClient::PullRows(absl::Span<const int64_t> ids, size_t width, const char* method,
                                   int ids_field, int rows_field, T* out, AddFields add_fields,
                                   GatherLocal gather_local, bool bfloat16_rows,
                                   const DirectGather<T>& direct) {
  DS_ASSIGN_OR_RETURN(const IdRouter router, IdRouter::Route(book_, ids));
  return PartitionFanout(
      channels_.get(), router.parts(), GraphService::service_full_name(), method,
      [this](int part) { return IsLocal(part); },
      [&](int part, proto_wire::MessageWriter* request) {
        request->AddBytes(kGraphNameField, config_.graph_name);
        add_fields(request);
        request->AddBytes(ids_field, proto_wire::PackedBytes(router.ids_of(part)));
      },
      [&](int part) {
        if (direct != nullptr && !router.single_part()) {
          const absl::Status status =
              direct(*local_[part], router.ids_of(part), router.positions_of(part), out);
          if (!absl::IsUnimplemented(status)) return status;
        }
        return GatherRoutedRows(router, part, width, out,
                                [&](absl::Span<const int64_t> part_ids, T* rows) {
                                  return gather_local(*local_[part], part_ids, rows);
                                });
      },
      [&](int part, proto_wire::MessageReader* response) {
        if constexpr (std::is_same_v<T, float>) {
          if (bfloat16_rows) {
            return ReadRoutedBFloat16Rows(router, part, rows_field, width, response, out);
          }
        }
        return ReadRoutedRows(router, part, rows_field, width, response, out);
      });
}

absl::StatusOr<const FeatureSpec*> GraphClient::FindFeature(const std::string& name) const {
  const FeatureSpec* spec = config_.FindFeature(name);
  if (spec != nullptr) return spec;
  std::string known;
  for (const FeatureSpec& feature : config_.node_features) {
    absl::StrAppend(&known, known.empty() ? "" : ", ", "'", feature.name, "'");
  }
  return absl::NotFoundError(absl::StrCat("graph '", config_.graph_name, "' has no node feature '",
                                          name, "' (it has ", known.empty() ? "none" : known, ")"));
}

absl::Status GraphClient::PullFeatures(const std::string& name, absl::Span<const int64_t> ids,
                                       float* out) {
  DS_ASSIGN_OR_RETURN(const FeatureSpec* spec, FindFeature(name));
  return PullRows(
      ids, static_cast<size_t>(spec->dim), "PullFeatures", PullFeaturesRequest::kIdsFieldNumber,
      feature_rows_bfloat16_ ? PullFeaturesResponse::kBfloat16RowsFieldNumber
                             : PullFeaturesResponse::kRowsFieldNumber,
      out,
      [&](proto_wire::MessageWriter* request) {
        request->AddBytes(PullFeaturesRequest::kFeatureFieldNumber, name);
        if (feature_rows_bfloat16_) {
          request->AddVarint(PullFeaturesRequest::kRowTypeFieldNumber, FEATURE_ROWS_BFLOAT16);
        }
      },
      [&](const PartitionStore& store, absl::Span<const int64_t> part_ids, float* rows) {
        return store.GatherFeatures(name, part_ids, rows);
      },
      feature_rows_bfloat16_,
      // Rows in memory as float32 (a mapped segment, an in-process
      // partition) are copied once, to their positions, not into a buffer
      // and then scattered.
      DirectGather<float>([&](const PartitionStore& store, absl::Span<const int64_t> part_ids,
                              absl::Span<const int64_t> positions, float* rows) -> absl::Status {
        thread_local std::vector<const float*> addresses;
        addresses.resize(part_ids.size());
        DS_RETURN_IF_ERROR(store.FeatureRowAddresses(name, part_ids, addresses.data()));
        CopyRowsFrom(addresses.data(), static_cast<int64_t>(part_ids.size()), spec->dim, rows,
                     [&](int64_t i) { return positions[i]; });
        return absl::OkStatus();
      }));
}

template <typename T>
absl::Status GraphClient::LocateInProcess(const std::string& name, absl::Span<const int64_t> ids,
                                          const T** rows, std::vector<int64_t>* elsewhere) const {
  DS_ASSIGN_OR_RETURN(const IdRouter router, IdRouter::Route(book_, ids));
  std::vector<const T*> part_rows;
  for (const int part : router.parts()) {
    const absl::Span<const int64_t> positions = router.positions_of(part);
    if (IsLocal(part)) {
      const absl::Span<const int64_t> part_ids = router.ids_of(part);
      const T** out = rows;
      if (!router.single_part()) {
        part_rows.resize(part_ids.size());
        out = part_rows.data();
      }
      const absl::Status in_place = local_[part]->FeatureRowAddresses(name, part_ids, out);
      if (in_place.ok()) {
        if (!router.single_part()) router.Scatter(part, part_rows.data(), 1, rows);
        continue;
      }
      if (!absl::IsUnimplemented(in_place)) return in_place;
    }
    elsewhere->insert(elsewhere->end(), positions.begin(), positions.end());
  }
  return absl::OkStatus();
}

absl::Status GraphClient::LocateFeatureRows(const std::string& name, absl::Span<const int64_t> ids,
                                            const float** rows, std::vector<float>* pulled) {
  DS_ASSIGN_OR_RETURN(const FeatureSpec* spec, FindFeature(name));
  // Positions whose rows are not in this process as float32: pulled.
  std::vector<int64_t> to_pull;
  DS_RETURN_IF_ERROR(LocateInProcess(name, ids, rows, &to_pull));
  if (to_pull.empty()) return absl::OkStatus();
  std::vector<int64_t> pull_ids(to_pull.size());
  for (size_t j = 0; j < to_pull.size(); ++j) pull_ids[j] = ids[to_pull[j]];
  const size_t dim = static_cast<size_t>(spec->dim);
  pulled->resize(to_pull.size() * dim);
  DS_RETURN_IF_ERROR(PullFeatures(name, pull_ids, pulled->data()));
  for (size_t j = 0; j < to_pull.size(); ++j) rows[to_pull[j]] = pulled->data() + j * dim;
  return absl::OkStatus();
}

absl::Status GraphClient::LocateBFloat16Rows(const std::string& name, absl::Span<const int64_t> ids,
                                             const uint16_t** rows) {
  DS_RETURN_IF_ERROR(FindFeature(name).status());
  std::vector<int64_t> elsewhere;
  DS_RETURN_IF_ERROR(LocateInProcess(name, ids, rows, &elsewhere));
  if (elsewhere.empty()) return absl::OkStatus();
  const int64_t node = ids[elsewhere.front()];
  return absl::FailedPreconditionError(absl::StrCat(
      "node ", node, "'s row of feature '", name, "' (partition ", book_.OwnerOf(node),
      ") is not held in this process as bfloat16; read it with LocateFeatureRows, which pulls "
      "and widens rows held elsewhere"));
}

std::optional<bool> GraphClient::EveryRowInPlaceHeldAsBFloat16(const std::string& name) const {
  if (!FindFeature(name).ok()) return std::nullopt;
  std::optional<bool> bfloat16;
  for (int part = 0; part < config_.num_parts(); ++part) {
    const std::optional<bool> held = HeldAsBFloat16Here(part, name);
    if (!held.has_value()) return std::nullopt;
    const bool part_bfloat16 = *held;
    if (bfloat16.has_value() && *bfloat16 != part_bfloat16) return std::nullopt;
    bfloat16 = part_bfloat16;
    // No IDs: the store only says whether it could answer in place.
    const absl::Status in_place =
        part_bfloat16
            ? local_[part]->FeatureRowAddresses(name, {}, static_cast<const uint16_t**>(nullptr))
            : local_[part]->FeatureRowAddresses(name, {}, static_cast<const float**>(nullptr));
    if (!in_place.ok()) return std::nullopt;
  }
  return bfloat16;
}

bool GraphClient::LocatesEveryRowInPlace(const std::string& name) const {
  return EveryRowInPlaceHeldAsBFloat16(name).has_value();
}

bool GraphClient::LocatesEveryRowInPlaceAsBFloat16(const std::string& name) const {
  return EveryRowInPlaceHeldAsBFloat16(name).value_or(false);
}

absl::Status GraphClient::PullLabels(absl::Span<const int64_t> ids, int64_t* out) {
  return PullRows(
      ids, 1, "PullLabels", NodeIdsRequest::kIdsFieldNumber, PullLabelsResponse::kLabelsFieldNumber,
      out, [](proto_wire::MessageWriter*) {},
      [](const PartitionStore& store, absl::Span<const int64_t> part_ids, int64_t* rows) {
        return store.GatherLabels(part_ids, rows);
      });
}

absl::Status GraphClient::PullSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) {
  return PullRows(
      ids, 1, "PullSplitMasks", NodeIdsRequest::kIdsFieldNumber,
      PullSplitMasksResponse::kMasksFieldNumber, out, [](proto_wire::MessageWriter*) {},
      [](const PartitionStore& store, absl::Span<const int64_t> part_ids, uint8_t* rows) {
        return store.GatherSplitMasks(part_ids, rows);
      });
}

absl::Status GraphClient::InDegrees(absl::Span<const int64_t> ids, int64_t* out) {
  return PullRows(
      ids, 1, "InDegrees", NodeIdsRequest::kIdsFieldNumber, InDegreesResponse::kDegreesFieldNumber,
      out, [](proto_wire::MessageWriter*) {},
      [](const PartitionStore& store, absl::Span<const int64_t> part_ids, int64_t* rows) {
        return store.GatherInDegrees(part_ids, rows);
      });
}

absl::StatusOr<std::vector<int64_t>> GraphClient::SplitNodes(int part, Split split) {
  if (part < 0 || part >= config_.num_parts()) {
    return absl::InvalidArgumentError(absl::StrCat("partition ", part, " does not exist: graph '",
                                                   config_.graph_name, "' has ",
                                                   config_.num_parts(), " partitions"));
  }
  if (IsLocal(part)) return local_[part]->SplitNodes(static_cast<int>(split));
  const auto [server, connection] = channels_->Pick(part);
  grpc::ClientContext context;
  channels_->PrepareContext(&context);
  SplitNodesRequest request;
  request.set_graph_name(config_.graph_name);
  request.set_split(static_cast<SplitKind>(split));
  SplitNodesResponse response;
  const grpc::Status status =
      GraphService::NewStub(server->channels[connection])->SplitNodes(&context, request, &response);
  if (!status.ok()) return channels_->CallError(status, "GraphService.SplitNodes", part, *server);
  std::vector<int64_t> nodes;
  if (!pf::UnpackArray(response.nodes(), &nodes)) {
    return absl::DataLossError(
        absl::StrCat("SplitNodes answer of partition ", part, " is not a list of int64"));
  }
  return nodes;
}

}  // namespace distsage
