// Streams the lines of a gzip-compressed (or plain) text file in large
// chunks, without loading the file into memory. The OGB raw files are
// `.csv.gz`; ogbn-products' node-feat.csv.gz inflates to about 1 GB.
#ifndef DISTSAGE_PARTITIONER_GZIP_LINE_READER_H_
#define DISTSAGE_PARTITIONER_GZIP_LINE_READER_H_

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace distsage {

class GzipLineReader {
 public:
  // Opens `path`; fails with NotFound when it is missing or unreadable.
  static absl::StatusOr<GzipLineReader> Open(const std::string& path);
  GzipLineReader(GzipLineReader&& other) noexcept;
  GzipLineReader& operator=(GzipLineReader&&) = delete;
  GzipLineReader(const GzipLineReader&) = delete;
  ~GzipLineReader();

  // Sets `*line` to the next line without its line end ("\n" or "\r\n") and
  // returns true, or returns false at end of file. The view stays valid until
  // the next call. Check status() after it returns false.
  bool Next(absl::string_view* line);
  // Non-OK when reading stopped on a decompression or I/O error.
  const absl::Status& status() const { return status_; }
  // 1-based number of the line last returned by Next().
  int64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }
  // "path:line: " prefix for error messages about the current line.
  std::string Where() const;

 private:
  GzipLineReader(std::string path, gzFile file);
  // Reads the next chunk behind the unconsumed tail of the buffer.
  bool Refill();

  std::string path_;
  gzFile file_ = nullptr;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // First unconsumed byte.
  size_t end_ = 0;    // One past the last valid byte.
  bool eof_ = false;
  int64_t line_number_ = 0;
  absl::Status status_;
};

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_GZIP_LINE_READER_H_
