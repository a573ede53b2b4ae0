// Writes the seed corpus of the RPC fuzz targets into tests/fuzz/corpus/:
// valid requests of every method, serialised as a client sends them, in each
// target's input format (see the targets' comments), for Cora's partition 0
// as the fuzzers serve it; and the partition config the real partitioner
// wrote for it, as partition_config_fuzzer's seed. Run by hand when a request
// message or the config format changes:
//   build-asan/bin/make_fuzz_corpus tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/partition_book.h"
#include "proto/distsage/admin.pb.h"
#include "proto/distsage/graph.pb.h"
#include "proto/distsage/kvstore.pb.h"
#include "tests/fuzz/fuzz_support.h"

namespace distsage::fuzz {
namespace {

template <typename T>
std::string Packed(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

std::string Selected(uint8_t selector, const google::protobuf::Message& request) {
  return std::string(1, static_cast<char>(selector)) + request.SerializeAsString();
}

// One call of kv_service_fuzzer's input: selector, 2-byte length, body.
std::string KvCall(uint8_t selector, const google::protobuf::Message& request) {
  const std::string body = request.SerializeAsString();
  std::string call(1, static_cast<char>(selector));
  call.push_back(static_cast<char>(body.size() & 0xff));
  call.push_back(static_cast<char>(body.size() >> 8));
  return call + body;
}

void Write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  WriteFileOrDie((dir / name).string(), bytes);
}

void GraphSeeds(const std::filesystem::path& dir, const PartitionConfig& config) {
  const std::string& graph = config.graph_name;
  const int64_t last = config.Book().RangeEnd(0) - 1;
  Write(dir, "get_graph_info", Selected(0, GetGraphInfoRequest()));
  for (const bool replace : {false, true}) {
    SampleNeighborsRequest sample;
    sample.set_graph_name(graph);
    sample.set_seeds(Packed<int64_t>({0, 1, 2, last, 1}));
    sample.set_fanout(replace ? 10 : 5);
    sample.set_replace(replace);
    sample.set_rng_seed(7);
    Write(dir, replace ? "sample_neighbors_replace" : "sample_neighbors", Selected(1, sample));
  }
  SampleNeighborsRequest all;
  all.set_seeds(Packed<int64_t>({3, 4}));
  all.set_fanout(-1);
  Write(dir, "sample_neighbors_all", Selected(1, all));
  PullFeaturesRequest features;
  features.set_graph_name(graph);
  features.set_feature("feat");
  features.set_ids(Packed<int64_t>({0, last, 0}));
  Write(dir, "pull_features", Selected(2, features));
  NodeIdsRequest ids;
  ids.set_graph_name(graph);
  ids.set_ids(Packed<int64_t>({0, 1, last}));
  Write(dir, "pull_labels", Selected(3, ids));
  Write(dir, "pull_split_masks", Selected(4, ids));
  Write(dir, "in_degrees", Selected(5, ids));
  for (const SplitKind split : {TRAIN, VALID, TEST}) {
    SplitNodesRequest nodes;
    nodes.set_graph_name(graph);
    nodes.set_split(split);
    Write(dir, absl::StrCat("split_nodes_", SplitKind_Name(split)), Selected(6, nodes));
  }
}

void KvSeeds(const std::filesystem::path& dir, const PartitionConfig& config) {
  constexpr uint8_t kToken = 0x80;
  enum { kCreate, kList, kPull, kPush, kSave, kLoad };
  const std::string& graph = config.graph_name;
  const int64_t last = config.Book().RangeEnd(0) - 1;
  CreateTensorRequest create;
  create.set_graph_name(graph);
  TensorSpec* spec = create.mutable_spec();
  spec->set_name("node_emb");
  spec->set_dim(4);
  spec->set_init("uniform");
  spec->set_init_scale(0.1f);
  spec->set_seed(3);
  spec->mutable_optimizer()->set_kind("adagrad");
  spec->mutable_optimizer()->set_lr(0.05f);
  KVPushRequest push;
  push.set_graph_name(graph);
  push.set_name("node_emb");
  push.set_ids(Packed<int64_t>({0, last, 0}));
  push.set_grads(Packed<float>({0.5f, -1, 2, 0, 1, 1, 1, 1, -0.25f, 0, 0, 3}));
  push.set_client_id(11);
  push.set_sequence(1);
  KVPullRequest pull;
  pull.set_graph_name(graph);
  pull.set_name("node_emb");
  pull.set_ids(Packed<int64_t>({last, 0}));
  ListTensorsRequest list;
  list.set_graph_name(graph);
  KVSaveRequest save;
  save.set_graph_name(graph);
  KVLoadRequest load;
  load.set_graph_name(graph);
  Write(dir, "create_push_pull",
        KvCall(kToken | kCreate, create) + KvCall(kToken | kPush, push) +
            KvCall(kToken | kPush, push) + KvCall(kPull, pull));
  Write(dir, "create_save_push_load_list",
        KvCall(kToken | kCreate, create) + KvCall(kToken | kSave, save) +
            KvCall(kToken | kPush, push) + KvCall(kToken | kLoad, load) + KvCall(kList, list) +
            KvCall(kPull, pull));
  Write(dir, "push_without_token", KvCall(kToken | kCreate, create) + KvCall(kPush, push));
  for (const char* kind : {"none", "sgd", "adam"}) {
    spec->mutable_optimizer()->set_kind(kind);
    Write(dir, absl::StrCat("create_", kind, "_push"),
          KvCall(kToken | kCreate, create) + KvCall(kToken | kPush, push) + KvCall(kPull, pull));
  }
}

void AdminSeeds(const std::filesystem::path& dir, const PartitionConfig& config) {
  ShutdownRequest request;
  request.set_graph_name(config.graph_name);
  request.set_requester("trainer rank 0 on host-a");
  Write(dir, "shutdown_with_token", Selected(1, request));
  Write(dir, "shutdown_without_token", Selected(0, request));
  request.set_graph_name("ogbn-products");
  Write(dir, "shutdown_other_graph", Selected(1, request));
}

}  // namespace
}  // namespace distsage::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_corpus CORPUS_DIR (tests/fuzz/corpus)\n");
    return 2;
  }
  using namespace distsage::fuzz;
  const std::filesystem::path corpus = argv[1];
  const distsage::PartitionConfig& config = CoraPartitions();
  GraphSeeds(corpus / "graph_service_fuzzer", config);
  KvSeeds(corpus / "kv_service_fuzzer", config);
  AdminSeeds(corpus / "admin_service_fuzzer", config);
  std::filesystem::create_directories(corpus / "partition_config_fuzzer");
  std::filesystem::copy_file(config.source_path, corpus / "partition_config_fuzzer" / "cora2.json",
                             std::filesystem::copy_options::overwrite_existing);
  std::printf("wrote the RPC and partition config seeds into %s\n", corpus.c_str());
  return 0;
}
