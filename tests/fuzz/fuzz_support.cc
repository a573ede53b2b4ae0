#include "tests/fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/grpc.h"
#include "partitioner/node_assignment.h"
#include "partitioner/ogb_loader.h"
#include "partitioner/partition_writer.h"
#include "partitioner/relabeling.h"
#include "proto/transport_security.h"

namespace distsage::fuzz {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fuzz setup failed: %s\n", what.c_str());
  std::abort();
}

// A fresh folder like `parent`/distsage-fuzz.XXXXXX, removed at exit; empty
// when it cannot be made.
std::string MakeTempDir(const std::string& parent) {
  std::string pattern = parent + "/distsage-fuzz.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

std::vector<std::string>& DirsToRemove() {
  static auto* const dirs = new std::vector<std::string>;
  return *dirs;
}

void RemoveScratchDirs() {
  for (const std::string& dir : DirsToRemove()) {
    std::error_code error;
    std::filesystem::remove_all(dir, error);
  }
}

const std::string* RegisterForRemoval(std::string dir) {
  if (DirsToRemove().empty()) std::atexit(RemoveScratchDirs);
  DirsToRemove().push_back(dir);
  return new std::string(std::move(dir));
}

PartitionConfig PartitionCora() {
  const std::string out = ScratchDir() + "/cora2";
  std::filesystem::create_directories(out);
  absl::StatusOr<OgbLocation> location = LocateOgbDataset("cora", DatasetsDir(), "", "");
  if (!location.ok()) Die(std::string(location.status().message()));
  absl::StatusOr<GraphDataset> dataset = LoadOgbDataset(*location, "");
  if (!dataset.ok()) Die(std::string(dataset.status().message()));
  AssignmentOptions assignment;
  assignment.num_parts = 2;
  absl::StatusOr<std::vector<int32_t>> part = AssignNodesToParts(*dataset, assignment);
  if (!part.ok()) Die(std::string(part.status().message()));
  WriteOptions write;
  write.part_method = "metis";
  absl::StatusOr<PartitionConfig> written =
      WritePartitions(*dataset, RelabelByPart(*part, 2), write, out);
  if (!written.ok()) Die(std::string(written.status().message()));
  absl::StatusOr<PartitionConfig> config =
      PartitionConfig::Load(out + "/" + ConfigFileName(dataset->name));
  if (!config.ok()) Die(std::string(config.status().message()));
  return *std::move(config);
}

}  // namespace

const std::string& ScratchDir() {
  static const std::string* const dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    const std::string parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    std::string made = MakeTempDir(parent);
    if (made.empty()) Die("cannot create a folder in " + parent);
    return RegisterForRemoval(std::move(made));
  }();
  return *dir;
}

const std::string& MemoryScratchDir() {
  static const std::string* const dir = [] {
    std::string made = MakeTempDir("/dev/shm");
    return made.empty() ? &ScratchDir() : RegisterForRemoval(std::move(made));
  }();
  return *dir;
}

void WriteFileOrDie(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) Die("cannot write " + path);
}

std::string DatasetsDir() {
  const char* env = std::getenv("DISTSAGE_DATASETS");
  return env != nullptr && *env != '\0' ? env : DISTSAGE_DEFAULT_DATASETS_DIR;
}

const PartitionConfig& CoraPartitions() {
  static const PartitionConfig* const config = new PartitionConfig(PartitionCora());
  return *config;
}

Selected SplitSelector(const uint8_t* data, size_t size) {
  if (size == 0) return {};
  return {data[0], absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)};
}

InProcessServer::InProcessServer(const std::vector<grpc::Service*>& services) {
  // Protobuf logs every request with a non-UTF-8 string field (graph_server
  // rate-limits these lines, server/protobuf_log.h); here they would only
  // slow the fuzzer down.
  // gRPC is kept initialised for the whole process (grpc_init without a
  // shutdown): otherwise the last server of an input going away tears down
  // gRPC's threads, and the next input starts them again.
  static const bool once = [] {
    google::protobuf::SetLogHandler(nullptr);
    grpc_init();
    return true;
  }();
  (void)once;
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);
  for (grpc::Service* service : services) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) Die("cannot start an in-process gRPC server");
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  arguments.SetMaxSendMessageSize(-1);
  stub_ = std::make_unique<grpc::GenericStub>(server_->InProcessChannel(arguments));
}

InProcessServer::~InProcessServer() {
  stub_.reset();
  server_->Shutdown();
  server_->Wait();
}

grpc::Status InProcessServer::Call(const std::string& method, absl::string_view request,
                                   grpc::ByteBuffer* response, const std::string& authorization) {
  grpc::Slice slice(request.data(), request.size());
  const grpc::ByteBuffer body(&slice, 1);
  grpc::ClientContext context;
  if (!authorization.empty()) context.AddMetadata(kAuthorizationKey, authorization);
  grpc::Status status;
  absl::Notification done;
  stub_->UnaryCall(&context, method, grpc::StubOptions(), &body, response,
                   [&](grpc::Status answer) {
                     status = std::move(answer);
                     done.Notify();
                   });
  done.WaitForNotification();
  return status;
}

void CheckAnswerStatus(const grpc::Status& status, absl::string_view method,
                       bool grpc_parse_failed) {
  if (grpc_parse_failed && status.error_code() == grpc::StatusCode::INTERNAL &&
      status.error_message().empty()) {
    return;
  }
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      if (status.error_code() != grpc::StatusCode::OK && status.error_message().empty()) {
        std::fprintf(stderr, "%.*s answered code %d with no message\n",
                     static_cast<int>(method.size()), method.data(), status.error_code());
        std::abort();
      }
      return;
    default:
      std::fprintf(stderr, "%.*s answered code %d: %s\n", static_cast<int>(method.size()),
                   method.data(), status.error_code(), status.error_message().c_str());
      std::abort();
  }
}

}  // namespace distsage::fuzz
