#include "proto/proto_wire.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/buffer_pool.h"

namespace distsage::proto_wire {
namespace {

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

void DeleteArray(void* array) { delete[] static_cast<char*>(array); }

// Payloads from this size on come from a pool: a feature-pull answer is tens
// of megabytes, and fresh pages for every answer cost more in first-touch
// page faults than the gather that fills them.
constexpr size_t kPooledPayloadBytes = size_t{1} << 20;

// What the payload pool may keep idle: a server's memory then stays within
// this of its working set, whatever answers it has sent.
constexpr size_t kMaxIdlePayloads = 8;
constexpr size_t kMaxIdlePayloadBytes = size_t{256} << 20;

// Process-wide, never destroyed: slices may outlive any owner object.
BufferPool& PayloadPool() {
  static BufferPool* pool = new BufferPool(kMaxIdlePayloads, kMaxIdlePayloadBytes);
  return *pool;
}

void ReleaseToPool(void* buffer) { PayloadPool().Release(buffer); }

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed protobuf message: ", what));
}

}  // namespace

void MessageWriter::AddHeader(int field, WireType type) {
  AppendVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint32_t>(type), &pending_);
}

void MessageWriter::AddVarint(int field, uint64_t value) {
  AddHeader(field, WireType::kVarint);
  AppendVarint(value, &pending_);
}

void MessageWriter::AddBytes(int field, absl::string_view bytes) {
  AddHeader(field, WireType::kLengthDelimited);
  AppendVarint(bytes.size(), &pending_);
  pending_.append(bytes.data(), bytes.size());
}

char* MessageWriter::AddBytesInPlace(int field, size_t size) {
  if (size >= kPooledPayloadBytes) {
    char* data = static_cast<char*>(PayloadPool().Acquire(size));
    AddSlice(field, grpc::Slice(data, size, &ReleaseToPool));
    return data;
  }
  // Our own allocation, not grpc_slice_malloc: that one inlines small
  // payloads into the slice struct itself, which moves.
  char* data = new char[std::max<size_t>(size, 1)];
  AddSlice(field, grpc::Slice(data, size, &DeleteArray));
  return data;
}

void MessageWriter::AddSlice(int field, grpc::Slice payload) {
  AddHeader(field, WireType::kLengthDelimited);
  AppendVarint(payload.size(), &pending_);
  if (payload.size() == 0) return;
  FlushPending();
  slices_.push_back(std::move(payload));
}

void MessageWriter::FlushPending() {
  if (pending_.empty()) return;
  slices_.emplace_back(pending_);
  pending_.clear();
}

grpc::ByteBuffer MessageWriter::Finish() {
  FlushPending();
  grpc::ByteBuffer buffer(slices_.data(), slices_.size());
  slices_.clear();
  return buffer;
}

MessageReader::MessageReader(const grpc::ByteBuffer& buffer) {
  // Dump takes references to the slices; it fails only on a null buffer,
  // which reads as an empty message.
  if (buffer.Valid() && buffer.Dump(&slices_).ok()) {
    for (const grpc::Slice& slice : slices_) total_size_ += slice.size();
  }
}

bool MessageReader::ReadByte(uint8_t* byte) {
  if (Remaining() == 0) return false;
  while (slice_offset_ == slices_[slice_index_].size()) {
    ++slice_index_;
    slice_offset_ = 0;
  }
  *byte = slices_[slice_index_].begin()[slice_offset_++];
  ++consumed_;
  return true;
}

absl::Status MessageReader::ReadVarint(uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t byte = 0;
    if (!ReadByte(&byte)) return Malformed("truncated varint");
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return absl::OkStatus();
  }
  return Malformed("varint longer than 10 bytes");
}

void MessageReader::Copy(char* out, size_t size) {
  consumed_ += size;
  while (size > 0) {
    const grpc::Slice& slice = slices_[slice_index_];
    const size_t chunk = std::min(size, slice.size() - slice_offset_);
    std::memcpy(out, slice.begin() + slice_offset_, chunk);
    out += chunk;
    size -= chunk;
    slice_offset_ += chunk;
    if (slice_offset_ == slice.size() && size > 0) {
      ++slice_index_;
      slice_offset_ = 0;
    }
  }
}

void MessageReader::Skip(size_t size) {
  consumed_ += size;
  while (size > 0) {
    const size_t chunk = std::min(size, slices_[slice_index_].size() - slice_offset_);
    size -= chunk;
    slice_offset_ += chunk;
    if (size > 0) {
      ++slice_index_;
      slice_offset_ = 0;
    }
  }
}

absl::StatusOr<bool> MessageReader::Next() {
  Skip(payload_left_);
  payload_left_ = 0;
  if (Remaining() == 0) return false;
  uint64_t tag = 0;
  if (absl::Status status = ReadVarint(&tag); !status.ok()) return status;
  field_ = static_cast<int>(tag >> 3);
  if (field_ == 0 || (tag >> 3) > 0x1fffffff) return Malformed("invalid field number");
  wire_type_ = static_cast<WireType>(tag & 7);
  switch (wire_type_) {
    case WireType::kVarint:
      if (absl::Status status = ReadVarint(&value_); !status.ok()) return status;
      return true;
    case WireType::kFixed64:
    case WireType::kFixed32: {
      const size_t size = wire_type_ == WireType::kFixed64 ? 8 : 4;
      if (Remaining() < size) return Malformed("truncated fixed-width field");
      value_ = 0;
      Copy(reinterpret_cast<char*>(&value_), size);  // Little-endian host.
      return true;
    }
    case WireType::kLengthDelimited:
      if (absl::Status status = ReadVarint(&value_); !status.ok()) return status;
      if (value_ > Remaining()) {
        return Malformed(absl::StrCat("field ", field_, " claims ", value_, " bytes, ", Remaining(),
                                      " are left"));
      }
      payload_left_ = static_cast<size_t>(value_);
      return true;
  }
  return Malformed(absl::StrCat("field ", field_, " has unsupported wire type ", tag & 7));
}

absl::Status MessageReader::ReadPayload(void* out, size_t size) {
  if (wire_type_ != WireType::kLengthDelimited || size > payload_left_) {
    return Malformed(absl::StrCat("field ", field_, " has ", payload_left_, " payload bytes left, ",
                                  size, " were asked for"));
  }
  Copy(static_cast<char*>(out), size);
  payload_left_ -= size;
  return absl::OkStatus();
}

absl::StatusOr<std::string> MessageReader::ReadPayloadString() {
  std::string payload(payload_left_, '\0');
  if (absl::Status status = ReadPayload(payload.data(), payload.size()); !status.ok()) {
    return status;
  }
  return payload;
}

}  // namespace distsage::proto_wire
