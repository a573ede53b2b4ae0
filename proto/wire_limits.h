// Limits of the wire contract, shared by every server and client of the
// services in proto/distsage/ (they are part of the contract, not of either
// side's implementation).
#ifndef DISTSAGE_PROTO_WIRE_LIMITS_H_
#define DISTSAGE_PROTO_WIRE_LIMITS_H_

#include <cstdint>

namespace distsage {

// Largest message (request or answer) servers and clients accept: 1 GiB,
// e.g. 2.6M rows of 100 float32 or ~134M int64 IDs. Protobuf's own hard
// limit is 2 GiB.
inline constexpr int64_t kMaxMessageBytes = int64_t{1} << 30;

}  // namespace distsage

#endif  // DISTSAGE_PROTO_WIRE_LIMITS_H_
