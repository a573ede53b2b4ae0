// server_bench: GraphSAGE-shaped load on graph_server over loopback, beside
// the same operations in-process on the same partitions (the upper limit).
//
//   server_bench --part_config data/G.json --ip_config ip_config.txt
//       [--num_servers 1] [--cache memory] [--seconds 5] [--pulls=false]
//       [--transports tcp,unix] [--in_process=false] [--rounds 1]
//       [--tls_ca CA.pem [--tls_cert CERT.pem --tls_key KEY.pem]]
//
// Per batch: --batch_size training seeds; SampleNeighbors with each fan-out
// of --fanouts (sampled edges/s); PullFeatures (MB/s of feature rows) of
//   * the seeds,
//   * the seeds' unique sampled in-neighbours at the largest fan-out,
//   * the batch's input nodes: what a GraphSAGE step with these fan-outs
//     pulls (DGL's order: the last fan-out samples the seeds, each earlier
//     one the previous layer's nodes, seeds included), e.g. ~100k+ rows for
//     1000 seeds and fan-outs 10,25.
// Each operation runs from 1 and 2 client threads for --seconds, in-process
// and through one GraphClient per --transports entry: "tcp" (loopback
// TCP) or "unix" (the servers' Unix sockets in --uds_dir; the servers must be
// on this machine). Prints a Markdown table.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/graph_client.h"
#include "proto/transport_security.h"
#include "server/partition_store.h"

ABSL_FLAG(std::string, part_config, "", "partition config JSON (the servers' --part_config)");
ABSL_FLAG(std::string, ip_config, "", "ip_config.txt of the running graph_servers");
ABSL_FLAG(int, num_servers, 1, "servers per machine in ip_config");
ABSL_FLAG(std::string, cache, "memory", "cache mode of the in-process baseline (memory|none)");
ABSL_FLAG(int, batch_size, 1000, "seeds per batch");
ABSL_FLAG(std::string, fanouts, "10,25", "fan-outs to sample with");
ABSL_FLAG(std::string, threads, "1,2", "client thread counts");
ABSL_FLAG(double, seconds, 5, "duration of each measurement");
ABSL_FLAG(bool, pulls, true, "also measure PullFeatures (false: sampling only)");
ABSL_FLAG(std::string, transports, "tcp",
          "how the clients reach the servers, a list of 'tcp' and 'unix' (one column each)");
ABSL_FLAG(std::string, uds_dir, "/tmp", "the servers' --uds_dir (for --transports unix)");
ABSL_FLAG(bool, in_process, true, "also measure in-process (the baseline column)");
ABSL_FLAG(std::string, tls_ca, "", "dial the servers over TLS, verified against this CA");
ABSL_FLAG(std::string, tls_cert, "", "client certificate, for servers that require mutual TLS");
ABSL_FLAG(std::string, tls_key, "", "private key of --tls_cert");
ABSL_FLAG(int, rounds, 1,
          "measure each transport this many times, in alternating order (ABBA...), and report "
          "the mean: the first client to run warms the servers up for the next");

