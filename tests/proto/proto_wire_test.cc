// proto_wire against protobuf itself: what MessageWriter frames parses as the
// generated message, and MessageReader reads what protobuf serialises, however
// the bytes are cut into slices.
#include "proto/proto_wire.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "proto/distsage/graph.pb.h"

namespace distsage::proto_wire {
namespace {

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

// `bytes` as a ByteBuffer of slices of at most `slice_size` bytes.
grpc::ByteBuffer Sliced(const std::string& bytes, size_t slice_size) {
  std::vector<grpc::Slice> slices;
  for (size_t begin = 0; begin < bytes.size(); begin += slice_size) {
    slices.emplace_back(bytes.data() + begin, std::min(slice_size, bytes.size() - begin));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::string Bytes(const void* data, size_t size) {
  return std::string(static_cast<const char*>(data), size);
}

TEST(MessageWriterTest, FramesWhatProtobufParses) {
  std::vector<float> rows(3 * 5);
  std::iota(rows.begin(), rows.end(), 0.5f);
  MessageWriter writer;
  writer.AddVarint(PullFeaturesResponse::kDimFieldNumber, 5);
  char* in_place =
      writer.AddBytesInPlace(PullFeaturesResponse::kRowsFieldNumber, rows.size() * sizeof(float));
  std::memcpy(in_place, rows.data(), rows.size() * sizeof(float));
  PullFeaturesResponse features;
  ASSERT_TRUE(features.ParseFromString(Flatten(writer.Finish())));
  EXPECT_EQ(features.dim(), 5);
  EXPECT_EQ(features.rows(), Bytes(rows.data(), rows.size() * sizeof(float)));

  // Owned payloads move in; a negative int32 is sign-extended; empty fields
  // are allowed.
  const std::vector<int32_t> counts = {2, 0, 1};
  const std::vector<int64_t> src = {7, -8, int64_t{1} << 40};
  writer.AddOwnedBytes(SampleNeighborsResponse::kCountsFieldNumber, counts);
  writer.AddOwnedBytes(SampleNeighborsResponse::kSrcFieldNumber, src);
  SampleNeighborsResponse sampled;
  ASSERT_TRUE(sampled.ParseFromString(Flatten(writer.Finish())));
  EXPECT_EQ(sampled.counts(), Bytes(counts.data(), counts.size() * sizeof(int32_t)));
  EXPECT_EQ(sampled.src(), Bytes(src.data(), src.size() * sizeof(int64_t)));

  writer.AddBytes(SampleNeighborsRequest::kGraphNameFieldNumber, "products");
  writer.AddOwnedBytes(SampleNeighborsRequest::kSeedsFieldNumber, std::vector<int64_t>());
  writer.AddVarint(SampleNeighborsRequest::kFanoutFieldNumber, static_cast<uint64_t>(int64_t{-1}));
  writer.AddVarint(SampleNeighborsRequest::kReplaceFieldNumber, 1);
  writer.AddVarint(SampleNeighborsRequest::kRngSeedFieldNumber, ~uint64_t{0});
  SampleNeighborsRequest request;
  ASSERT_TRUE(request.ParseFromString(Flatten(writer.Finish())));
  EXPECT_EQ(request.graph_name(), "products");
  EXPECT_TRUE(request.seeds().empty());
  EXPECT_EQ(request.fanout(), -1);
  EXPECT_TRUE(request.replace());
  EXPECT_EQ(request.rng_seed(), ~uint64_t{0});
}

// Large payloads (a feature-pull answer) come from a pool: the buffer of an
// answer that gRPC has released serves the next one, its pages already
// mapped; the bytes still parse as protobuf.
TEST(MessageWriterTest, LargePayloadBuffersAreReused) {
  const size_t size = size_t{3} << 20;
  const char* first = nullptr;
  for (int round = 0; round < 2; ++round) {
    MessageWriter writer;
    writer.AddVarint(1, 100);
    char* rows = writer.AddBytesInPlace(2, size);
    if (round == 0) first = rows;
    EXPECT_EQ(rows, first) << "round " << round;
    for (size_t i = 0; i < size; ++i) rows[i] = static_cast<char>(i * 7 + round);
    const grpc::ByteBuffer buffer = writer.Finish();
    PullFeaturesResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(Flatten(buffer)));
    ASSERT_EQ(parsed.rows().size(), size);
    EXPECT_EQ(parsed.rows()[size - 1], static_cast<char>((size - 1) * 7 + round));
  }
}

TEST(MessageReaderTest, ReadsProtobufAcrossAnySliceBoundaries) {
  std::vector<float> rows(4 * 3);
  std::iota(rows.begin(), rows.end(), 1.0f);
  PullFeaturesResponse message;
  message.set_dim(3);
  message.set_rows(Bytes(rows.data(), rows.size() * sizeof(float)));
  const std::string bytes = message.SerializeAsString();
  for (size_t slice_size = 1; slice_size <= bytes.size(); ++slice_size) {
    MessageReader reader(Sliced(bytes, slice_size));
    int64_t dim = 0;
    std::vector<float> got(rows.size(), 0);
    while (true) {
      absl::StatusOr<bool> more = reader.Next();
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) break;
      if (reader.field() == PullFeaturesResponse::kDimFieldNumber) {
        ASSERT_EQ(reader.wire_type(), WireType::kVarint);
        dim = static_cast<int64_t>(reader.value());
      } else if (reader.field() == PullFeaturesResponse::kRowsFieldNumber) {
        ASSERT_EQ(reader.value(), rows.size() * sizeof(float));
        // Row by row, last row first, as a scatter would.
        for (size_t row = 0; row < 4; ++row) {
          ASSERT_TRUE(reader.ReadPayload(&got[(3 - row) * 3], 3 * sizeof(float)).ok());
        }
        EXPECT_FALSE(reader.ReadPayload(got.data(), 1).ok()) << "past the payload";
      }
    }
    EXPECT_EQ(dim, 3) << "slice size " << slice_size;
    for (size_t row = 0; row < 4; ++row) {
      EXPECT_TRUE(std::equal(got.begin() + (3 - row) * 3, got.begin() + (4 - row) * 3,
                             rows.begin() + row * 3))
          << "slice size " << slice_size << " row " << row;
    }
  }
}

TEST(MessageReaderTest, SkipsUnreadPayloadsAndUnknownFields) {
  // GraphInfo has varint, string and repeated fields; read only two of them.
  GraphInfo info;
  info.set_graph_name("g");
  info.set_num_nodes(int64_t{1} << 35);
  info.add_range_ends(10);
  info.add_range_ends(20);
  info.add_node_features()->set_name("feat");
  info.set_part_id(3);
  std::string bytes = info.SerializeAsString();
  // Unknown fields of the other wire types: 100 fixed64, 101 fixed32.
  bytes += Bytes(
      "\xa1\x06"
      "12345678",
      10);
  bytes += Bytes(
      "\xad\x06"
      "1234",
      6);
  MessageReader reader(Sliced(bytes, 3));
  int64_t num_nodes = 0;
  int part_id = -1;
  int fields = 0;
  while (true) {
    absl::StatusOr<bool> more = reader.Next();
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    ++fields;
    if (reader.field() == GraphInfo::kNumNodesFieldNumber) num_nodes = reader.value();
    if (reader.field() == GraphInfo::kPartIdFieldNumber) part_id = reader.value();
    if (reader.field() == GraphInfo::kGraphNameFieldNumber) {
      absl::StatusOr<std::string> name = reader.ReadPayloadString();
      ASSERT_TRUE(name.ok());
      EXPECT_EQ(*name, "g");
    }
  }
  EXPECT_EQ(num_nodes, int64_t{1} << 35);
  EXPECT_EQ(part_id, 3);
  EXPECT_EQ(fields, 7);  // name, num_nodes, packed range_ends, feature, part_id, 2 unknown.
}

TEST(MessageReaderTest, EmptyMessageHasNoFields) {
  MessageReader reader{grpc::ByteBuffer()};
  absl::StatusOr<bool> more = reader.Next();
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

TEST(MessageReaderTest, RejectsMalformedMessages) {
  const std::string cases[] = {
      Bytes("\x12\x05"
            "abc",
            5),                                                       // Length past the end.
      Bytes("\x08\x80", 2),                                           // Truncated varint.
      Bytes("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12),  // Varint too long.
      Bytes("\x0b", 1),                                               // Group (wire type 3).
      Bytes("\x00\x01", 2),                                           // Field number 0.
      Bytes("\x09"
            "1234",
            5),  // Truncated fixed64.
  };
  for (const std::string& bytes : cases) {
    MessageReader reader(Sliced(bytes, 1));
    absl::StatusOr<bool> more = reader.Next();
    ASSERT_FALSE(more.ok()) << "accepted " << testing::PrintToString(bytes);
    EXPECT_EQ(more.status().code(), absl::StatusCode::kDataLoss);
  }
  // Asking for more payload than the field has.
  MessageReader reader(Sliced(Bytes("\x12\x02"
                                    "ab",
                                    4),
                              2));
  ASSERT_TRUE(*reader.Next());
  char out[3];
  EXPECT_EQ(reader.ReadPayload(out, 3).code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(reader.ReadPayload(out, 2).ok());
}

}  // namespace
}  // namespace distsage::proto_wire
