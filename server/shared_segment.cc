#include "server/shared_segment.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

// Linux 6.1's value, for C libraries older than the kernel.
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

namespace distsage {
namespace {

constexpr size_t kFixedHeaderBytes = sizeof(SegmentFixedHeader);

uint64_t AlignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

std::string ErrnoText() { return std::strerror(errno); }

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

// The graph name as it may appear in a file name: other characters become '_'.
std::string FileNameSafe(absl::string_view text) {
  std::string safe(text);
  for (char& c : safe) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.';
    if (!keep) c = '_';
  }
  return safe;
}

std::string SegmentNamePrefix(absl::string_view graph_name, int part, int server_id) {
  return absl::StrCat("distsage-", FileNameSafe(graph_name), "-part", part, "-server", server_id,
                      "-");
}

constexpr absl::string_view kTempPrefix = ".";
constexpr absl::string_view kTempSuffix = ".tmp";

bool ProcessRuns(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

// Maps `bytes` of file `fd` (shared, `prot`) at a kSegmentBlockBytes boundary:
// only there can the kernel map a 2 MiB page of the file with one page-table
// entry, and a tmpfs aligns a mapping by itself only where its mount gives
// huge pages. MAP_FAILED on failure, with errno set.
void* MapFileAligned(int fd, size_t bytes, int prot) {
  const size_t reserved = bytes + kSegmentBlockBytes;
  void* area =
      mmap(nullptr, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED) return MAP_FAILED;
  const uintptr_t area_begin = reinterpret_cast<uintptr_t>(area);
  const uintptr_t begin = AlignUp(area_begin, kSegmentBlockBytes);
  void* mapping = mmap(reinterpret_cast<void*>(begin), bytes, prot, MAP_SHARED | MAP_FIXED, fd, 0);
  if (mapping == MAP_FAILED) {
    const int error = errno;
    munmap(area, reserved);
    errno = error;
    return MAP_FAILED;
  }
  // Give back the reservation on either side.
  const uintptr_t end = begin + AlignUp(bytes, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  if (begin > area_begin) munmap(area, begin - area_begin);
  if (area_begin + reserved > end)
    munmap(reinterpret_cast<void*>(end), area_begin + reserved - end);
  return mapping;
}

}  // namespace

std::vector<SegmentArray> LayOutSegment(absl::Span<const std::pair<std::string, uint64_t>> sizes,
                                        uint64_t* total_bytes) {
  std::vector<SegmentArray> arrays;
  uint64_t offset = kSegmentHeaderBytes;
  for (const auto& [name, bytes] : sizes) {
    arrays.push_back({name, offset, bytes});
    offset = AlignUp(offset + bytes, kSegmentArrayAlignment);
  }
  // Whole blocks: a huge page cannot reach past the end of a file.
  *total_bytes = AlignUp(offset, kSegmentBlockBytes);
  return arrays;
}

absl::StatusOr<std::unique_ptr<MappedRegion>> MappedRegion::Anonymous(size_t bytes) {
  // Over-allocate by one huge page and trim, so that the data starts at a
  // 2 MiB boundary and the kernel can back it with huge pages.
  const size_t padded = bytes + kSegmentBlockBytes;
  void* mapping = mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", bytes, " bytes for the partition: ", ErrnoText()));
  }
  std::unique_ptr<MappedRegion> region(new MappedRegion());
  region->mapping_ = mapping;
  region->mapping_bytes_ = padded;
  region->data_ =
      reinterpret_cast<char*>(AlignUp(reinterpret_cast<uintptr_t>(mapping), kSegmentBlockBytes));
  region->size_ = bytes;
  // Advice only: without huge pages the store works the same, slower.
  madvise(region->data_, bytes, MADV_HUGEPAGE);
  return region;
}

absl::StatusOr<std::unique_ptr<MappedRegion>> MappedRegion::CreateFile(
    const std::string& dir, const std::string& name, size_t bytes,
    absl::Span<const std::pair<uint64_t, uint64_t>> used, mode_t file_mode) {
  struct stat dir_stat;
  if (stat(dir.c_str(), &dir_stat) != 0 || !S_ISDIR(dir_stat.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "shared-memory folder '", dir, "' is not a folder (", ErrnoText(),
        "); give --shm_dir an existing tmpfs folder such as /dev/shm, or --shm_dir= to keep the "
        "partition in private memory"));
  }
  uint64_t used_bytes = 0;
  for (const auto& [offset, length] : used) used_bytes += length;
  struct statvfs fs;
  if (statvfs(dir.c_str(), &fs) == 0) {
    const uint64_t available = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (available < used_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("shared-memory folder '", dir, "' has ", available >> 20,
                       " MiB free, the partition needs ", used_bytes >> 20,
                       " MiB; enlarge that tmpfs (e.g. mount -o remount,size=... ", dir,
                       ") or give --shm_dir a larger one"));
    }
  }

  std::unique_ptr<MappedRegion> region(new MappedRegion());
  region->temp_path_ = absl::StrCat(dir, "/", kTempPrefix, name, kTempSuffix);
  region->final_path_ = absl::StrCat(dir, "/", name);
  const int fd =
      open(region->temp_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create shared-memory segment '", region->temp_path_, "': ", ErrnoText(),
        "; check the permissions of --shm_dir, or pass --shm_dir= to "
        "keep the partition in private memory"));
  }
  FdCloser closer(fd);
  region->owner_ = true;  // From here on the destructor removes the file.
  // open() applied the umask (a systemd unit's UMask=0077 would hide a 0644
  // segment from other users); fchmod does not.
  if (fchmod(fd, file_mode) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "cannot set mode %04o on '%s': %s", file_mode, region->temp_path_, ErrnoText()));
  }
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    return absl::ResourceExhaustedError(absl::StrCat("cannot size shared-memory segment '",
                                                     region->temp_path_, "' to ", bytes,
                                                     " bytes: ", ErrnoText()));
  }
  for (const auto& [offset, length] : used) {
    if (length == 0) continue;
    const int error = posix_fallocate(fd, static_cast<off_t>(offset), static_cast<off_t>(length));
    if (error != 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot allocate ", used_bytes >> 20, " MiB in shared-memory folder '", dir,
          "': ", std::strerror(error), "; free space there or give --shm_dir a larger tmpfs"));
    }
  }
  void* mapping = MapFileAligned(fd, bytes, PROT_READ | PROT_WRITE);
  if (mapping == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot map shared-memory segment '", region->temp_path_, "': ", ErrnoText()));
  }
  region->mapping_ = mapping;
  region->mapping_bytes_ = bytes;
  region->data_ = static_cast<char*>(mapping);
  region->size_ = bytes;
  // Huge pages where the tmpfs allows them (mounted huge=advise or within_size).
  madvise(region->data_, bytes, MADV_HUGEPAGE);
  // Elsewhere (/dev/shm), 2 MiB pages now, while the pages are still empty:
  // the kernel then moves zeros rather than the partition, and the writes
  // fault once per 2 MiB instead of once per 4 KiB.
  region->CollapseIntoHugePages();
  return region;
}

