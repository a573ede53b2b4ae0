#include "partitioner/gzip_line_reader.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace distsage {
namespace {

constexpr size_t kChunkBytes = 4 << 20;

}  // namespace

absl::StatusOr<GzipLineReader> GzipLineReader::Open(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open '", path, "': ", std::strerror(errno),
                                            " (check the path; the dataset may be incomplete)"));
  }
  gzbuffer(file, 1 << 20);
  return GzipLineReader(path, file);
}

GzipLineReader::GzipLineReader(std::string path, gzFile file)
    : path_(std::move(path)), file_(file), buffer_(kChunkBytes) {}

GzipLineReader::GzipLineReader(GzipLineReader&& other) noexcept
    : path_(std::move(other.path_)),
      file_(other.file_),
      buffer_(std::move(other.buffer_)),
      begin_(other.begin_),
      end_(other.end_),
      eof_(other.eof_),
      line_number_(other.line_number_),
      status_(std::move(other.status_)) {
  other.file_ = nullptr;
}

GzipLineReader::~GzipLineReader() {
  if (file_ != nullptr) gzclose(file_);
}

std::string GzipLineReader::Where() const { return absl::StrCat(path_, ":", line_number_, ": "); }

bool GzipLineReader::Refill() {
  if (eof_) return false;
  // Move the partial line to the front, growing the buffer for long lines.
  const size_t tail = end_ - begin_;
  if (tail > 0 && begin_ > 0) std::memmove(buffer_.data(), buffer_.data() + begin_, tail);
  begin_ = 0;
  end_ = tail;
  if (buffer_.size() - end_ < kChunkBytes / 2) buffer_.resize(buffer_.size() * 2);
  const int want = static_cast<int>(buffer_.size() - end_);
  const int got = gzread(file_, buffer_.data() + end_, want);
  int code = Z_OK;
  const char* message = got > 0 ? "" : gzerror(file_, &code);
  // A truncated stream ends with Z_BUF_ERROR ("unexpected end of file") and
  // a read of 0 bytes rather than -1.
  if (got < 0 || code != Z_OK) {
    status_ = absl::DataLossError(
        absl::StrCat(path_, ": cannot decompress after line ", line_number_, ": ", message,
                     " (the file is corrupt or truncated; re-download the dataset)"));
    eof_ = true;
    return false;
  }
  if (got == 0) eof_ = true;
  end_ += got;
  return got > 0;
}

bool GzipLineReader::Next(absl::string_view* line) {
  while (true) {
    const char* start = buffer_.data() + begin_;
    const void* newline = std::memchr(start, '\n', end_ - begin_);
    if (newline != nullptr) {
      size_t length = static_cast<const char*>(newline) - start;
      begin_ += length + 1;
      if (length > 0 && start[length - 1] == '\r') --length;
      *line = absl::string_view(start, length);
      ++line_number_;
      return true;
    }
    if (!Refill()) {
      if (!status_.ok() || begin_ == end_) return false;
      // Last line without a trailing newline.
      size_t length = end_ - begin_;
      const char* last = buffer_.data() + begin_;
      begin_ = end_;
      if (length > 0 && last[length - 1] == '\r') --length;
      *line = absl::string_view(last, length);
      ++line_number_;
      return true;
    }
  }
}

}  // namespace distsage
