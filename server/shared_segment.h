// The memory a MemoryPartitionStore's arrays live in, and the file format
// that lets a graph server share that memory with trainers on its machine
// (DGL's shared-memory graph): one file in a tmpfs folder such as /dev/shm,
//
//   [0, 64)                 fixed header: magic "DSAGESHM", format version,
//                           JSON length, file length (SegmentFixedHeader)
//   [64, 64 + json)         JSON: the partition's meta record (graph, part,
//                           node range, edge count, features), the owning
//                           server and process, and every array's name,
//                           offset and length
//   [64 KiB, ...)           the arrays, each at a 4 KiB boundary, packed; the
//                           file a whole number of 2 MiB blocks (huge pages)
//
// Lifecycle: the server writes the file under a hidden temporary name and
// renames it into place when complete, so a reader never sees half a segment;
// it unlinks it on clean exit. Each server start publishes a new name (owner
// pid and start time in it), and removes the segments of earlier runs of the
// same graph/partition/server ID whose owner process is gone (kill -9). A
// reader's mapping stays valid after the file is unlinked: the memory is
// freed when the last mapping goes. Files are created with the mode the
// server is given (0600 by default: the server's user only), whatever the
// umask.
#ifndef DISTSAGE_SERVER_SHARED_SEGMENT_H_
#define DISTSAGE_SERVER_SHARED_SEGMENT_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/partition_format.h"

namespace distsage {

inline constexpr char kSegmentMagic[8] = {'D', 'S', 'A', 'G', 'E', 'S', 'H', 'M'};
inline constexpr uint32_t kSegmentFormatVersion = 1;
// Where the first array starts (the header's room), and where each array
// starts: packed at page boundaries, so that the file holds no gaps of note
// (collapsing it into huge pages backs every byte up to its end).
inline constexpr uint64_t kSegmentHeaderBytes = uint64_t{64} << 10;
inline constexpr uint64_t kSegmentArrayAlignment = 4096;
// A huge page: the file is a whole number of them, every mapping of it
// starts at such a boundary, so that each maps whole.
inline constexpr uint64_t kSegmentBlockBytes = uint64_t{2} << 20;

// The first bytes of a segment file, little-endian.
struct SegmentFixedHeader {
  char magic[8];
  uint32_t version;
  uint32_t json_bytes;  // The JSON right after this header.
  uint64_t file_bytes;  // The whole file, as written.
  uint64_t reserved[5];
};
static_assert(sizeof(SegmentFixedHeader) == 64);

// One array of a segment: bytes [offset, offset + bytes) of the file.
struct SegmentArray {
  std::string name;
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

// What the JSON part of the header says.
struct SegmentHeader {
  partition_format::PartitionMeta meta;
  int server_id = 0;
  int64_t owner_pid = 0;
  std::vector<SegmentArray> arrays;
};

// Places arrays of `sizes` bytes (name, bytes) after the header, each at a
// kSegmentArrayAlignment boundary; returns them and sets `*total_bytes` (a
// multiple of kSegmentBlockBytes).
std::vector<SegmentArray> LayOutSegment(absl::Span<const std::pair<std::string, uint64_t>> sizes,
                                        uint64_t* total_bytes);

// A block of memory: private anonymous memory, or a segment file this process
// creates and publishes (the owner), or someone else's segment mapped
// read-only. Unmapped on destruction; an owner also removes its file then.
class MappedRegion {
 public:
  // `bytes` of zeroed private memory, 2 MiB aligned and advised for
  // transparent huge pages (arrays read at random miss the TLB on 4 KiB pages).
  static absl::StatusOr<std::unique_ptr<MappedRegion>> Anonymous(size_t bytes);

  // Creates <dir>/.<name>.tmp (`file_mode`, not masked by the umask; `bytes`
  // long) and maps it read-write, with the bytes of `used` (offset, length)
  // allocated up front so that a full tmpfs fails here, not as a SIGBUS on a
  // later write. RESOURCE_EXHAUSTED when the folder's file system lacks the
  // space; FAILED_PRECONDITION naming the folder when it cannot be written.
  static absl::StatusOr<std::unique_ptr<MappedRegion>> CreateFile(
      const std::string& dir, const std::string& name, size_t bytes,
      absl::Span<const std::pair<uint64_t, uint64_t>> used, mode_t file_mode);

  // Maps the existing file `path` read-only, whole. Files are mapped at a
  // 2 MiB boundary, so that 2 MiB pages of theirs map whole.
  static absl::StatusOr<std::unique_ptr<MappedRegion>> MapReadOnly(const std::string& path);

  ~MappedRegion();
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;

  // CreateFile only: renames the complete file to <dir>/<name> and makes the
  // mapping read-only.
  absl::Status Publish();

  // Asks the kernel to move the file's pages into 2 MiB ones now
  // (MADV_COLLAPSE, Linux 6.1+: whatever the tmpfs's huge= option and the
  // system's shmem_enabled, so /dev/shm's 4 KiB pages too); every process
  // mapping the file at a 2 MiB boundary then maps them whole. The holes of
  // the file are filled in the process. Where the kernel does not (too old,
  // no transparent huge pages, no free 2 MiB block) the pages stay as they
  // are: the file works the same, its random reads miss the TLB more.
  void CollapseIntoHugePages();

  // How many of this mapping's bytes the kernel maps with 2 MiB pages, per
  // /proc/self/smaps (transparent huge pages of private memory, or of a
  // tmpfs mounted with huge=, or collapsed); 0 where it cannot tell.
  // Counts only pages this process has touched: for a segment the server
  // wrote whole, it says whether the segment is in huge pages.
  uint64_t HugePageBytes() const;

  char* data() const { return data_; }
  size_t size() const { return size_; }
  // The file ("" for anonymous memory and for an unpublished file).
  const std::string& path() const { return path_; }

 private:
  MappedRegion() = default;

  void* mapping_ = nullptr;  // What munmap gets.
  size_t mapping_bytes_ = 0;
  char* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;       // Published (or mapped) file.
  std::string temp_path_;  // CreateFile: the name before Publish.
  std::string final_path_;
  bool owner_ = false;  // Removes its file on destruction.
};

// Writes `header` (fixed part and JSON) into the first kSegmentHeaderBytes bytes
// of `region`, which holds the whole file.
absl::Status WriteSegmentHeader(const SegmentHeader& header, MappedRegion* region);

// Reads and checks the header of a mapped segment: magic, version, length,
// JSON, every array inside the file. Errors name `region->path()`.
absl::StatusOr<SegmentHeader> ReadSegmentHeader(const MappedRegion& region);

// The file name a server start publishes under:
// distsage-<graph>-part<P>-server<S>-<pid>-<start time, hex ns>.
std::string NewSegmentName(absl::string_view graph_name, int part, int server_id);

// Removes from `dir` the segments (and unfinished temporary files) of
// graph/part/server_id whose owner process no longer runs, or is this
// process (a reused pid). Returns the paths removed.
std::vector<std::string> RemoveStaleSegments(const std::string& dir, absl::string_view graph_name,
                                             int part, int server_id);

}  // namespace distsage

#endif  // DISTSAGE_SERVER_SHARED_SEGMENT_H_