namespace distsage {
namespace {

struct Batch {
  std::vector<int64_t> seeds;
  std::vector<int64_t> frontier;     // Unique sources sampled at the largest fan-out.
  std::vector<int64_t> input_nodes;  // Every node the batch's first layer reads.
};

// What one measurement counts: sampled edges, or feature bytes pulled.
using Operation = std::function<absl::StatusOr<double>(GraphClient&, const Batch&, uint64_t)>;

double Measure(GraphClient& client, const std::vector<Batch>& batches, int threads, double seconds,
               const Operation& op) {
  std::atomic<bool> failed{false};
  std::vector<double> totals(threads, 0);
  const absl::Time end = absl::Now() + absl::Seconds(seconds);
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (uint64_t i = t; absl::Now() < end && !failed; i += threads) {
        absl::StatusOr<double> amount = op(client, batches[i % batches.size()], i);
        if (!amount.ok()) {
          std::fprintf(stderr, "error: %s\n", amount.status().ToString().c_str());
          failed = true;
          return;
        }
        totals[t] += *amount;
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  double total = 0;
  for (double value : totals) total += value;
  return failed ? -1 : total / absl::ToDoubleSeconds(absl::Now() - start);
}

int Run() {
  absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(absl::GetFlag(FLAGS_part_config));
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 1;
  }
  std::vector<int> fanouts, thread_counts;
  for (absl::string_view f : absl::StrSplit(absl::GetFlag(FLAGS_fanouts), ',')) {
    fanouts.push_back(std::stoi(std::string(f)));
  }
  for (absl::string_view t : absl::StrSplit(absl::GetFlag(FLAGS_threads), ',')) {
    thread_counts.push_back(std::stoi(std::string(t)));
  }
  PartitionStoreOptions store_options;
  absl::StatusOr<CacheMode> cache = ParseCacheMode(absl::GetFlag(FLAGS_cache));
  if (!cache.ok()) return 2;
  store_options.cache = *cache;
  const absl::Time open_start = absl::Now();
  absl::StatusOr<std::unique_ptr<GraphClient>> local =
      GraphClient::OpenInProcess(*config, store_options);
  if (!local.ok()) {
    std::fprintf(stderr, "%s\n", local.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "opened %d partitions in-process in %s\n", config->num_parts(),
               absl::FormatDuration(absl::Now() - open_start).c_str());
  // One client per transport, each checked to use only that transport.
  std::vector<std::string> transports;
  std::vector<std::unique_ptr<GraphClient>> remotes;
  for (absl::string_view transport : absl::StrSplit(absl::GetFlag(FLAGS_transports), ',')) {
    if (transport != "tcp" && transport != "unix") {
      std::fprintf(stderr, "--transports: '%s' is neither tcp nor unix\n",
                   std::string(transport).c_str());
      return 2;
    }
    GraphClientOptions remote_options;
    remote_options.num_servers = absl::GetFlag(FLAGS_num_servers);
    if (transport == "unix") remote_options.channels.uds_dir = absl::GetFlag(FLAGS_uds_dir);
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = ChannelCredentialsFrom(
        {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_ca)});
    if (!credentials.ok()) {
      std::fprintf(stderr, "%s\n", credentials.status().ToString().c_str());
      return 2;
    }
    remote_options.channels.credentials = *credentials;
    absl::StatusOr<std::unique_ptr<GraphClient>> remote =
        GraphClient::ConnectFromIpConfig(absl::GetFlag(FLAGS_ip_config), *config, remote_options);
    if (!remote.ok()) {
      std::fprintf(stderr, "%s\n", remote.status().ToString().c_str());
      return 1;
    }
    for (const ServerConnectionInfo& server : (*remote)->ServerConnections()) {
      if (server.transport != transport) {
        std::fprintf(stderr, "server %s is reached over %s, not %s (see --uds_dir)\n",
                     server.address.c_str(), server.transport.c_str(),
                     std::string(transport).c_str());
        return 1;
      }
    }
    transports.emplace_back(transport);
    remotes.push_back(*std::move(remote));
  }
  const bool in_process = absl::GetFlag(FLAGS_in_process);

  // 64 batches of training seeds and their sampled frontiers.
  std::vector<int64_t> train;
  for (int p = 0; p < config->num_parts(); ++p) {
    absl::StatusOr<std::vector<int64_t>> nodes = (*local)->SplitNodes(p, Split::kTrain);
    if (!nodes.ok()) return 1;
    train.insert(train.end(), nodes->begin(), nodes->end());
  }
  std::shuffle(train.begin(), train.end(), std::mt19937_64(0));
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  const int max_fanout = *std::max_element(fanouts.begin(), fanouts.end());
  std::vector<Batch> batches(64);
  for (size_t b = 0; b < batches.size(); ++b) {
    Batch& batch = batches[b];
    for (int i = 0; i < batch_size; ++i) {
      batch.seeds.push_back(train[(b * batch_size + i) % train.size()]);
    }
    SampledNeighbors sampled;
    if (!(*local)->SampleNeighbors(batch.seeds, {max_fanout, false, b}, &sampled).ok()) return 1;
    absl::flat_hash_set<int64_t> unique(sampled.src.begin(), sampled.src.end());
    batch.frontier.assign(unique.begin(), unique.end());
    std::vector<int64_t> layer = batch.seeds;
    absl::flat_hash_set<int64_t> reached(layer.begin(), layer.end());
    for (auto fanout = fanouts.rbegin(); fanout != fanouts.rend(); ++fanout) {
      if (!(*local)->SampleNeighbors(layer, {*fanout, false, b}, &sampled).ok()) return 1;
      reached.insert(sampled.src.begin(), sampled.src.end());
      layer.assign(reached.begin(), reached.end());
    }
    batch.input_nodes = std::move(layer);
  }
  const std::string feature = config->node_features[0].name;
  const int64_t dim = config->node_features[0].dim;

  // Columns: in-process, each transport, each transport / in-process, and
  // unix / tcp when both run.
  const auto tcp = std::find(transports.begin(), transports.end(), "tcp");
  const auto unix_socket = std::find(transports.begin(), transports.end(), "unix");
  const bool compare_transports = tcp != transports.end() && unix_socket != transports.end();
  std::string header = "| operation | client threads |";
  if (in_process) header += " in-process |";
  for (const std::string& transport : transports) header += " " + transport + " |";
  for (const std::string& transport : transports) {
    if (in_process) header += " " + transport + " / in-process |";
  }
  if (compare_transports) header += " unix / tcp |";
  std::printf("%s\n|", header.c_str());
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == '|' && i > 0) std::printf(" --- |");
  }
  std::printf("\n");
  auto report = [&](const std::string& name, const std::string& unit, double scale,
                    const Operation& op) {
    for (int threads : thread_counts) {
      const double seconds = absl::GetFlag(FLAGS_seconds);
      const double baseline = in_process ? Measure(**local, batches, threads, seconds, op) : 0;
      const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
      std::vector<double> remote_rates(remotes.size(), 0);
      for (int round = 0; round < rounds; ++round) {
        for (size_t k = 0; k < remotes.size(); ++k) {
          const size_t r = round % 2 == 0 ? k : remotes.size() - 1 - k;
          remote_rates[r] += Measure(*remotes[r], batches, threads, seconds, op) / rounds;
        }
      }
      std::string row = absl::StrFormat("| %s | %d |", name, threads);
      if (in_process) row += absl::StrFormat(" %.1f %s |", baseline / scale, unit);
      for (double rate : remote_rates) row += absl::StrFormat(" %.1f %s |", rate / scale, unit);
      for (double rate : remote_rates) {
        if (in_process) row += absl::StrFormat(" %.0f%% |", 100.0 * rate / baseline);
      }
      if (compare_transports) {
        row += absl::StrFormat(" %.2f |", remote_rates[unix_socket - transports.begin()] /
                                              remote_rates[tcp - transports.begin()]);
      }
      std::printf("%s\n", row.c_str());
      std::fflush(stdout);
    }
  };
  for (int fanout : fanouts) {
    report(
        "SampleNeighbors " + std::to_string(batch_size) + " seeds, fan-out " +
            std::to_string(fanout),
        "M edges/s", 1e6,
        [fanout](GraphClient& client, const Batch& batch, uint64_t i) -> absl::StatusOr<double> {
          SampledNeighbors sampled;
          absl::Status status = client.SampleNeighbors(batch.seeds, {fanout, false, i}, &sampled);
          if (!status.ok()) return status;
          return static_cast<double>(sampled.src.size());
        });
  }
  const std::pair<std::string, std::vector<int64_t> Batch::*> pulls[] = {
      {"seeds", &Batch::seeds},
      {absl::StrCat("fan-out-", max_fanout, " frontier"), &Batch::frontier},
      {absl::StrCat("input nodes (fan-outs ", absl::GetFlag(FLAGS_fanouts), ")"),
       &Batch::input_nodes}};
  for (const auto& [what, ids_of] : pulls) {
    if (!absl::GetFlag(FLAGS_pulls)) break;
    size_t rows_per_batch = 0;
    for (const Batch& batch : batches) rows_per_batch += (batch.*ids_of).size();
    rows_per_batch /= batches.size();
    report(absl::StrCat("PullFeatures ", what, ": ", rows_per_batch, " rows x ", dim, " float32"),
           "MB/s", 1e6,
           [&, ids_of = ids_of](GraphClient& client, const Batch& batch,
                                uint64_t) -> absl::StatusOr<double> {
             const std::vector<int64_t>& ids = batch.*ids_of;
             // Reused, as a trainer's buffer pool would: the measurement is
             // the pull, not page faults of a fresh buffer.
             thread_local std::vector<float> rows;
             rows.resize(ids.size() * dim);
             absl::Status status = client.PullFeatures(feature, ids, rows.data());
             if (!status.ok()) return status;
             return static_cast<double>(rows.size() * sizeof(float));
           });
  }
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::fprintf(stderr, "server_bench peak RSS (in-process partitions + client): %.1f GiB\n",
               usage.ru_maxrss / 1048576.0);
  return 0;
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Sampling and feature-pull throughput of graph_server over loopback vs in-process.");
  absl::ParseCommandLine(argc, argv);
  return distsage::Run();
}
