#include "trainer/remote_graph_client.h"

#include <algorithm>
#include <cstring>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

absl::StatusOr<std::unique_ptr<RemoteGraphClient>> OpenRemoteGraphClient(
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
    for (int s = 0; s < options.num_servers; ++s) {
      addresses[p].push_back(ServerAddress(machines[p], s));
    }
  }
  return RemoteGraphClient::Connect(config, addresses, options);
}

struct RemoteGraphClient::ServerProbe {
  grpc::Status status;  // The first failure over the server's connections.
  GraphInfo info;       // The answer over its first connection.
};

RemoteGraphClient::RemoteGraphClient(PartitionConfig config, absl::Duration rpc_timeout)
    : config_(std::move(config)), book_(config_.Book()), rpc_timeout_(rpc_timeout) {}

RemoteGraphClient::Server RemoteGraphClient::OpenServer(const std::string& address,
                                                        const std::string& target,
                                                        const RemoteGraphClientOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxMessageBytes));
  args.SetMaxSendMessageSize(static_cast<int>(kMaxMessageBytes));
  // A private subchannel pool gives each channel its own connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // gRPC's reconnect backoff grows to 120 s by default: a server that starts
  // while Connect waits would be noticed up to two minutes late.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  Server server;
  server.address = address;
  server.target = target;
  for (int c = 0; c < std::max(1, options.connections_per_server); ++c) {
    const std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    server.connections.push_back(
        {GraphService::NewStub(channel), std::make_unique<grpc::GenericStub>(channel)});
  }
  return server;
}

std::vector<RemoteGraphClient::ServerProbe> RemoteGraphClient::ProbeServers(
    const std::vector<const Server*>& servers, absl::Time deadline) {
  struct Call {
    grpc::ClientContext context;
    GetGraphInfoRequest request;
    GraphInfo info;
    grpc::Status status;
  };
  std::vector<std::vector<std::unique_ptr<Call>>> calls(servers.size());
  size_t num_calls = 0;
  for (size_t i = 0; i < servers.size(); ++i) num_calls += servers[i]->connections.size();
  absl::BlockingCounter pending(static_cast<int>(num_calls));
  for (size_t i = 0; i < servers.size(); ++i) {
    for (const Connection& connection : servers[i]->connections) {
      auto call = std::make_unique<Call>();
      Call* raw = call.get();
      // The one place a server that is not up yet is waited for.
      raw->context.set_wait_for_ready(true);
      raw->context.set_deadline(absl::ToChronoTime(deadline));
      connection.stub->async()->GetGraphInfo(&raw->context, &raw->request, &raw->info,
                                             [raw, &pending](grpc::Status status) {
                                               raw->status = std::move(status);
                                               pending.DecrementCount();
                                             });
      calls[i].push_back(std::move(call));
    }
  }
  pending.Wait();
  std::vector<ServerProbe> probes(servers.size());
  for (size_t i = 0; i < servers.size(); ++i) {
    probes[i].info = calls[i][0]->info;
    for (const std::unique_ptr<Call>& call : calls[i]) {
      if (!call->status.ok()) {
        probes[i].status = call->status;
        break;
      }
    }
  }
  return probes;
}

