#include "trainer/remote_graph_client.h"

#include <algorithm>
#include <cstring>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "common/ip_config.h"
#include "common/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "server/graph_service.h"
#include "server/neighbor_sampler.h"

namespace distsage {
namespace {

namespace pf = partition_format;

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view context) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(context, ": ", status.error_message()));
}

// Every request names the graph in field 1.
static_assert(SampleNeighborsRequest::kGraphNameFieldNumber == 1 &&
              PullFeaturesRequest::kGraphNameFieldNumber == 1 &&
              NodeIdsRequest::kGraphNameFieldNumber == 1);
constexpr int kGraphNameField = 1;

// The packed little-endian bytes of `ids` (the host is little-endian).
absl::string_view AsBytes(absl::Span<const int64_t> ids) {
  return absl::string_view(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int64_t));
}

// Replaces `*values` with the current field's payload, packed LE T;
// DATA_LOSS when it is not a whole number of T.
template <typename T>
absl::Status ReadArray(proto_wire::MessageReader* reader, std::vector<T>* values) {
  const uint64_t bytes = reader->value();
  if (reader->wire_type() != proto_wire::WireType::kLengthDelimited || bytes % sizeof(T) != 0) {
    return absl::DataLossError(
        absl::StrCat("field ", reader->field(), " is not a list of ", sizeof(T), "-byte values"));
  }
  values->resize(bytes / sizeof(T));
  return reader->ReadPayload(values->data(), bytes);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GraphClient>> OpenRemoteGraphClient(
    const std::string& ip_config_path, const PartitionConfig& config,
    const RemoteGraphClientOptions& options) {
  DS_ASSIGN_OR_RETURN(std::vector<MachineAddress> machines, ReadIpConfig(ip_config_path));
  if (static_cast<int>(machines.size()) != config.num_parts()) {
    return absl::InvalidArgumentError(absl::StrCat(
        ip_config_path, " lists ", machines.size(), " machines but graph '", config.graph_name,
        "' has ", config.num_parts(), " partitions; machine i serves partition i"));
  }
  std::vector<std::vector<std::string>> addresses(machines.size());
  for (size_t p = 0; p < machines.size(); ++p) {
    if (options.local_parts.count(static_cast<int>(p)) > 0) continue;
    for (int s = 0; s < options.num_servers; ++s) {
      addresses[p].push_back(ServerAddress(machines[p], s));
    }
  }
  DS_ASSIGN_OR_RETURN(std::unique_ptr<RemoteGraphClient> client,
                      RemoteGraphClient::Connect(config, addresses, options));
  return std::unique_ptr<GraphClient>(std::move(client));
}

RemoteGraphClient::RemoteGraphClient(PartitionConfig config, absl::Duration deadline)
    : config_(std::move(config)), book_(config_.Book()), deadline_(deadline) {}

absl::StatusOr<std::unique_ptr<RemoteGraphClient>> RemoteGraphClient::Connect(
    const PartitionConfig& config, const std::vector<std::vector<std::string>>& server_addresses,
    const RemoteGraphClientOptions& options) {
  if (static_cast<int>(server_addresses.size()) != config.num_parts()) {
    return absl::InvalidArgumentError(
        absl::StrCat("server addresses given for ", server_addresses.size(), " partitions, graph '",
                     config.graph_name, "' has ", config.num_parts()));
  }
  std::unique_ptr<RemoteGraphClient> client(new RemoteGraphClient(config, options.deadline));
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(static_cast<int>(kMaxMessageBytes));
  channel_args.SetMaxSendMessageSize(static_cast<int>(kMaxMessageBytes));
  for (int p = 0; p < config.num_parts(); ++p) {
    auto partition = std::make_unique<Partition>();
    const auto local = options.local_parts.find(p);
    if (local != options.local_parts.end()) {
      if (local->second->part_id() != p) {
        return absl::InvalidArgumentError(absl::StrCat("the in-process store given for partition ",
                                                       p, " holds partition ",
                                                       local->second->part_id()));
      }
      partition->local = local->second;
    } else if (server_addresses[p].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("partition ", p, " has neither a server address nor an in-process store"));
    }
    for (const std::string& address : server_addresses[p]) {
      if (partition->local != nullptr) break;
      Server server;
      server.address = address;
      for (int c = 0; c < std::max(1, options.connections_per_server); ++c) {
        grpc::ChannelArguments connection_args = channel_args;
        // A private subchannel pool gives each channel its own connection.
        connection_args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        const std::shared_ptr<grpc::Channel> channel =
            grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), connection_args);
        server.connections.push_back(
            {GraphService::NewStub(channel), std::make_unique<grpc::GenericStub>(channel)});
      }
      // Waits for a server that is still starting, up to the deadline.
      grpc::ClientContext context;
      context.set_wait_for_ready(true);
      context.set_deadline(absl::ToChronoTime(absl::Now() + options.deadline));
      GraphInfo info;
      const grpc::Status status =
          server.connections[0].stub->GetGraphInfo(&context, GetGraphInfoRequest(), &info);
      if (!status.ok()) {
        return FromGrpcStatus(status, absl::StrCat("graph server ", address, " (partition ", p,
                                                   ") did not answer GetGraphInfo"));
      }
      if (info.graph_name() != config.graph_name || info.part_id() != p ||
          info.num_parts() != config.num_parts()) {
        return absl::FailedPreconditionError(
            absl::StrCat("graph server ", address, " serves partition ", info.part_id(), " of ",
                         info.num_parts(), " of graph '", info.graph_name(),
                         "', expected partition ", p, " of ", config.num_parts(), " of '",
                         config.graph_name, "'; check ip_config.txt and the servers' --server_id"));
      }
      partition->servers.push_back(std::move(server));
    }
    client->parts_.push_back(std::move(partition));
  }
  return client;
}

