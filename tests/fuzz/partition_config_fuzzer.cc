// Fuzzes the partition config reader (PartitionConfig::Load, nlohmann-json
// underneath, then Validate): the input is written as a config file and
// loaded. A config that loads must hold what Validate promises (contiguous
// ranges covering every node, one part entry per range), give a partition
// book that routes its first and last node to the right parts, and survive
// a round trip: saved and loaded again, it is the same config.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/partition_book.h"
#include "common/partition_config.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "partition config: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace distsage;
  static const std::string* const path = new std::string(fuzz::ScratchDir() + "/fuzz.json");
  static const std::string* const copy = new std::string(fuzz::ScratchDir() + "/copy.json");
  fuzz::WriteFileOrDie(*path, absl::string_view(reinterpret_cast<const char*>(data), size));
  absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(*path);
  if (!config.ok()) {
    if (config.status().message().empty()) Fail("an error without a message");
    return 0;
  }
  if (config->num_parts() < 1 || config->range_ends.back() != config->num_nodes) {
    Fail("loaded a config whose ranges do not cover its nodes");
  }
  const PartitionBook book = config->Book();
  for (int part = 0; part < config->num_parts(); ++part) {
    if (book.RangeBegin(part) == book.RangeEnd(part)) continue;
    if (book.OwnerOf(book.RangeBegin(part)) != part ||
        book.OwnerOf(book.RangeEnd(part) - 1) != part) {
      Fail("the book routes a node of part " + std::to_string(part) + " elsewhere");
    }
  }
  if (!config->Save(*copy).ok()) Fail("cannot save a config it loaded");
  absl::StatusOr<PartitionConfig> reloaded = PartitionConfig::Load(*copy);
  if (!reloaded.ok())
    Fail("its own saved copy does not load: " + std::string(reloaded.status().message()));
  if (reloaded->ToJson() != config->ToJson()) Fail("the saved copy loads as another config");
  return 0;
}