absl::StatusOr<std::unique_ptr<RemoteGraphClient>> RemoteGraphClient::Connect(
    const PartitionConfig& config, const std::vector<std::vector<std::string>>& server_addresses,
    const RemoteGraphClientOptions& options) {
  if (static_cast<int>(server_addresses.size()) != config.num_parts()) {
    return absl::InvalidArgumentError(
        absl::StrCat("server addresses given for ", server_addresses.size(), " partitions, graph '",
                     config.graph_name, "' has ", config.num_parts()));
  }
  const absl::Time deadline = absl::Now() + options.connect_timeout;
  std::unique_ptr<RemoteGraphClient> client(new RemoteGraphClient(config, options.rpc_timeout));
  // Every remote server: its partition, its Unix socket ("" unless it is on
  // this machine and the client may use one) and its connections.
  struct Candidate {
    int part = 0;
    std::string socket;
    Server server;
    ServerProbe probe;
  };
  std::vector<Candidate> candidates;
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
    client->parts_.push_back(std::move(partition));
    // A local partition's servers, when listed, are connected too, so that
    // ShutdownServers reaches them; they are never asked for data.
    for (const std::string& address : server_addresses[p]) {
      Candidate candidate;
      candidate.part = p;
      const size_t colon = address.rfind(':');
      int port = 0;
      if (options.prefer_unix_socket && colon != std::string::npos &&
          absl::SimpleAtoi(address.substr(colon + 1), &port) &&
          IsAddressOfThisMachine(address.substr(0, colon))) {
        candidate.socket = GraphServerSocketPath(options.uds_dir, port);
      }
      const bool use_socket = !candidate.socket.empty() && UnixSocketAnswers(candidate.socket);
      candidate.server =
          OpenServer(address, use_socket ? "unix:" + candidate.socket : address, options);
      candidates.push_back(std::move(candidate));
    }
  }
  auto probe_all = [deadline](std::vector<Candidate*> targets) {
    std::vector<const Server*> servers;
    for (const Candidate* candidate : targets) servers.push_back(&candidate->server);
    std::vector<ServerProbe> probes = ProbeServers(servers, deadline);
    for (size_t i = 0; i < targets.size(); ++i) targets[i]->probe = std::move(probes[i]);
  };
  auto serves_part = [&config](const ServerProbe& probe, int part) {
    return probe.status.ok() && probe.info.graph_name() == config.graph_name &&
           probe.info.part_id() == part && probe.info.num_parts() == config.num_parts();
  };
  std::vector<Candidate*> all;
  for (Candidate& candidate : candidates) all.push_back(&candidate);
  probe_all(all);

  // Second look at the transports: a socket that answers for another server
  // (one with the same port on another local address) is given up for TCP;
  // a local server reached over TCP because it was not up yet moves to its
  // socket if it has one now.
  std::vector<Candidate> second_look;
  std::vector<Candidate*> second_targets;
  std::vector<size_t> second_of;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& candidate = candidates[i];
    const bool on_socket = candidate.server.target != candidate.server.address;
    std::string target;
    if (on_socket && candidate.probe.status.ok() && !serves_part(candidate.probe, candidate.part)) {
      target = candidate.server.address;
    } else if (!on_socket && !candidate.socket.empty() &&
               serves_part(candidate.probe, candidate.part) &&
               UnixSocketAnswers(candidate.socket)) {
      target = "unix:" + candidate.socket;
    } else {
      continue;
    }
    Candidate retry;
    retry.part = candidate.part;
    retry.server = OpenServer(candidate.server.address, target, options);
    second_look.push_back(std::move(retry));
    second_of.push_back(i);
  }
  for (Candidate& retry : second_look) second_targets.push_back(&retry);
  probe_all(second_targets);
  for (size_t j = 0; j < second_look.size(); ++j) {
    Candidate& original = candidates[second_of[j]];
    const bool fallback_to_tcp = second_look[j].server.target == original.server.address;
    if (fallback_to_tcp || serves_part(second_look[j].probe, original.part)) {
      original.server = std::move(second_look[j].server);
      original.probe = std::move(second_look[j].probe);
    }
  }

  std::vector<std::string> silent;
  for (const Candidate& candidate : candidates) {
    const grpc::StatusCode code = candidate.probe.status.error_code();
    if (code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::UNAVAILABLE) {
      silent.push_back(absl::StrCat("partition ", candidate.part, " at ", candidate.server.address,
                                    candidate.server.target == candidate.server.address
                                        ? ""
                                        : absl::StrCat(" (", candidate.server.target, ")")));
    }
  }
  if (!silent.empty()) {
    return absl::DeadlineExceededError(absl::StrCat(
        silent.size(), " of ", candidates.size(), " graph servers never answered within ",
        absl::FormatDuration(options.connect_timeout), ": ", absl::StrJoin(silent, ", "),
        ". Start their graph_server (same --part_config, the --server_id of that machine), or "
        "check that ip_config.txt lists the right addresses and that they are reachable"));
  }
  for (const Candidate& candidate : candidates) {
    const ServerProbe& probe = candidate.probe;
    if (!probe.status.ok()) {
      return FromGrpcStatus(probe.status,
                            absl::StrCat("graph server ", candidate.server.address, " (partition ",
                                         candidate.part, ") did not answer GetGraphInfo"));
    }
    if (!serves_part(probe, candidate.part)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "graph server ", candidate.server.address, " serves partition ", probe.info.part_id(),
          " of ", probe.info.num_parts(), " of graph '", probe.info.graph_name(),
          "', expected partition ", candidate.part, " of ", config.num_parts(), " of '",
          config.graph_name, "'; check ip_config.txt and the servers' --server_id"));
    }
  }
  for (Candidate& candidate : candidates) {
    client->parts_[candidate.part]->servers.push_back(std::move(candidate.server));
  }
  return client;
}