std::pair<const RemoteGraphClient::Server*, const RemoteGraphClient::Connection*>
RemoteGraphClient::PickServer(int part) {
  Partition& partition = *parts_[part];
  const uint32_t turn = partition.next_server.fetch_add(1, std::memory_order_relaxed);
  const Server& server = partition.servers[turn % partition.servers.size()];
  const size_t connection = (turn / partition.servers.size()) % server.connections.size();
  return {&server, &server.connections[connection]};
}

template <typename MakeRequest, typename ServeLocal, typename TakeResponse>
absl::Status RemoteGraphClient::Fanout(const std::vector<int>& parts, const char* method,
                                       MakeRequest make_request, ServeLocal serve_local,
                                       TakeResponse take_response) {
  struct Call {
    int part = 0;
    const Server* server = nullptr;
    const Connection* connection = nullptr;
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
    grpc::Status status;
  };
  const std::string method_path = absl::StrCat("/", GraphService::service_full_name(), "/", method);
  std::vector<std::unique_ptr<Call>> calls;
  for (const int part : parts) {
    if (parts_[part]->local != nullptr) continue;
    auto call = std::make_unique<Call>();
    call->part = part;
    std::tie(call->server, call->connection) = PickServer(part);
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
    // A restarting server is waited for (up to the deadline), not failed fast.
    call->context.set_wait_for_ready(true);
    proto_wire::MessageWriter writer;
    make_request(part, &writer);
    call->request = writer.Finish();
    calls.push_back(std::move(call));
  }
  absl::BlockingCounter pending(static_cast<int>(calls.size()));
  for (const std::unique_ptr<Call>& call : calls) {
    Call* raw = call.get();
    raw->connection->generic->UnaryCall(&raw->context, method_path, grpc::StubOptions(),
                                        &raw->request, &raw->response,
                                        [raw, &pending](grpc::Status status) {
                                          raw->status = std::move(status);
                                          pending.DecrementCount();
                                        });
  }
  absl::Status local_status;
  for (const int part : parts) {
    if (parts_[part]->local == nullptr || !local_status.ok()) continue;
    local_status = serve_local(part, *parts_[part]->local);
  }
  pending.Wait();
  DS_RETURN_IF_ERROR(local_status);
  for (const std::unique_ptr<Call>& call : calls) {
    if (!call->status.ok()) {
      return FromGrpcStatus(call->status,
                            absl::StrCat("GraphService.", method, " on partition ", call->part,
                                         " (server ", call->server->address, ")"));
    }
  }
  for (const std::unique_ptr<Call>& call : calls) {
    proto_wire::MessageReader reader(call->response);
    const absl::Status status = take_response(call->part, &reader);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(method, " answer of partition ", call->part, " (server ",
                                       call->server->address, "): ", status.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status RemoteGraphClient::SampleNeighbors(absl::Span<const int64_t> seeds,
                                                const SampleOptions& options,
                                                SampledNeighbors* out) {
  DS_RETURN_IF_ERROR(CheckFanout(options.fanout));
  DS_ASSIGN_OR_RETURN(const IdRouter router, IdRouter::Route(book_, seeds));
  std::vector<std::vector<int32_t>> counts(config_.num_parts());
  std::vector<std::vector<int64_t>> src(config_.num_parts());
  DS_RETURN_IF_ERROR(Fanout(
      router.parts(), "SampleNeighbors",
      [&](int part, proto_wire::MessageWriter* request) {
        const absl::Span<const int64_t> ids = router.ids_of(part);
        request->AddBytes(SampleNeighborsRequest::kGraphNameFieldNumber, config_.graph_name);
        request->AddBytes(SampleNeighborsRequest::kSeedsFieldNumber, AsBytes(ids));
        // int32 fields are sign-extended to 64 bits on the wire.
        request->AddVarint(SampleNeighborsRequest::kFanoutFieldNumber,
                           static_cast<uint64_t>(int64_t{options.fanout}));
        request->AddVarint(SampleNeighborsRequest::kReplaceFieldNumber, options.replace ? 1 : 0);
        request->AddVarint(SampleNeighborsRequest::kRngSeedFieldNumber, options.rng_seed);
      },
      [&](int part, const PartitionStore& store) {
        const absl::Span<const int64_t> ids = router.ids_of(part);
        counts[part].resize(ids.size());
        return distsage::SampleNeighbors(store, ids,
                                         {options.fanout, options.replace, options.rng_seed},
                                         counts[part].data(), &src[part]);
      },
      [&](int part, proto_wire::MessageReader* response) -> absl::Status {
        counts[part].clear();
        src[part].clear();
        while (true) {
          DS_ASSIGN_OR_RETURN(const bool more, response->Next());
          if (!more) break;
          if (response->field() == SampleNeighborsResponse::kCountsFieldNumber) {
            DS_RETURN_IF_ERROR(ReadArray(response, &counts[part]));
          } else if (response->field() == SampleNeighborsResponse::kSrcFieldNumber) {
            DS_RETURN_IF_ERROR(ReadArray(response, &src[part]));
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
  router.MergeSamples(counts, src, &out->offsets, &out->src);
  return absl::OkStatus();
}

template <typename T, typename AddFields, typename GatherLocal>
absl::Status RemoteGraphClient::PullRows(absl::Span<const int64_t> ids, size_t width,
                                         const char* method, int ids_field, int rows_field, T* out,
                                         AddFields add_fields, GatherLocal gather_local) {
  DS_ASSIGN_OR_RETURN(const IdRouter router, IdRouter::Route(book_, ids));
  std::vector<T> local_rows;
  const size_t row_bytes = width * sizeof(T);
  return Fanout(
      router.parts(), method,
      [&](int part, proto_wire::MessageWriter* request) {
        request->AddBytes(kGraphNameField, config_.graph_name);
        add_fields(request);
        request->AddBytes(ids_field, AsBytes(router.ids_of(part)));
      },
      [&](int part, const PartitionStore& store) {
        const absl::Span<const int64_t> part_ids = router.ids_of(part);
        if (router.single_part()) return gather_local(store, part_ids, out);
        local_rows.resize(part_ids.size() * width);
        DS_RETURN_IF_ERROR(gather_local(store, part_ids, local_rows.data()));
        router.Scatter(part, local_rows.data(), width, out);
        return absl::OkStatus();
      },
      [&](int part, proto_wire::MessageReader* response) -> absl::Status {
        const absl::Span<const int64_t> positions = router.positions_of(part);
        const size_t expected = positions.size() * row_bytes;
        size_t received = 0;
        while (true) {
          DS_ASSIGN_OR_RETURN(const bool more, response->Next());
          if (!more) break;
          if (response->field() != rows_field) continue;
          received = response->value();
          if (response->wire_type() != proto_wire::WireType::kLengthDelimited ||
              received != expected) {
            break;
          }
          // The one copy of the payload: from the received slices to the rows.
          if (router.single_part()) {
            DS_RETURN_IF_ERROR(response->ReadPayload(out, expected));
            continue;
          }
          for (const int64_t position : positions) {
            DS_RETURN_IF_ERROR(
                response->ReadPayload(out + static_cast<size_t>(position) * width, row_bytes));
          }
        }
        if (received != expected) {
          return absl::DataLossError(
              absl::StrCat("the answer has ", received, " bytes of rows, expected ", expected));
        }
        return absl::OkStatus();
      });
}

absl::Status RemoteGraphClient::PullFeatures(const std::string& name, absl::Span<const int64_t> ids,
                                             float* out) {
  const FeatureSpec* spec = config_.FindFeature(name);
  if (spec == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("graph '", config_.graph_name, "' has no node feature '", name, "'"));
  }
  return PullRows(
      ids, static_cast<size_t>(spec->dim), "PullFeatures", PullFeaturesRequest::kIdsFieldNumber,
      PullFeaturesResponse::kRowsFieldNumber, out,
      [&](proto_wire::MessageWriter* request) {
        request->AddBytes(PullFeaturesRequest::kFeatureFieldNumber, name);
      },
      [&](const PartitionStore& store, absl::Span<const int64_t> part_ids, float* rows) {
        return store.GatherFeatures(name, part_ids, rows);
      });
}

absl::Status RemoteGraphClient::PullLabels(absl::Span<const int64_t> ids, int64_t* out) {
  return PullRows(
      ids, 1, "PullLabels", NodeIdsRequest::kIdsFieldNumber, PullLabelsResponse::kLabelsFieldNumber,
      out, [](proto_wire::MessageWriter*) {},
      [](const PartitionStore& store, absl::Span<const int64_t> part_ids, int64_t* rows) {
        return store.GatherLabels(part_ids, rows);
      });
}

absl::Status RemoteGraphClient::PullSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) {
  return PullRows(
      ids, 1, "PullSplitMasks", NodeIdsRequest::kIdsFieldNumber,
      PullSplitMasksResponse::kMasksFieldNumber, out, [](proto_wire::MessageWriter*) {},
      [](const PartitionStore& store, absl::Span<const int64_t> part_ids, uint8_t* rows) {
        return store.GatherSplitMasks(part_ids, rows);
      });
}

absl::Status RemoteGraphClient::InDegrees(absl::Span<const int64_t> ids, int64_t* out) {
  return PullRows(
      ids, 1, "InDegrees", NodeIdsRequest::kIdsFieldNumber, InDegreesResponse::kDegreesFieldNumber,
      out, [](proto_wire::MessageWriter*) {},
      [](const PartitionStore& store, absl::Span<const int64_t> part_ids, int64_t* rows) {
        return store.GatherInDegrees(part_ids, rows);
      });
}

absl::StatusOr<std::vector<int64_t>> RemoteGraphClient::SplitNodes(int part, Split split) {
  if (part < 0 || part >= config_.num_parts()) {
    return absl::InvalidArgumentError(absl::StrCat("partition ", part, " does not exist: graph '",
                                                   config_.graph_name, "' has ",
                                                   config_.num_parts(), " partitions"));
  }
  if (parts_[part]->local != nullptr) {
    return parts_[part]->local->SplitNodes(static_cast<int>(split));
  }
  const auto [server, connection] = PickServer(part);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  context.set_wait_for_ready(true);
  SplitNodesRequest request;
  request.set_graph_name(config_.graph_name);
  request.set_split(static_cast<SplitKind>(split));
  SplitNodesResponse response;
  const grpc::Status status = connection->stub->SplitNodes(&context, request, &response);
  if (!status.ok()) {
    return FromGrpcStatus(status, absl::StrCat("GraphService.SplitNodes on partition ", part,
                                               " (server ", server->address, ")"));
  }
  std::vector<int64_t> nodes;
  if (!pf::UnpackArray(response.nodes(), &nodes)) {
    return absl::DataLossError(
        absl::StrCat("SplitNodes answer of partition ", part, " is not a list of int64"));
  }
  return nodes;
}

}  // namespace distsage
