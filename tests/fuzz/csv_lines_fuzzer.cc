// Fuzzes the partitioner's byte-level readers: the input is written to a
// file and streamed by GzipLineReader (plain text, or gzip when the input
// starts with gzip's magic bytes), and every line is split into CSV fields
// and parsed as integers, floats and labels (partitioner/csv_numbers.h), as
// the OGB loader does. Beyond the sanitizers, it checks the reader's
// contract: lines hold no '\n', numbering counts up from 1, and a plain input
// is returned exactly (lines joined by '\n' rebuild it, '\r' before a line
// end and one final '\n' aside).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "partitioner/csv_numbers.h"
#include "partitioner/gzip_line_reader.h"
#include "tests/fuzz/fuzz_support.h"

namespace distsage::fuzz {
namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "GzipLineReader: %s\n", what);
  std::abort();
}

// The input as the reader should return it: lines without their line ends.
std::string ExpectedJoined(absl::string_view input) {
  std::string joined;
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find('\n', start);
    const bool last = end == absl::string_view::npos;
    if (last) end = input.size();
    absl::string_view line = input.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    joined.append(line.data(), line.size());
    joined.push_back('\n');
    start = end + 1;
  }
  return joined;
}

}  // namespace
}  // namespace distsage::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace distsage;
  using namespace distsage::fuzz;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  static const std::string* const path = new std::string(ScratchDir() + "/lines.csv");
  WriteFileOrDie(*path, input);
  absl::StatusOr<GzipLineReader> reader = GzipLineReader::Open(*path);
  if (!reader.ok()) Fail("cannot open a file it was just given");
  std::string joined;
  absl::string_view line;
  int64_t lines = 0;
  while (reader->Next(&line)) {
    if (reader->line_number() != ++lines) Fail("line numbers do not count up from 1");
    if (line.find('\n') != absl::string_view::npos) Fail("a line holds a '\\n'");
    joined.append(line.data(), line.size());
    joined.push_back('\n');
    int64_t integer = 0;
    float real = 0;
    ForEachCsvField(line, [&](absl::string_view field) {
      ParseInt64(field, &integer);
      ParseFloat(field, &real);
      ParseLabel(field, &integer);
      return true;
    });
  }
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (!gzip && !reader->status().ok()) Fail("a plain file failed to read");
  if (!gzip && joined != ExpectedJoined(input)) Fail("the lines do not rebuild the input");
  return 0;
}
