// Hand-framed protobuf messages as grpc::ByteBuffer slices, for the bulk RPCs
// of GraphService: a large packed `bytes` field (feature rows, sampled IDs)
// travels in its own slice, written in place or handed over by the code that
// produced it, and is read by copying straight out of the received slices.
// Protobuf's serialise and parse copies of the payload disappear; only the
// few bytes of field headers (tag + varint length) are written by hand.
//
// The bytes are exactly the protobuf encoding of the message (proto/distsage/graph.proto
// is unchanged on the wire), so generated stubs, grpcurl and reflection still
// understand them. Only the wire types protobuf uses for scalars and `bytes`
// are handled (no groups), and only top-level fields.
#ifndef DISTSAGE_PROTO_PROTO_WIRE_H_
#define DISTSAGE_PROTO_PROTO_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace distsage::proto_wire {

// Protobuf wire types (the low 3 bits of a field tag).
enum class WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Builds a message field by field, in the order the calls are made.
class MessageWriter {
 public:
  // A varint field (int32, int64, uint64, bool, enum). Proto3 omits zero
  // values; writing them is still valid and parses to the same message.
  void AddVarint(int field, uint64_t value);
  // A length-delimited field (`bytes`, `string`) holding a copy of `bytes`;
  // for small fields.
  void AddBytes(int field, absl::string_view bytes);
  // A length-delimited field of `size` bytes that the caller fills in through
  // the returned pointer (e.g. a gather writes rows into it). The pointer is
  // aligned for any scalar type and valid until the ByteBuffer that Finish()
  // returns is destroyed.
  char* AddBytesInPlace(int field, size_t size);
  // A length-delimited field holding the bytes of `values`, which move into
  // the message: no copy.
  template <typename T>
  void AddOwnedBytes(int field, std::vector<T> values) {
    auto* owned = new std::vector<T>(std::move(values));
    AddSlice(field, grpc::Slice(owned->data(), owned->size() * sizeof(T), &DeleteVector<T>, owned));
  }

  // The message. The writer is left empty.
  grpc::ByteBuffer Finish();

 private:
  template <typename T>
  static void DeleteVector(void* vector) {
    delete static_cast<std::vector<T>*>(vector);
  }
  void AddHeader(int field, WireType type);
  void AddSlice(int field, grpc::Slice payload);
  // Moves pending_ into a slice of its own.
  void FlushPending();

  std::vector<grpc::Slice> slices_;
  std::string pending_;  // Headers and small fields not yet in slices_.
};

// Reads a message's top-level fields straight from the slices of a
// ByteBuffer (no copy of the message). Usage:
//   MessageReader reader(buffer);
//   while (true) {
//     absl::StatusOr<bool> more = reader.Next();
//     if (!more.ok()) return more.status();
//     if (!*more) break;
//     if (reader.field() == 2) ... reader.ReadPayload(out, n) ...
//   }
// Payload not read before the next Next() is skipped, as are unknown fields.
class MessageReader {
 public:
  // `buffer` may be destroyed afterwards (the reader holds its slices).
  explicit MessageReader(const grpc::ByteBuffer& buffer);

  // Advances to the next field: true when there is one, false at the end of
  // the message, DATA_LOSS when the message is malformed.
  absl::StatusOr<bool> Next();

  // The current field.
  int field() const { return field_; }
  WireType wire_type() const { return wire_type_; }
  // Its value (varint fields) or payload length (length-delimited fields).
  uint64_t value() const { return value_; }

  // Copies the next `size` bytes of the current length-delimited field's
  // payload to `out`; DATA_LOSS when fewer than `size` are left.
  absl::Status ReadPayload(void* out, size_t size);
  // The rest of the current payload as a string (for small fields).
  absl::StatusOr<std::string> ReadPayloadString();

 private:
  // Bytes of the message not yet consumed.
  size_t Remaining() const { return total_size_ - consumed_; }
  bool ReadByte(uint8_t* byte);
  absl::Status ReadVarint(uint64_t* value);
  void Copy(char* out, size_t size);
  void Skip(size_t size);

  std::vector<grpc::Slice> slices_;
  size_t slice_index_ = 0;
  size_t slice_offset_ = 0;
  size_t total_size_ = 0;
  size_t consumed_ = 0;

  int field_ = 0;
  WireType wire_type_ = WireType::kVarint;
  uint64_t value_ = 0;
  size_t payload_left_ = 0;  // Unread payload of the current field.
};

// The packed little-endian bytes of `values` (the host is little-endian), a
// view for MessageWriter::AddBytes.
template <typename T>
absl::string_view PackedBytes(absl::Span<const T> values) {
  return absl::string_view(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// Replaces `*values` with the current field's payload, packed LE T;
// DATA_LOSS when it is not a whole number of T.
template <typename T>
absl::Status ReadPackedArray(MessageReader* reader, std::vector<T>* values) {
  const uint64_t bytes = reader->value();
  if (reader->wire_type() != WireType::kLengthDelimited || bytes % sizeof(T) != 0) {
    return absl::DataLossError(
        absl::StrCat("field ", reader->field(), " is not a list of ", sizeof(T), "-byte values"));
  }
  values->resize(bytes / sizeof(T));
  return reader->ReadPayload(values->data(), bytes);
}

}  // namespace distsage::proto_wire

#endif  // DISTSAGE_PROTO_PROTO_WIRE_H_
