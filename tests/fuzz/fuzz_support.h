// What the fuzz targets of tests/fuzz/ share: a scratch folder, files written
// from fuzz input, Cora partitioned by the real partitioner, and an
// in-process gRPC server that hands a request's bytes to the real service
// code exactly as a socket would (gRPC's own dispatch, the raw callback
// methods, the authorizer), without a port.
#ifndef DISTSAGE_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define DISTSAGE_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/partition_config.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace distsage::fuzz {

// A folder of this process under $TMPDIR (default /tmp), removed at exit.
const std::string& ScratchDir();
// The same in /dev/shm when it is a writable tmpfs (fsync there costs
// nothing, so a target that saves on every input stays fast), else ScratchDir().
const std::string& MemoryScratchDir();

// Writes `bytes` to `path`, replacing it; aborts on an I/O error (the fuzzer's
// own fault, not a finding).
void WriteFileOrDie(const std::string& path, absl::string_view bytes);

// The bundled datasets (env DISTSAGE_DATASETS overrides the source tree's).
std::string DatasetsDir();

// datasets/cora partitioned into 2 METIS parts by the partitioner's library
// (the code partition_graph runs), written once into the scratch folder; the
// config as PartitionConfig::Load read it back.
const PartitionConfig& CoraPartitions();

// Splits fuzz input into a selector byte and the rest (empty input: 0, "").
struct Selected {
  uint8_t selector = 0;
  absl::string_view rest;
};
Selected SplitSelector(const uint8_t* data, size_t size);

// A gRPC server in this process with no port: calls reach it through its
// in-process channel. The services are not owned and must outlive it.
class InProcessServer {
 public:
  explicit InProcessServer(const std::vector<grpc::Service*>& services);
  ~InProcessServer();
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  // Calls `method` (e.g. "/distsage.GraphService/SampleNeighbors") with
  // `request` as the serialised request message, and `authorization` (when
  // not empty) as the call's "authorization" metadata; waits for the answer.
  grpc::Status Call(const std::string& method, absl::string_view request,
                    grpc::ByteBuffer* response, const std::string& authorization = "");

 private:
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

// Aborts (a finding) when `status` is not one a service may answer to a
// client's bad request: OK or one of the client-error codes our services
// use, with a message. UNKNOWN or INTERNAL mean an exception or a bug escaped
// a handler. `grpc_parse_failed`: the method is a plain (not raw) one and the
// body does not parse as its request, which gRPC itself answers with
// INTERNAL and no message before our code runs; that answer is accepted.
void CheckAnswerStatus(const grpc::Status& status, absl::string_view method,
                       bool grpc_parse_failed = false);

}  // namespace distsage::fuzz

#endif  // DISTSAGE_TESTS_FUZZ_FUZZ_SUPPORT_H_