absl::StatusOr<std::unique_ptr<MappedRegion>> MappedRegion::MapReadOnly(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot open shared-memory segment '", path, "': ", ErrnoText()));
  }
  FdCloser closer(fd);
  struct stat file_stat;
  if (fstat(fd, &file_stat) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot stat '", path, "': ", ErrnoText()));
  }
  const size_t bytes = static_cast<size_t>(file_stat.st_size);
  if (!S_ISREG(file_stat.st_mode) || bytes < kFixedHeaderBytes) {
    return absl::DataLossError(absl::StrCat("'", path,
                                            "' is not a distsage shared-memory segment: ", bytes,
                                            " bytes, shorter than its header"));
  }
  void* mapping = MapFileAligned(fd, bytes, PROT_READ);
  if (mapping == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot map shared-memory segment '", path, "': ", ErrnoText()));
  }
  std::unique_ptr<MappedRegion> region(new MappedRegion());
  region->mapping_ = mapping;
  region->mapping_bytes_ = bytes;
  region->data_ = static_cast<char*>(mapping);
  region->size_ = bytes;
  region->path_ = path;
  return region;
}

MappedRegion::~MappedRegion() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_bytes_);
  if (owner_) unlink((path_.empty() ? temp_path_ : path_).c_str());
}