RemoteGraphClient::Traffic RemoteGraphClient::traffic() const {
  return {bytes_sent_.load(std::memory_order_relaxed),
          bytes_received_.load(std::memory_order_relaxed)};
}

std::vector<ServerConnectionInfo> RemoteGraphClient::ServerConnections() const {
  std::vector<ServerConnectionInfo> infos;
  for (int p = 0; p < config_.num_parts(); ++p) {
    for (const Server& server : parts_[p]->servers) {
      const char* transport = parts_[p]->local != nullptr       ? "inprocess"
                              : server.target == server.address ? "tcp"
                                                                : "unix";
      infos.push_back({p, server.address, server.target, transport});
    }
  }
  return infos;
}

absl::Status RemoteGraphClient::CallError(const grpc::Status& status, absl::string_view method,
                                          int part, const Server& server) const {
  const std::string where = absl::StrCat(
      "GraphService.", method, " on partition ", part, ": graph server ", server.address,
      server.target == server.address ? "" : absl::StrCat(" (", server.target, ")"));
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(
          absl::StrCat(where, " is down or unreachable (", status.error_message(),
                       "); check that its graph_server is running and reachable"));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          absl::StrCat(where, " did not answer within ", absl::FormatDuration(rpc_timeout_),
                       " (rpc_timeout); it may be overloaded, or the request too large"));
    default:
      return FromGrpcStatus(status, where);
  }
}

absl::Status RemoteGraphClient::ShutdownServers(const std::string& requester) {
  struct Call {
    int part = 0;
    const Server* server = nullptr;
    grpc::ClientContext context;
    ShutdownRequest request;
    ShutdownResponse response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int p = 0; p < config_.num_parts(); ++p) {
    for (const Server& server : parts_[p]->servers) {
      auto call = std::make_unique<Call>();
      call->part = p;
      call->server = &server;
      call->context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
      call->request.set_graph_name(config_.graph_name);
      call->request.set_requester(requester);
      calls.push_back(std::move(call));
    }
  }
  absl::BlockingCounter pending(static_cast<int>(calls.size()));
  for (const std::unique_ptr<Call>& call : calls) {
    Call* raw = call.get();
    raw->server->connections[0].stub->async()->Shutdown(
        &raw->context, &raw->request, &raw->response, [raw, &pending](grpc::Status status) {
          raw->status = std::move(status);
          pending.DecrementCount();
        });
  }
  pending.Wait();
  for (const std::unique_ptr<Call>& call : calls) {
    if (!call->status.ok()) return CallError(call->status, "Shutdown", call->part, *call->server);
  }
  return absl::OkStatus();
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
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
    // A server that is down fails the call at once instead of stalling the
    // trainer until the deadline.
    call->context.set_wait_for_ready(false);
    proto_wire::MessageWriter writer;
    make_request(part, &writer);
    call->request = writer.Finish();
    bytes_sent_.fetch_add(static_cast<int64_t>(call->request.Length()), std::memory_order_relaxed);
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
      return CallError(call->status, method, call->part, *call->server);
    }
  }
  for (const std::unique_ptr<Call>& call : calls) {
    bytes_received_.fetch_add(static_cast<int64_t>(call->response.Length()),
                              std::memory_order_relaxed);
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
  // Kept across calls (per loader thread, at its largest size): a fresh
  // buffer of tens of megabytes per pull costs more in first-touch page
  // faults than the gather that fills it.
  thread_local std::vector<T> local_rows;
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
  context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  context.set_wait_for_ready(false);
  SplitNodesRequest request;
  request.set_graph_name(config_.graph_name);
  request.set_split(static_cast<SplitKind>(split));
  SplitNodesResponse response;
  const grpc::Status status = connection->stub->SplitNodes(&context, request, &response);
  if (!status.ok()) {
    return CallError(status, "SplitNodes", part, *server);
  }
  std::vector<int64_t> nodes;
  if (!pf::UnpackArray(response.nodes(), &nodes)) {
    return absl::DataLossError(
        absl::StrCat("SplitNodes answer of partition ", part, " is not a list of int64"));
  }
  return nodes;
}

}  // namespace distsage
