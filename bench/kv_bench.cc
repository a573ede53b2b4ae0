// KV store throughput: Pull and Push of random node rows (batches of
// --batch_size IDs), in process (the standalone path) and through the
// servers of --ip_config over loopback, for each --dims row length.
// Prints a Markdown table of rows/s. Each tensor is created fresh
// (kv_bench_<dim>_<n>) so runs do not disturb each other.
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/graph_client.h"
#include "client/kv_client.h"

ABSL_FLAG(std::string, part_config, "", "partition config JSON (the servers' --part_config)");
ABSL_FLAG(std::string, ip_config, "",
          "ip_config.txt of running graph_servers (\"\": in process only)");
ABSL_FLAG(std::string, dims, "64,128", "row lengths to measure");
ABSL_FLAG(int, batch_size, 10000, "IDs per Pull / Push");
ABSL_FLAG(double, seconds, 3, "duration of each measurement");

namespace distsage {
namespace {

// Rows per second of `op` over random batches, from one client thread.
template <typename Op>
double RowsPerSecond(int64_t num_nodes, int batch_size, double seconds, Op op) {
  std::mt19937_64 rng(1);
  std::vector<int64_t> ids(batch_size);
  int64_t rows = 0;
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  while (absl::Now() < end) {
    for (int64_t& id : ids) id = static_cast<int64_t>(rng() % num_nodes);
    const absl::Status status = op(ids);
    if (!status.ok()) {
      std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
      return -1;
    }
    rows += batch_size;
  }
  return static_cast<double>(rows) / absl::ToDoubleSeconds(absl::Now() - start);
}

int Run() {
  absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(absl::GetFlag(FLAGS_part_config));
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 1;
  }
  struct Client {
    std::string name;
    std::unique_ptr<GraphClient> graph;  // Holds the channels of a remote KV client.
    std::unique_ptr<KVClient> kv;
  };
  std::vector<Client> clients;
  absl::StatusOr<std::unique_ptr<KVClient>> local = KVClient::OpenInProcess(*config, false);
  if (!local.ok()) return 1;
  clients.push_back({"in-process", nullptr, *std::move(local)});
  if (!absl::GetFlag(FLAGS_ip_config).empty()) {
    absl::StatusOr<std::unique_ptr<GraphClient>> graph =
        GraphClient::ConnectFromIpConfig(absl::GetFlag(FLAGS_ip_config), *config);
    if (!graph.ok()) {
      std::fprintf(stderr, "%s\n", graph.status().ToString().c_str());
      return 1;
    }
    absl::StatusOr<std::unique_ptr<KVClient>> kv = KVClient::Connect(*config, (*graph)->channels());
    if (!kv.ok()) {
      std::fprintf(stderr, "%s\n", kv.status().ToString().c_str());
      return 1;
    }
    clients.push_back({"loopback", *std::move(graph), *std::move(kv)});
  }
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  std::printf("| operation (%d rows a call, %d partition(s)) | row length |", batch_size,
              config->num_parts());
  for (const Client& client : clients) std::printf(" %s rows/s |", client.name.c_str());
  std::printf("\n| --- | --- |");
  for (size_t i = 0; i < clients.size(); ++i) std::printf(" --- |");
  std::printf("\n");
  for (absl::string_view dim_text : absl::StrSplit(absl::GetFlag(FLAGS_dims), ',')) {
    const int dim = std::stoi(std::string(dim_text));
    std::vector<float> pulled(static_cast<size_t>(batch_size) * dim);
    const std::vector<float> grads(static_cast<size_t>(batch_size) * dim, 0.001f);
    std::string pull_row = absl::StrFormat("| Pull | %d |", dim);
    std::string push_row = absl::StrFormat("| Push (adam) | %d |", dim);
    for (Client& client : clients) {
      KVTensorSpec spec;
      spec.name = absl::StrCat("kv_bench_", dim, "_", absl::ToUnixMicros(absl::Now()));
      spec.dim = dim;
      spec.init = "uniform";
      spec.init_scale = 0.1f;
      spec.optimizer = *ParseOptimizer("adam", 0.01f, 0, 0, 0);
      const absl::Status created = client.kv->CreateTensor(spec);
      if (!created.ok()) {
        std::fprintf(stderr, "%s\n", created.ToString().c_str());
        return 1;
      }
      const double pull = RowsPerSecond(config->num_nodes, batch_size, seconds, [&](auto& ids) {
        return client.kv->Pull(spec.name, ids, pulled.data());
      });
      const double push = RowsPerSecond(config->num_nodes, batch_size, seconds, [&](auto& ids) {
        return client.kv->Push(spec.name, ids, grads);
      });
      absl::StrAppendFormat(&pull_row, " %.2f M |", pull / 1e6);
      absl::StrAppendFormat(&push_row, " %.2f M |", push / 1e6);
    }
    std::printf("%s\n%s\n", pull_row.c_str(), push_row.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return distsage::Run();
}