void MappedRegion::CollapseIntoHugePages() {
  // Advice: where it fails the pages stay as they are (HugePageBytes says).
  madvise(data_, size_, MADV_COLLAPSE);
}

absl::Status MappedRegion::Publish() {
  if (!owner_ || !path_.empty()) {
    return absl::FailedPreconditionError("only a new, unpublished segment can be published");
  }
  if (rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot rename '", temp_path_, "' to '", final_path_, "': ", ErrnoText()));
  }
  path_ = final_path_;
  // From here on the arrays are only read; a stray write faults at once.
  if (mprotect(mapping_, mapping_bytes_, PROT_READ) != 0) {
    return absl::InternalError(absl::StrCat("mprotect of '", path_, "': ", ErrnoText()));
  }
  return absl::OkStatus();
}

uint64_t MappedRegion::HugePageBytes() const {
  std::ifstream smaps("/proc/self/smaps");
  const uintptr_t begin = reinterpret_cast<uintptr_t>(mapping_);
  const uintptr_t end = begin + mapping_bytes_;
  uint64_t huge_kib = 0;
  bool inside = false;  // In the entry of a VMA overlapping this mapping.
  std::string line;
  while (std::getline(smaps, line)) {
    // A VMA's entry starts "start-end perms ...", in hex; its fields are
    // "Name:   N kB".
    const size_t dash = line.find('-');
    const size_t space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space &&
        line.find(':') > space) {
      uint64_t vma_begin = 0;
      uint64_t vma_end = 0;
      inside = absl::SimpleHexAtoi(absl::string_view(line).substr(0, dash), &vma_begin) &&
               absl::SimpleHexAtoi(absl::string_view(line).substr(dash + 1, space - dash - 1),
                                   &vma_end) &&
               vma_begin < end && vma_end > begin;
      continue;
    }
    if (!inside) continue;
    for (absl::string_view field : {"AnonHugePages:", "ShmemPmdMapped:", "FilePmdMapped:"}) {
      absl::string_view rest = line;
      if (!absl::ConsumePrefix(&rest, field)) continue;
      uint64_t kib = 0;
      if (absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(rest), " kB"), &kib)) {
        huge_kib += kib;
      }
    }
  }
  return huge_kib << 10;
}

absl::Status WriteSegmentHeader(const SegmentHeader& header, MappedRegion* region) {
  nlohmann::json arrays = nlohmann::json::array();
  for (const SegmentArray& array : header.arrays) {
    arrays.push_back({{"name", array.name}, {"offset", array.offset}, {"bytes", array.bytes}});
  }
  const nlohmann::json json = {{"meta", nlohmann::json::parse(header.meta.ToJson())},
                               {"server_id", header.server_id},
                               {"owner_pid", header.owner_pid},
                               {"arrays", std::move(arrays)}};
  const std::string text = json.dump();
  if (kFixedHeaderBytes + text.size() > kSegmentHeaderBytes ||
      region->size() < kSegmentHeaderBytes) {
    return absl::InternalError(absl::StrCat("segment header of ", text.size(),
                                            " bytes does not fit before the first array"));
  }
  SegmentFixedHeader fixed = {};
  std::memcpy(fixed.magic, kSegmentMagic, sizeof(fixed.magic));
  fixed.version = kSegmentFormatVersion;
  fixed.json_bytes = static_cast<uint32_t>(text.size());
  fixed.file_bytes = region->size();
  std::memcpy(region->data() + kFixedHeaderBytes, text.data(), text.size());
  std::memcpy(region->data(), &fixed, sizeof(fixed));
  return absl::OkStatus();
}

