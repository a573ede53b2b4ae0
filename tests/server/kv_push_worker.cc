// A trainer-like process for the KV concurrency test: connects to the graph
// servers of an ip_config and pushes gradients to KV tensor --tensor for
// --rounds rounds. Every round pushes every node once with gradient
// (--worker + 1) in every element, and node (round % num_nodes) once more:
// integer gradients, so with an SGD learning rate of 0.5 every sum is exact
// in float32 whatever order the servers apply the pushes in.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "client/graph_client.h"
#include "client/kv_client.h"

ABSL_FLAG(std::string, ip_config, "", "ip_config.txt of the graph servers");
ABSL_FLAG(std::string, part_config, "", "partition config JSON");
ABSL_FLAG(std::string, tensor, "emb", "KV tensor to push to (created beforehand)");
ABSL_FLAG(int, worker, 0, "this worker's index");
ABSL_FLAG(int, rounds, 10, "pushes of every node");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::StatusOr<distsage::PartitionConfig> config =
      distsage::PartitionConfig::Load(absl::GetFlag(FLAGS_part_config));
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<distsage::GraphClient>> graph =
      distsage::GraphClient::ConnectFromIpConfig(absl::GetFlag(FLAGS_ip_config), *config);
  if (!graph.ok()) {
    std::fprintf(stderr, "%s\n", graph.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<distsage::KVClient>> connected =
      distsage::KVClient::Connect(*config, (*graph)->channels());
  if (!connected.ok()) {
    std::fprintf(stderr, "%s\n", connected.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<distsage::KVClient> kv = *std::move(connected);
  const std::string tensor = absl::GetFlag(FLAGS_tensor);
  const absl::StatusOr<distsage::KVTensorSpec> spec = kv->Describe(tensor);
  if (!spec.ok()) {
    std::fprintf(stderr, "%s\n", spec.status().ToString().c_str());
    return 1;
  }
  const int64_t num_nodes = config->num_nodes;
  const float grad = static_cast<float>(absl::GetFlag(FLAGS_worker) + 1);
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    std::vector<int64_t> ids(num_nodes);
    for (int64_t v = 0; v < num_nodes; ++v) ids[v] = v;
    ids.push_back(round % num_nodes);
    const std::vector<float> grads(ids.size() * spec->dim, grad);
    const absl::Status pushed = kv->Push(tensor, ids, grads);
    if (!pushed.ok()) {
      std::fprintf(stderr, "round %d: %s\n", round, pushed.ToString().c_str());
      return 1;
    }
  }
  std::printf("worker %d pushed %d rounds\n", absl::GetFlag(FLAGS_worker),
              absl::GetFlag(FLAGS_rounds));
  return 0;
}
