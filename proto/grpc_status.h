// absl::Status <-> grpc::Status, keeping the code and the message. Both sides
// of every service use these, so an error crosses the wire unchanged.
#ifndef DISTSAGE_PROTO_GRPC_STATUS_H_
#define DISTSAGE_PROTO_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace distsage {

// The same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The same code; the message prefixed with "`context`: ".
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view context);

}  // namespace distsage

#endif  // DISTSAGE_PROTO_GRPC_STATUS_H_
