// Fuzzes every GraphService handler's request parsing and validation: the
// input's first byte picks the method, the rest is the serialised request,
// handed to the real GraphServiceImpl over an in-process gRPC channel. Two
// servers hold partition 0 of Cora (partitioned by the real partitioner),
// one in memory, one straight from RocksDB (--cache none); both get every
// request. Every answer must be OK or a client error with a message
// (fuzz_support.h), and the two stores must agree (the same status code, and
// byte-identical answers except GetGraphInfo's, which names the cache
// mode); sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "server/graph_service.h"
#include "server/partition_store.h"
#include "tests/fuzz/fuzz_support.h"

namespace distsage::fuzz {
namespace {

constexpr const char* kMethods[] = {
    "/distsage.GraphService/GetGraphInfo",   "/distsage.GraphService/SampleNeighbors",
    "/distsage.GraphService/PullFeatures",   "/distsage.GraphService/PullLabels",
    "/distsage.GraphService/PullSplitMasks", "/distsage.GraphService/InDegrees",
    "/distsage.GraphService/SplitNodes",
};
constexpr int kNumMethods = sizeof(kMethods) / sizeof(kMethods[0]);

// Answers are capped at 16 MiB (graph_server --max_message_mb 16), so that
// the size checks are reached without gigabyte answers slowing the fuzzer.
constexpr int64_t kMaxAnswerBytes = int64_t{16} << 20;

struct Served {
  std::unique_ptr<GraphServiceImpl> service;
  std::unique_ptr<InProcessServer> server;
};

Served Serve(CacheMode cache) {
  const PartitionConfig& config = CoraPartitions();
  PartitionStoreOptions options;
  options.cache = cache;
  options.block_cache_bytes = int64_t{8} << 20;
  absl::StatusOr<std::unique_ptr<PartitionStore>> store = PartitionStore::Open(config, 0, options);
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open Cora's partition 0: %s\n",
                 std::string(store.status().message()).c_str());
    std::abort();
  }
  Served served;
  served.service = std::make_unique<GraphServiceImpl>(
      config, std::shared_ptr<const PartitionStore>(*std::move(store)), 0, kMaxAnswerBytes);
  served.server =
      std::make_unique<InProcessServer>(std::vector<grpc::Service*>{served.service.get()});
  return served;
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  grpc::ByteBuffer copy(buffer);
  grpc::Slice slice;
  if (!copy.DumpToSingleSlice(&slice).ok()) return {};
  return std::string(reinterpret_cast<const char*>(slice.begin()), slice.size());
}

}  // namespace
}  // namespace distsage::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace distsage::fuzz;
  static Served* const memory = new Served(Serve(distsage::CacheMode::kMemory));
  static Served* const rocksdb = new Served(Serve(distsage::CacheMode::kNone));
  const Selected input = SplitSelector(data, size);
  const int method_index = input.selector % kNumMethods;
  const char* method = kMethods[method_index];
  grpc::ByteBuffer from_memory;
  grpc::ByteBuffer from_rocksdb;
  const grpc::Status memory_status = memory->server->Call(method, input.rest, &from_memory);
  const grpc::Status rocksdb_status = rocksdb->server->Call(method, input.rest, &from_rocksdb);
  CheckAnswerStatus(memory_status, method);
  CheckAnswerStatus(rocksdb_status, method);
  if (memory_status.error_code() != rocksdb_status.error_code()) {
    std::fprintf(stderr, "%s: the memory store answered %d (%s), the RocksDB store %d (%s)\n",
                 method, memory_status.error_code(), memory_status.error_message().c_str(),
                 rocksdb_status.error_code(), rocksdb_status.error_message().c_str());
    std::abort();
  }
  if (memory_status.ok() && method_index != 0 && Flatten(from_memory) != Flatten(from_rocksdb)) {
    std::fprintf(stderr, "%s: the memory and RocksDB stores gave different answers\n", method);
    std::abort();
  }
  return 0;
}