absl::StatusOr<SegmentHeader> ReadSegmentHeader(const MappedRegion& region) {
  const std::string& path = region.path();
  auto bad = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("shared-memory segment '", path, "': ", what));
  };
  SegmentFixedHeader fixed;
  if (region.size() < sizeof(fixed)) return bad("shorter than its header");
  std::memcpy(&fixed, region.data(), sizeof(fixed));
  if (std::memcmp(fixed.magic, kSegmentMagic, sizeof(fixed.magic)) != 0) {
    return bad("bad magic: not a distsage shared-memory segment");
  }
  if (fixed.version != kSegmentFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("shared-memory segment '", path, "' has format version ", fixed.version,
                     ", this program reads version ", kSegmentFormatVersion,
                     "; run graph_server and trainer from the same build"));
  }
  if (fixed.file_bytes != region.size()) {
    return bad(absl::StrCat("truncated or resized: its header says ", fixed.file_bytes,
                            " bytes, the file has ", region.size()));
  }
  if (kFixedHeaderBytes + fixed.json_bytes > region.size()) {
    return bad("its JSON header runs past the end of the file");
  }
  SegmentHeader header;
  try {
    const nlohmann::json json = nlohmann::json::parse(
        absl::string_view(region.data() + kFixedHeaderBytes, fixed.json_bytes));
    DS_ASSIGN_OR_RETURN(header.meta,
                        partition_format::PartitionMeta::FromJson(json.at("meta").dump()));
    header.server_id = json.at("server_id").get<int>();
    header.owner_pid = json.at("owner_pid").get<int64_t>();
    for (const nlohmann::json& array : json.at("arrays")) {
      header.arrays.push_back({array.at("name").get<std::string>(),
                               array.at("offset").get<uint64_t>(),
                               array.at("bytes").get<uint64_t>()});
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(absl::StrCat("unreadable JSON header: ", e.what()));
  }
  for (const SegmentArray& array : header.arrays) {
    if (array.offset < kFixedHeaderBytes + fixed.json_bytes || array.offset > region.size() ||
        array.bytes > region.size() - array.offset || array.offset % 64 != 0) {
      return bad(absl::StrCat("array '", array.name, "' at [", array.offset, ", +", array.bytes,
                              ") lies outside the file's ", region.size(), " bytes"));
    }
  }
  return header;
}

std::string NewSegmentName(absl::string_view graph_name, int part, int server_id) {
  return absl::StrCat(SegmentNamePrefix(graph_name, part, server_id), getpid(), "-",
                      absl::Hex(absl::ToUnixNanos(absl::Now())));
}

std::vector<std::string> RemoveStaleSegments(const std::string& dir, absl::string_view graph_name,
                                             int part, int server_id) {
  std::vector<std::string> removed;
  DIR* listing = opendir(dir.c_str());
  if (listing == nullptr) return removed;
  const std::string prefix = SegmentNamePrefix(graph_name, part, server_id);
  while (const dirent* entry = readdir(listing)) {
    absl::string_view name = entry->d_name;
    const absl::string_view full_name = name;
    if (absl::ConsumePrefix(&name, kTempPrefix) && !absl::ConsumeSuffix(&name, kTempSuffix)) {
      continue;
    }
    if (!absl::ConsumePrefix(&name, prefix)) continue;
    // What follows the prefix is exactly "<pid>-<hex start time>".
    const std::vector<absl::string_view> pid_and_time = absl::StrSplit(name, '-');
    int64_t pid = 0;
    uint64_t start_time = 0;
    if (pid_and_time.size() != 2 || !absl::SimpleAtoi(pid_and_time[0], &pid) || pid <= 0 ||
        !absl::SimpleHexAtoi(pid_and_time[1], &start_time)) {
      continue;
    }
    if (pid != getpid() && ProcessRuns(static_cast<pid_t>(pid))) continue;
    const std::string path = absl::StrCat(dir, "/", full_name);
    if (unlink(path.c_str()) == 0) removed.push_back(path);
  }
  closedir(listing);
  return removed;
}

}  // namespace distsage
