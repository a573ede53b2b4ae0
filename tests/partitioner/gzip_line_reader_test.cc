#include "partitioner/gzip_line_reader.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"
#include "tests/partitioner/tiny_dataset.h"

namespace distsage {
namespace {

std::vector<std::string> ReadAllLines(const std::string& path) {
  auto reader = GzipLineReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::vector<std::string> lines;
  absl::string_view line;
  while (reader->Next(&line)) lines.emplace_back(line);
  EXPECT_TRUE(reader->status().ok()) << reader->status();
  return lines;
}

TEST(GzipLineReaderTest, StreamsLinesAcrossChunkBoundaries) {
  testing::TempDir dir;
  // ~12 MB of text: several 4 MB reads, lines split across them, one line
  // longer than a chunk.
  std::string text;
  for (int i = 0; i < 1000000; ++i) absl::StrAppend(&text, i, ",", i * 7, "\n");
  const std::string long_line(5 << 20, 'x');
  text += long_line + "\n";
  testing::WriteGzipFile(dir.Join("big.csv.gz"), text);
  const std::vector<std::string> lines = ReadAllLines(dir.Join("big.csv.gz"));
  ASSERT_EQ(lines.size(), 1000001u);
  EXPECT_EQ(lines[0], "0,0");
  EXPECT_EQ(lines[999999], "999999,6999993");
  EXPECT_EQ(lines[1000000], long_line);
}

TEST(GzipLineReaderTest, HandlesCrlfAndMissingFinalNewline) {
  testing::TempDir dir;
  testing::WriteGzipFile(dir.Join("a.csv.gz"), "1,2\r\n3,4\n5,6");
  EXPECT_EQ(ReadAllLines(dir.Join("a.csv.gz")), (std::vector<std::string>{"1,2", "3,4", "5,6"}));
}

TEST(GzipLineReaderTest, ReportsLineNumbersForMessages) {
  testing::TempDir dir;
  testing::WriteGzipFile(dir.Join("a.csv.gz"), "x\ny\n");
  auto reader = GzipLineReader::Open(dir.Join("a.csv.gz"));
  ASSERT_TRUE(reader.ok());
  absl::string_view line;
  ASSERT_TRUE(reader->Next(&line));
  ASSERT_TRUE(reader->Next(&line));
  EXPECT_EQ(reader->Where(), dir.Join("a.csv.gz") + ":2: ");
}

TEST(GzipLineReaderTest, MissingFileIsNotFound) {
  auto reader = GzipLineReader::Open("/nonexistent/edge.csv.gz");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(reader.status().message().find("/nonexistent/edge.csv.gz"), std::string::npos);
}

TEST(GzipLineReaderTest, TruncatedGzipIsAnError) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 200000; ++i) absl::StrAppend(&text, i, "\n");
  testing::WriteGzipFile(dir.Join("full.csv.gz"), text);
  const std::string bytes = testing::ReadFile(dir.Join("full.csv.gz"));
  std::ofstream(dir.Join("cut.csv.gz"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  auto reader = GzipLineReader::Open(dir.Join("cut.csv.gz"));
  ASSERT_TRUE(reader.ok());
  absl::string_view line;
  while (reader->Next(&line)) {
  }
  EXPECT_FALSE(reader->status().ok());
  EXPECT_NE(reader->status().message().find("truncated"), std::string::npos);
}

}  // namespace
}  // namespace distsage
