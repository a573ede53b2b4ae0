// Fuzzes every KVStoreService handler: an input is a sequence of up to 16
// calls, each [selector byte][length, 2 bytes LE][serialised request], so
// that a create can be followed by pushes, pulls, saves and loads of that
// tensor. The selector's low bits pick the method; bit 7 sends the server's
// bearer token (without it, the state-changing calls must be refused). Each
// input gets a fresh KVStore (with its own empty save folder) behind the real
// KVServiceImpl, over an in-process gRPC channel, with the row range of
// Cora's partition 0 (partitioned by the real partitioner). Every answer must
// be OK or a client error with a message (fuzz_support.h); sanitizers catch
// the rest.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "common/partition_book.h"
#include "proto/distsage/kvstore.pb.h"
#include "proto/transport_security.h"
#include "server/call_authorizer.h"
#include "server/kv_service.h"
#include "server/kv_store.h"
#include "tests/fuzz/fuzz_support.h"

namespace distsage::fuzz {
namespace {

constexpr char kToken[] = "kv-fuzz-token";
constexpr int kMaxCalls = 16;
// Answers are capped at 16 MiB (graph_server --max_message_mb 16), so that
// the size checks are reached without gigabyte answers slowing the fuzzer.
constexpr int64_t kMaxAnswerBytes = int64_t{16} << 20;

struct Method {
  const char* path;
  // Whether gRPC parses the request (a plain method) and, if so, whether
  // these bytes parse as its request message.
  bool (*grpc_parse_fails)(absl::string_view body);
};

template <typename Request>
bool ParseFails(absl::string_view body) {
  Request request;
  return !request.ParseFromArray(body.data(), static_cast<int>(body.size()));
}
bool RawMethod(absl::string_view) { return false; }

constexpr Method kMethods[] = {
    {"/distsage.KVStoreService/CreateTensor", ParseFails<CreateTensorRequest>},
    {"/distsage.KVStoreService/ListTensors", ParseFails<ListTensorsRequest>},
    {"/distsage.KVStoreService/Pull", RawMethod},
    {"/distsage.KVStoreService/Push", RawMethod},
    {"/distsage.KVStoreService/Save", ParseFails<KVSaveRequest>},
    {"/distsage.KVStoreService/Load", ParseFails<KVLoadRequest>},
};
constexpr int kNumMethods = sizeof(kMethods) / sizeof(kMethods[0]);

void RunCalls(absl::string_view input) {
  const PartitionConfig& config = CoraPartitions();
  const PartitionBook book = config.Book();
  KVStoreOptions store_options;
  store_options.row_begin = book.RangeBegin(0);
  store_options.row_end = book.RangeEnd(0);
  store_options.save_dir = MemoryScratchDir() + "/kv";
  std::error_code error;
  std::filesystem::remove_all(store_options.save_dir, error);
  absl::StatusOr<std::unique_ptr<KVStore>> store = KVStore::Open(store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open an empty KV store: %s\n",
                 std::string(store.status().message()).c_str());
    std::abort();
  }
  static const CallAuthorizer* const authorizer = new CallAuthorizer(kToken, false);
  KVServiceOptions options;
  options.graph_name = config.graph_name;
  options.max_answer_bytes = kMaxAnswerBytes;
  options.authorizer = authorizer;
  KVServiceImpl service(options, std::shared_ptr<KVStore>(*std::move(store)));
  InProcessServer server({&service});
  for (int call = 0; call < kMaxCalls && input.size() >= 3; ++call) {
    const uint8_t selector = static_cast<uint8_t>(input[0]);
    const size_t length = static_cast<uint8_t>(input[1]) | (static_cast<uint8_t>(input[2]) << 8);
    input.remove_prefix(3);
    const absl::string_view body = input.substr(0, length);
    input.remove_prefix(body.size());
    const Method& method = kMethods[(selector & 0x7f) % kNumMethods];
    grpc::ByteBuffer response;
    const grpc::Status status =
        server.Call(method.path, body, &response,
                    (selector & 0x80) != 0 ? absl::StrCat(kBearerPrefix, kToken) : "");
    CheckAnswerStatus(status, method.path, method.grpc_parse_fails(body));
  }
}

}  // namespace
}  // namespace distsage::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  distsage::fuzz::RunCalls(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
