// KV tensor specs <-> their wire message (proto/distsage/kvstore.proto),
// shared by KVStoreService and the KV client.
#ifndef DISTSAGE_SERVER_KV_SPEC_PROTO_H_
#define DISTSAGE_SERVER_KV_SPEC_PROTO_H_

#include "absl/status/statusor.h"
#include "proto/distsage/kvstore.pb.h"
#include "server/kv_table.h"

namespace distsage {

// INVALID_ARGUMENT when the message is not a valid spec (CheckSpec, ParseOptimizer).
absl::StatusOr<KVTensorSpec> SpecFromProto(const TensorSpec& proto);
TensorSpec SpecToProto(const KVTensorSpec& spec);

}  // namespace distsage

#endif  // DISTSAGE_SERVER_KV_SPEC_PROTO_H_
